/* SPDX-License-Identifier: MIT */
/*
 * libmosquitto (the [mqtt] client), opened when first needed (drivers/base/amp_dl.h).
 * Include this instead of <mosquitto.h>: each function ampshare calls becomes a call through
 * the table, so the code reads as if the library were linked.
 */
#ifndef MOSQ_DL_H
#define MOSQ_DL_H

#include <mosquitto.h>

#include "drivers/base/amp_dl.h"

#define MOSQ_DL_SYMS(X)                  \
    X(mosquitto_connack_string)          \
    X(mosquitto_connect_async)           \
    X(mosquitto_connect_callback_set)    \
    X(mosquitto_destroy)                 \
    X(mosquitto_disconnect)              \
    X(mosquitto_disconnect_callback_set) \
    X(mosquitto_lib_init)                \
    X(mosquitto_loop_start)              \
    X(mosquitto_loop_stop)               \
    X(mosquitto_message_callback_set)    \
    X(mosquitto_new)                     \
    X(mosquitto_publish)                 \
    X(mosquitto_reconnect_delay_set)     \
    X(mosquitto_strerror)                \
    X(mosquitto_subscribe)               \
    X(mosquitto_tls_set)                 \
    X(mosquitto_username_pw_set)         \
    X(mosquitto_will_set)

enum mosq_dl_sym {
#define MOSQ_DL_ENUM(f) MOSQ_DL_##f,
    MOSQ_DL_SYMS(MOSQ_DL_ENUM)
#undef MOSQ_DL_ENUM
    MOSQ_DL_N
};

extern struct amp_dl mosq_dl;

#define mosquitto_connack_string \
    ((__typeof__(mosquitto_connack_string) *)amp_dl_sym(&mosq_dl, MOSQ_DL_mosquitto_connack_string))
#define mosquitto_connect_async \
    ((__typeof__(mosquitto_connect_async) *)amp_dl_sym(&mosq_dl, MOSQ_DL_mosquitto_connect_async))
#define mosquitto_connect_callback_set                         \
    ((__typeof__(mosquitto_connect_callback_set) *)amp_dl_sym( \
        &mosq_dl, MOSQ_DL_mosquitto_connect_callback_set))
#define mosquitto_destroy \
    ((__typeof__(mosquitto_destroy) *)amp_dl_sym(&mosq_dl, MOSQ_DL_mosquitto_destroy))
#define mosquitto_disconnect \
    ((__typeof__(mosquitto_disconnect) *)amp_dl_sym(&mosq_dl, MOSQ_DL_mosquitto_disconnect))
#define mosquitto_disconnect_callback_set                         \
    ((__typeof__(mosquitto_disconnect_callback_set) *)amp_dl_sym( \
        &mosq_dl, MOSQ_DL_mosquitto_disconnect_callback_set))
#define mosquitto_lib_init \
    ((__typeof__(mosquitto_lib_init) *)amp_dl_sym(&mosq_dl, MOSQ_DL_mosquitto_lib_init))
#define mosquitto_loop_start \
    ((__typeof__(mosquitto_loop_start) *)amp_dl_sym(&mosq_dl, MOSQ_DL_mosquitto_loop_start))
#define mosquitto_loop_stop \
    ((__typeof__(mosquitto_loop_stop) *)amp_dl_sym(&mosq_dl, MOSQ_DL_mosquitto_loop_stop))
#define mosquitto_message_callback_set                         \
    ((__typeof__(mosquitto_message_callback_set) *)amp_dl_sym( \
        &mosq_dl, MOSQ_DL_mosquitto_message_callback_set))
#define mosquitto_new ((__typeof__(mosquitto_new) *)amp_dl_sym(&mosq_dl, MOSQ_DL_mosquitto_new))
#define mosquitto_publish \
    ((__typeof__(mosquitto_publish) *)amp_dl_sym(&mosq_dl, MOSQ_DL_mosquitto_publish))
#define mosquitto_reconnect_delay_set                         \
    ((__typeof__(mosquitto_reconnect_delay_set) *)amp_dl_sym( \
        &mosq_dl, MOSQ_DL_mosquitto_reconnect_delay_set))
#define mosquitto_strerror \
    ((__typeof__(mosquitto_strerror) *)amp_dl_sym(&mosq_dl, MOSQ_DL_mosquitto_strerror))
#define mosquitto_subscribe \
    ((__typeof__(mosquitto_subscribe) *)amp_dl_sym(&mosq_dl, MOSQ_DL_mosquitto_subscribe))
#define mosquitto_tls_set \
    ((__typeof__(mosquitto_tls_set) *)amp_dl_sym(&mosq_dl, MOSQ_DL_mosquitto_tls_set))
#define mosquitto_username_pw_set                                  \
    ((__typeof__(mosquitto_username_pw_set) *)amp_dl_sym(&mosq_dl, \
                                                         MOSQ_DL_mosquitto_username_pw_set))
#define mosquitto_will_set \
    ((__typeof__(mosquitto_will_set) *)amp_dl_sym(&mosq_dl, MOSQ_DL_mosquitto_will_set))

#endif
