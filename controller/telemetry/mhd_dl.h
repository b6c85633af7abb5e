/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd (the [http] server), opened when first needed (drivers/base/amp_dl.h).
 * Include this instead of <microhttpd.h>: each function ampshare calls becomes a call through
 * the table, so the code reads as if the library were linked.
 */
#ifndef MHD_DL_H
#define MHD_DL_H

#include <microhttpd.h>

#include "drivers/base/amp_dl.h"

#define MHD_DL_SYMS(X)                 \
    X(MHD_add_response_header)         \
    X(MHD_create_response_from_buffer) \
    X(MHD_destroy_response)            \
    X(MHD_get_daemon_info)             \
    X(MHD_get_timeout)                 \
    X(MHD_lookup_connection_value)     \
    X(MHD_queue_response)              \
    X(MHD_resume_connection)           \
    X(MHD_run)                         \
    X(MHD_start_daemon)                \
    X(MHD_stop_daemon)                 \
    X(MHD_suspend_connection)

enum mhd_dl_sym {
#define MHD_DL_ENUM(f) MHD_DL_##f,
    MHD_DL_SYMS(MHD_DL_ENUM)
#undef MHD_DL_ENUM
    MHD_DL_N
};

extern struct amp_dl mhd_dl;

#define MHD_add_response_header \
    ((__typeof__(MHD_add_response_header) *)amp_dl_sym(&mhd_dl, MHD_DL_MHD_add_response_header))
#define MHD_create_response_from_buffer                         \
    ((__typeof__(MHD_create_response_from_buffer) *)amp_dl_sym( \
        &mhd_dl, MHD_DL_MHD_create_response_from_buffer))
#define MHD_destroy_response \
    ((__typeof__(MHD_destroy_response) *)amp_dl_sym(&mhd_dl, MHD_DL_MHD_destroy_response))
#define MHD_get_daemon_info \
    ((__typeof__(MHD_get_daemon_info) *)amp_dl_sym(&mhd_dl, MHD_DL_MHD_get_daemon_info))
#define MHD_get_timeout ((__typeof__(MHD_get_timeout) *)amp_dl_sym(&mhd_dl, MHD_DL_MHD_get_timeout))
#define MHD_lookup_connection_value                                 \
    ((__typeof__(MHD_lookup_connection_value) *)amp_dl_sym(&mhd_dl, \
                                                           MHD_DL_MHD_lookup_connection_value))
#define MHD_queue_response \
    ((__typeof__(MHD_queue_response) *)amp_dl_sym(&mhd_dl, MHD_DL_MHD_queue_response))
#define MHD_resume_connection \
    ((__typeof__(MHD_resume_connection) *)amp_dl_sym(&mhd_dl, MHD_DL_MHD_resume_connection))
#define MHD_run ((__typeof__(MHD_run) *)amp_dl_sym(&mhd_dl, MHD_DL_MHD_run))
#define MHD_start_daemon \
    ((__typeof__(MHD_start_daemon) *)amp_dl_sym(&mhd_dl, MHD_DL_MHD_start_daemon))
#define MHD_stop_daemon ((__typeof__(MHD_stop_daemon) *)amp_dl_sym(&mhd_dl, MHD_DL_MHD_stop_daemon))
#define MHD_suspend_connection \
    ((__typeof__(MHD_suspend_connection) *)amp_dl_sym(&mhd_dl, MHD_DL_MHD_suspend_connection))

#endif
