/* SPDX-License-Identifier: MIT */
/* The message catalogue of twc-gen2.md §4.2 as one table: code, name, IDs, layout, lengths. */
#include <stddef.h>

#include "drivers/twc/twc_internal.h"

#define ANY13 TWC_LENS_ANY_FROM(13)

/* One row per kind, indexed by enum twc_kind. Lengths: §2.3, §4.1, §9 #4 and #13. */
// clang-format off
static const struct twc_kind_desc kinds[TWC_KIND_COUNT] = {
    [TWC_KIND_MASTER_LINKREADY1]  = {TWC_KIND_MASTER_LINKREADY1,  0xFCE1, "master_linkready1",  TWC_IDS_SRC,     TWC_LAYOUT_LINKREADY,  0,  TWC_LENS_V1_V2},
    [TWC_KIND_MASTER_LINKREADY2]  = {TWC_KIND_MASTER_LINKREADY2,  0xFBE2, "master_linkready2",  TWC_IDS_SRC,     TWC_LAYOUT_LINKREADY,  0,  TWC_LENS_V1_V2},
    [TWC_KIND_SLAVE_LINKREADY]    = {TWC_KIND_SLAVE_LINKREADY,    0xFDE2, "slave_linkready",    TWC_IDS_SRC,     TWC_LAYOUT_LINKREADY,  0,  TWC_LENS_V1_V2},
    [TWC_KIND_MASTER_HEARTBEAT]   = {TWC_KIND_MASTER_HEARTBEAT,   0xFBE0, "master_heartbeat",   TWC_IDS_SRC_DST, TWC_LAYOUT_MASTER_HB,  0,  TWC_LENS_V1_V2},
    [TWC_KIND_SLAVE_HEARTBEAT]    = {TWC_KIND_SLAVE_HEARTBEAT,    0xFDE0, "slave_heartbeat",    TWC_IDS_SRC_DST, TWC_LAYOUT_SLAVE_HB,   0,  TWC_LENS_V1_V2},
    [TWC_KIND_MASTER_IDLE]        = {TWC_KIND_MASTER_IDLE,        0xFC1D, "master_idle",        TWC_IDS_NONE,    TWC_LAYOUT_ZEROS,      0,  TWC_LEN_BIT(14)},
    [TWC_KIND_METER_QUERY]        = {TWC_KIND_METER_QUERY,        0xFBEB, "meter_query",        TWC_IDS_SRC_DST, TWC_LAYOUT_ZEROS,      0,  ANY13},
    [TWC_KIND_METER_REPORT]       = {TWC_KIND_METER_REPORT,       0xFDEB, "meter_report",       TWC_IDS_SRC,     TWC_LAYOUT_METER,      0,  TWC_LEN_BIT(16) | TWC_LEN_BIT(20)},
    [TWC_KIND_VERSION_QUERY]      = {TWC_KIND_VERSION_QUERY,      0xFBEC, "version_query",      TWC_IDS_SRC_DST, TWC_LAYOUT_ZEROS,      0,  ANY13},
    [TWC_KIND_VERSION_REPORT]     = {TWC_KIND_VERSION_REPORT,     0xFDEC, "version_report",     TWC_IDS_SRC,     TWC_LAYOUT_VERSION4,   0,  ANY13},
    [TWC_KIND_SERIAL_QUERY]       = {TWC_KIND_SERIAL_QUERY,       0xFBED, "serial_query",       TWC_IDS_SRC_DST, TWC_LAYOUT_ZEROS,      0,  ANY13},
    [TWC_KIND_SERIAL_REPORT]      = {TWC_KIND_SERIAL_REPORT,      0xFDED, "serial_report",      TWC_IDS_SRC,     TWC_LAYOUT_TEXT,       11, TWC_LENS_ANY_FROM(16)},
    [TWC_KIND_VIN_QUERY_1]        = {TWC_KIND_VIN_QUERY_1,        0xFBEE, "vin_query_1",        TWC_IDS_SRC_DST, TWC_LAYOUT_ZEROS,      0,  ANY13},
    [TWC_KIND_VIN_QUERY_2]        = {TWC_KIND_VIN_QUERY_2,        0xFBEF, "vin_query_2",        TWC_IDS_SRC_DST, TWC_LAYOUT_ZEROS,      0,  ANY13},
    [TWC_KIND_VIN_QUERY_3]        = {TWC_KIND_VIN_QUERY_3,        0xFBF1, "vin_query_3",        TWC_IDS_SRC_DST, TWC_LAYOUT_ZEROS,      0,  ANY13},
    [TWC_KIND_VIN_REPORT_1]       = {TWC_KIND_VIN_REPORT_1,       0xFDEE, "vin_report_1",       TWC_IDS_SRC,     TWC_LAYOUT_TEXT,       7,  ANY13},
    [TWC_KIND_VIN_REPORT_2]       = {TWC_KIND_VIN_REPORT_2,       0xFDEF, "vin_report_2",       TWC_IDS_SRC,     TWC_LAYOUT_TEXT,       7,  ANY13},
    [TWC_KIND_VIN_REPORT_3]       = {TWC_KIND_VIN_REPORT_3,       0xFDF1, "vin_report_3",       TWC_IDS_SRC,     TWC_LAYOUT_TEXT,       3,  ANY13},
    [TWC_KIND_START_CHARGING]     = {TWC_KIND_START_CHARGING,     0xFCB1, "start_charging",     TWC_IDS_SRC_DST, TWC_LAYOUT_ZEROS,      0,  ANY13},
    [TWC_KIND_STOP_CHARGING]      = {TWC_KIND_STOP_CHARGING,      0xFCB2, "stop_charging",      TWC_IDS_SRC_DST, TWC_LAYOUT_ZEROS,      0,  ANY13},
    [TWC_KIND_START_CHARGING_ACK] = {TWC_KIND_START_CHARGING_ACK, 0xFDB1, "start_charging_ack", TWC_IDS_SRC,     TWC_LAYOUT_ZEROS,      0,  ANY13},
    [TWC_KIND_STOP_CHARGING_ACK]  = {TWC_KIND_STOP_CHARGING_ACK,  0xFDB2, "stop_charging_ack",  TWC_IDS_SRC,     TWC_LAYOUT_ZEROS,      0,  ANY13},
    [TWC_KIND_PLUG_STATE_QUERY]   = {TWC_KIND_PLUG_STATE_QUERY,   0xFBB4, "plug_state_query",   TWC_IDS_SRC_DST, TWC_LAYOUT_ZEROS,      0,  ANY13},
    [TWC_KIND_PLUG_STATE_REPORT]  = {TWC_KIND_PLUG_STATE_REPORT,  0xFDB4, "plug_state_report",  TWC_IDS_SRC,     TWC_LAYOUT_PLUG_STATE, 0,  ANY13},
    [TWC_KIND_TSN_QUERY_OLD]      = {TWC_KIND_TSN_QUERY_OLD,      0xFB19, "tsn_query_old",      TWC_IDS_NONE,    TWC_LAYOUT_ZEROS,      0,  ANY13},
    [TWC_KIND_TSN_REPORT_OLD]     = {TWC_KIND_TSN_REPORT_OLD,     0xFD19, "tsn_report_old",     TWC_IDS_NONE,    TWC_LAYOUT_TEXT,       0,  ANY13},
    [TWC_KIND_MODEL_QUERY_OLD]    = {TWC_KIND_MODEL_QUERY_OLD,    0xFB1A, "model_query_old",    TWC_IDS_NONE,    TWC_LAYOUT_ZEROS,      0,  ANY13},
    [TWC_KIND_MODEL_REPORT_OLD]   = {TWC_KIND_MODEL_REPORT_OLD,   0xFD1A, "model_report_old",   TWC_IDS_NONE,    TWC_LAYOUT_TEXT,       0,  ANY13},
    /* §4.2: the old code sent FB 1B without IDs, TWCManager's debug code with src and dst. Both
     * are the same bytes when the IDs are zero, so the src/dst form loses nothing. */
    [TWC_KIND_FW_QUERY_OLD]       = {TWC_KIND_FW_QUERY_OLD,       0xFB1B, "fw_query_old",       TWC_IDS_SRC_DST, TWC_LAYOUT_ZEROS,      0,  ANY13},
    [TWC_KIND_FW_REPORT_OLD]      = {TWC_KIND_FW_REPORT_OLD,      0xFD1B, "fw_report_old",      TWC_IDS_NONE,    TWC_LAYOUT_VERSION3,   0,  ANY13},
};

