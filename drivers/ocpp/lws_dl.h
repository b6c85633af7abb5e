/* SPDX-License-Identifier: MIT */
/*
 * libwebsockets (the [ocpp] server, sim ocpp), opened when first needed (drivers/base/amp_dl.h).
 * Include this instead of <libwebsockets.h>: each function ampshare calls becomes a call through
 * the table, so the code reads as if the library were linked.
 */
#ifndef LWS_DL_H
#define LWS_DL_H

#include <libwebsockets.h>

#include "drivers/base/amp_dl.h"

#define LWS_DL_SYMS(X)              \
    X(lws_add_http_header_by_token) \
    X(lws_adopt_socket_vhost)       \
    X(lws_b64_decode_string)        \
    X(lws_b64_encode_string)        \
    X(lws_callback_on_writable)     \
    X(lws_client_connect_via_info)  \
    X(lws_context_destroy)          \
    X(lws_context_user)             \
    X(lws_create_context)           \
    X(lws_frame_is_binary)          \
    X(lws_get_context)              \
    X(lws_get_opaque_user_data)     \
    X(lws_get_peer_simple)          \
    X(lws_get_vhost_by_name)        \
    X(lws_hdr_copy)                 \
    X(lws_is_final_fragment)        \
    X(lws_parse_uri)                \
    X(lws_partial_buffered)         \
    X(lws_remaining_packet_payload) \
    X(lws_return_http_status)       \
    X(lws_service)                  \
    X(lws_service_adjust_timeout)   \
    X(lws_set_log_level)            \
    X(lws_set_timeout)              \
    X(lws_sul_schedule)             \
    X(lws_urldecode)                \
    X(lws_write)                    \
    X(lws_wsi_user)

enum lws_dl_sym {
#define LWS_DL_ENUM(f) LWS_DL_##f,
    LWS_DL_SYMS(LWS_DL_ENUM)
#undef LWS_DL_ENUM
    LWS_DL_N
};

extern struct amp_dl lws_dl;

#define lws_add_http_header_by_token                                 \
    ((__typeof__(lws_add_http_header_by_token) *)amp_dl_sym(&lws_dl, \
                                                            LWS_DL_lws_add_http_header_by_token))
#define lws_adopt_socket_vhost \
    ((__typeof__(lws_adopt_socket_vhost) *)amp_dl_sym(&lws_dl, LWS_DL_lws_adopt_socket_vhost))
#define lws_b64_decode_string \
    ((__typeof__(lws_b64_decode_string) *)amp_dl_sym(&lws_dl, LWS_DL_lws_b64_decode_string))
#define lws_b64_encode_string \
    ((__typeof__(lws_b64_encode_string) *)amp_dl_sym(&lws_dl, LWS_DL_lws_b64_encode_string))
#define lws_callback_on_writable \
    ((__typeof__(lws_callback_on_writable) *)amp_dl_sym(&lws_dl, LWS_DL_lws_callback_on_writable))
#define lws_client_connect_via_info                                 \
    ((__typeof__(lws_client_connect_via_info) *)amp_dl_sym(&lws_dl, \
                                                           LWS_DL_lws_client_connect_via_info))
#define lws_context_destroy \
    ((__typeof__(lws_context_destroy) *)amp_dl_sym(&lws_dl, LWS_DL_lws_context_destroy))
#define lws_context_user \
    ((__typeof__(lws_context_user) *)amp_dl_sym(&lws_dl, LWS_DL_lws_context_user))
#define lws_create_context \
    ((__typeof__(lws_create_context) *)amp_dl_sym(&lws_dl, LWS_DL_lws_create_context))
#define lws_frame_is_binary \
    ((__typeof__(lws_frame_is_binary) *)amp_dl_sym(&lws_dl, LWS_DL_lws_frame_is_binary))
#define lws_get_context ((__typeof__(lws_get_context) *)amp_dl_sym(&lws_dl, LWS_DL_lws_get_context))
#define lws_get_opaque_user_data \
    ((__typeof__(lws_get_opaque_user_data) *)amp_dl_sym(&lws_dl, LWS_DL_lws_get_opaque_user_data))
#define lws_get_peer_simple \
    ((__typeof__(lws_get_peer_simple) *)amp_dl_sym(&lws_dl, LWS_DL_lws_get_peer_simple))
#define lws_get_vhost_by_name \
    ((__typeof__(lws_get_vhost_by_name) *)amp_dl_sym(&lws_dl, LWS_DL_lws_get_vhost_by_name))
#define lws_hdr_copy ((__typeof__(lws_hdr_copy) *)amp_dl_sym(&lws_dl, LWS_DL_lws_hdr_copy))
#define lws_is_final_fragment \
    ((__typeof__(lws_is_final_fragment) *)amp_dl_sym(&lws_dl, LWS_DL_lws_is_final_fragment))
#define lws_parse_uri ((__typeof__(lws_parse_uri) *)amp_dl_sym(&lws_dl, LWS_DL_lws_parse_uri))
#define lws_partial_buffered \
    ((__typeof__(lws_partial_buffered) *)amp_dl_sym(&lws_dl, LWS_DL_lws_partial_buffered))
#define lws_remaining_packet_payload                                 \
    ((__typeof__(lws_remaining_packet_payload) *)amp_dl_sym(&lws_dl, \
                                                            LWS_DL_lws_remaining_packet_payload))
#define lws_return_http_status \
    ((__typeof__(lws_return_http_status) *)amp_dl_sym(&lws_dl, LWS_DL_lws_return_http_status))
#define lws_service ((__typeof__(lws_service) *)amp_dl_sym(&lws_dl, LWS_DL_lws_service))
#define lws_service_adjust_timeout                                 \
    ((__typeof__(lws_service_adjust_timeout) *)amp_dl_sym(&lws_dl, \
                                                          LWS_DL_lws_service_adjust_timeout))
#define lws_set_log_level \
    ((__typeof__(lws_set_log_level) *)amp_dl_sym(&lws_dl, LWS_DL_lws_set_log_level))
#define lws_set_timeout ((__typeof__(lws_set_timeout) *)amp_dl_sym(&lws_dl, LWS_DL_lws_set_timeout))
#define lws_sul_schedule \
    ((__typeof__(lws_sul_schedule) *)amp_dl_sym(&lws_dl, LWS_DL_lws_sul_schedule))
#define lws_urldecode ((__typeof__(lws_urldecode) *)amp_dl_sym(&lws_dl, LWS_DL_lws_urldecode))
#define lws_write     ((__typeof__(lws_write) *)amp_dl_sym(&lws_dl, LWS_DL_lws_write))
#define lws_wsi_user  ((__typeof__(lws_wsi_user) *)amp_dl_sym(&lws_dl, LWS_DL_lws_wsi_user))

#endif
