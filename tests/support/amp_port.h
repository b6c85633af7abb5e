/* SPDX-License-Identifier: MIT */
/*
 * Tests whose TCP listener goes away and comes back on the same port: while it is away the
 * port is held by a bound socket that does not listen, so a connect is refused (as with
 * nothing there) and the kernel gives the port to no one else (another test's bind to port 0
 * or the local end of its connect). The listener binds it again with SO_REUSEADDR, which Linux
 * allows while no socket on the port listens; the hold is released after that.
 */
#ifndef AMP_PORT_H
#define AMP_PORT_H

/* Holds 127.0.0.1:port (SO_REUSEADDR, bound, not listening); returns the fd. Fails the test
 * (ck_assert) when the port is taken. Call it right after closing the listener. */
int amp_port_hold(int port);

/* Releases a hold (after the listener is back). */
void amp_port_release(int fd);

#endif