// clang-format on

const struct twc_kind_desc *twc_desc_of_kind(enum twc_kind kind)
{
    if ((int)kind <= (int)TWC_KIND_UNKNOWN || (int)kind >= (int)TWC_KIND_COUNT) {
        return NULL;
    }
    return &kinds[kind];
}

const struct twc_kind_desc *twc_desc_of_code(uint16_t code)
{
    for (size_t i = 1; i < TWC_KIND_COUNT; i++) {
        if (kinds[i].code == code) {
            return &kinds[i];
        }
    }
    return NULL;
}

size_t twc_desc_data_offset(const struct twc_kind_desc *d)
{
    return 2u + 2u * (size_t)d->ids;
}

enum twc_kind twc_kind_of_code(uint16_t code)
{
    const struct twc_kind_desc *d = twc_desc_of_code(code);
    return d ? d->kind : TWC_KIND_UNKNOWN;
}

uint16_t twc_code_of_kind(enum twc_kind kind)
{
    const struct twc_kind_desc *d = twc_desc_of_kind(kind);
    return d ? d->code : 0;
}

const char *twc_kind_name(enum twc_kind kind)
{
    const struct twc_kind_desc *d = twc_desc_of_kind(kind);
    return d ? d->name : "unknown";
}

bool twc_kind_len_ok(enum twc_kind kind, size_t len)
{
    const struct twc_kind_desc *d = twc_desc_of_kind(kind);
    return d != NULL && len <= TWC_BODY_MAX && (d->lens & TWC_LEN_BIT(len)) != 0;
}

uint8_t twc_proto_of_len(size_t len)
{
    /* §4.1: 14 bytes is v1, 16 is v2; the 20-byte ext frames of 4.5.3 are v2 firmware. */
    switch (len) {
    case TWC_BODY_V1:
        return 1;
    case TWC_BODY_V2:
    case TWC_BODY_EXT:
        return 2;
    default:
        return 0;
    }
}
