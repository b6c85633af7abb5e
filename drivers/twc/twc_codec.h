/* SPDX-License-Identifier: MIT */
/*
 * Tesla Wall Connector Gen 2 wire codec: framing, SLIP escaping, checksum, and every message kind
 * of the protocol reference (twc-gen2.md §2–§5). Pure: no I/O, no clock, no malloc.
 */
#ifndef TWC_CODEC_H
#define TWC_CODEC_H

#include <errno.h> /* the return codes below are negative errno values */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* twc-gen2.md §2.1: delimiter and SLIP escapes. */
#define TWC_END     0xC0
#define TWC_ESC     0xDB
#define TWC_ESC_END 0xDC
#define TWC_ESC_ESC 0xDD

/* twc-gen2.md §2.3, §2.4: unescaped body lengths (type byte to checksum). */
#define TWC_BODY_MIN 13
#define TWC_BODY_V1  14
#define TWC_BODY_V2  16
#define TWC_BODY_EXT 20
#define TWC_BODY_MAX 20
/* Escaped worst case: 2 x 20 body bytes + 2 delimiters + 1 trailer (§2.4). */
#define TWC_WIRE_MAX 43

/* Message kinds of twc-gen2.md §4.2. Values are ours, not wire values (the wire code is `code`). */
enum twc_kind {
    TWC_KIND_UNKNOWN = 0,        /* any other code: kept raw, never dropped */
    TWC_KIND_MASTER_LINKREADY1,  /* FC E1 */
    TWC_KIND_MASTER_LINKREADY2,  /* FB E2 */
    TWC_KIND_SLAVE_LINKREADY,    /* FD E2 */
    TWC_KIND_MASTER_HEARTBEAT,   /* FB E0 */
    TWC_KIND_SLAVE_HEARTBEAT,    /* FD E0 */
    TWC_KIND_MASTER_IDLE,        /* FC 1D */
    TWC_KIND_METER_QUERY,        /* FB EB */
    TWC_KIND_METER_REPORT,       /* FD EB */
    TWC_KIND_VERSION_QUERY,      /* FB EC */
    TWC_KIND_VERSION_REPORT,     /* FD EC */
    TWC_KIND_SERIAL_QUERY,       /* FB ED */
    TWC_KIND_SERIAL_REPORT,      /* FD ED */
    TWC_KIND_VIN_QUERY_1,        /* FB EE */
    TWC_KIND_VIN_QUERY_2,        /* FB EF */
    TWC_KIND_VIN_QUERY_3,        /* FB F1 */
    TWC_KIND_VIN_REPORT_1,       /* FD EE */
    TWC_KIND_VIN_REPORT_2,       /* FD EF */
    TWC_KIND_VIN_REPORT_3,       /* FD F1 */
    TWC_KIND_START_CHARGING,     /* FC B1 */
    TWC_KIND_STOP_CHARGING,      /* FC B2 */
    TWC_KIND_START_CHARGING_ACK, /* FD B1 */
    TWC_KIND_STOP_CHARGING_ACK,  /* FD B2 */
    TWC_KIND_PLUG_STATE_QUERY,   /* FB B4 */
    TWC_KIND_PLUG_STATE_REPORT,  /* FD B4 */
    TWC_KIND_TSN_QUERY_OLD,      /* FB 19, no IDs */
    TWC_KIND_TSN_REPORT_OLD,     /* FD 19, no IDs */
    TWC_KIND_MODEL_QUERY_OLD,    /* FB 1A, no IDs */
    TWC_KIND_MODEL_REPORT_OLD,   /* FD 1A, no IDs */
    TWC_KIND_FW_QUERY_OLD,       /* FB 1B */
    TWC_KIND_FW_REPORT_OLD,      /* FD 1B */
    TWC_KIND_COUNT
};

/* Master heartbeat commands, d0 of FB E0 (twc-gen2.md §5.1). Wire values. */
enum twc_master_cmd {
    TWC_CMD_NONE = 0x00,  /* keep-alive, limit unchanged (§9 #7) */
    TWC_CMD_ERROR = 0x02, /* d1 = error bitmap; never sent by ampshare */
    TWC_CMD_SET_LIMIT_V1 = 0x05,
    TWC_CMD_RAISE_2A = 0x06,
    TWC_CMD_LOWER_2A = 0x07,
    TWC_CMD_ACK_START = 0x08,
    TWC_CMD_SET_LIMIT_V2 = 0x09,
};

/* Slave heartbeat states, d0 of FD E0 (twc-gen2.md §5.2). Wire values. */
enum twc_slave_state {
    TWC_STATE_READY = 0x00,
    TWC_STATE_CHARGING = 0x01,
    TWC_STATE_ERROR = 0x02,
    TWC_STATE_DO_NOT_CHARGE = 0x03,
    TWC_STATE_READY_TO_CHARGE = 0x04,
    TWC_STATE_BUSY = 0x05,
    TWC_STATE_RAISE_ECHO = 0x06,
    TWC_STATE_LOWER_ECHO = 0x07,
    TWC_STATE_STARTING = 0x08,
    TWC_STATE_LIMIT_ECHO = 0x09,
    TWC_STATE_ADJUST_DONE = 0x0A,
};

struct twc_linkready {
    uint8_t sign;    /* random per power-up (§4.1) */
    uint16_t max_ca; /* slave: hardware maximum, centi-amps (§4.3); master: bytes 5-6 raw */
};

struct twc_master_hb {
    uint8_t cmd;            /* enum twc_master_cmd */
    uint16_t amps_ca;       /* d1-d2, centi-amps big-endian (for 05, 08, 09); 02: d1 bitmap, d2 */
    uint8_t master_plugged; /* d3 (§5.1) */
};

struct twc_slave_hb {
    uint8_t state;      /* enum twc_slave_state */
    uint16_t limit_ca;  /* d1-d2: echo of the last limit, centi-amps */
    uint16_t actual_ca; /* d3-d4: measured current, centi-amps */
};

struct twc_meter {
    uint32_t energy_raw;       /* kWh on most units, maybe Wh on some firmware (§7.4, §9 #5) */
    uint16_t voltage_v[3];     /* integer volts per phase */
    bool has_currents;         /* 20-byte form only (§9 #4) */
    uint8_t current_half_a[3]; /* 0.5 A steps */
};

struct twc_version {
    uint8_t v[4]; /* major, minor, patch, build: 04 05 03 02 = 4.5.3.2 */
};

struct twc_text {
    char text[18]; /* bytes as sent (ASCII in practice), NUL-terminated; VIN part, TSN or model */
    uint8_t len;   /* characters before the zero padding */
};

/* One decoded frame. Fields not used by the kind are zero. */
struct twc_msg {
    enum twc_kind kind;
    uint16_t code;    /* type << 8 | command, e.g. 0xFBE0 */
    uint8_t body_len; /* unescaped body length, 13..20 */
    uint8_t proto;    /* 1 (14 B), 2 (16 or 20 B), 0 when the length says nothing (13, 15, 17-19) */
    bool has_src, has_dst;
    uint16_t src, dst; /* big-endian on the wire (§4.1) */

    union {
        struct twc_linkready linkready;
        struct twc_master_hb mhb;
        struct twc_slave_hb shb;
        struct twc_meter meter;
        struct twc_version version;
        struct twc_text text;
        uint8_t plug_state; /* FD B4 */
    } u;

    /* The whole unescaped body as received (decode) or built (encode): unknown kinds and
     * round trips keep every byte. */
    uint8_t body[TWC_BODY_MAX];

    /* Set by twc_decode (and twc_encode_body, which always builds a good one). */
    bool checksum_ok;
    /* Decode only: a byte that the kind's layout defines as zero (padding after the fields, or a
     * text field after its first zero) is not zero. Fields cannot hold such bytes: they stay in
     * body[], and twc_encode_body() would write zeros there. Every known-kind body without this
     * flag re-encodes byte-exact from its fields. */
    bool pad_nonzero;
};

/* Returns the checksum of an unescaped body of len bytes: the low byte of body[1..len-2] (§3). */
uint8_t twc_checksum(const uint8_t *body, size_t len);

/* Returns the kind of a wire code (type << 8 | cmd), TWC_KIND_UNKNOWN if not in §4.2. */
enum twc_kind twc_kind_of_code(uint16_t code);

/* Returns the wire code of a kind, 0 for TWC_KIND_UNKNOWN. */
uint16_t twc_code_of_kind(enum twc_kind kind);

/* Returns the snake_case name of a kind ("master_heartbeat", "unknown"). Static storage. */
const char *twc_kind_name(enum twc_kind kind);

/*
 * Returns true when a body of len bytes is a valid length for kind: 14 or 16 for linkreadies and
 * heartbeats (§4.1), 14 for the idle frame, 16 or 20 for FD EB (§9 #4), any of 13..20 that holds
 * the fields for the other kinds (requests come at 13..16 bytes, §2.3 and §9 #13). False for
 * TWC_KIND_UNKNOWN.
 */
bool twc_kind_len_ok(enum twc_kind kind, size_t len);

/* Returns the protocol version a body length implies: 1 for 14, 2 for 16 and 20, else 0 (§4.1). */
uint8_t twc_proto_of_len(size_t len);

/*
 * Decodes one unescaped body (checksum included) into msg. Returns 0, -EBADMSG for a bad checksum
 * (msg is still filled so callers can show the frame), -EMSGSIZE for a length outside 13..20,
 * -EPROTO (checksum good) for a known code at a length twc_kind_len_ok() refuses; a bad checksum
 * wins over -EPROTO. A frame whose code is unknown, or known at a refused length, is kept raw:
 * kind TWC_KIND_UNKNOWN, code, body and body_len set, no IDs. -EINVAL for NULL arguments.
 */
int twc_decode(const uint8_t *body, size_t len, struct twc_msg *msg);

/*
 * Builds the unescaped body of msg from its kind, IDs and fields, zero-padded to msg->body_len
 * (TWC_BODY_V1/V2/EXT, or 13/15 for the request lengths of §2.3), and computes the checksum.
 * Writes the body to msg->body and to out (out may be NULL), and sets msg->code, proto, has_src,
 * has_dst (zeroing IDs the kind does not carry) and checksum_ok. Returns the body length; -EINVAL
 * for a bad kind, a length twc_kind_len_ok() refuses, or fields the length cannot hold (currents
 * in a 16-byte FD EB, text longer than its field or holding a zero, a build number in FD 1B);
 * -EMSGSIZE when cap < body_len; AMP_ERR_FORBIDDEN for TWC_KIND_UNKNOWN (raw bytes are never
 * re-encoded from fields). The transmit allow-list (§4.2) is the caller's job.
 */
int twc_encode_body(struct twc_msg *msg, uint8_t *out, size_t cap);

/*
 * Wraps an unescaped body in delimiters with SLIP escaping (§2.1), plus one trailer byte when
 * trailer >= 0 (§2.2). Returns the wire length or -EMSGSIZE.
 */
int twc_frame_wrap(const uint8_t *body, size_t len, int trailer, uint8_t *out, size_t cap);

/*
 * What the deframer hands out: a body, or a note about bytes it threw away. For every type but
 * TWC_DF_FRAME, len counts wire bytes: the bytes before the first C0 of the stream, or the bytes
 * between two delimiters (both C0 excluded).
 */
enum twc_df_event_type {
    TWC_DF_FRAME = 1,   /* body[0..len) is an unescaped body of 13..20 bytes (checksum unchecked) */
    TWC_DF_GARBAGE = 2, /* len bytes outside any frame were skipped: before the first C0, or
                           2..12 unescaped bytes between two C0 (a lone trailer is not reported) */
    TWC_DF_BAD_ESCAPE = 3, /* a frame held DB followed by neither DC nor DD: dropped */
    TWC_DF_OVERLONG = 4,   /* a frame exceeded TWC_BODY_MAX unescaped bytes: dropped */
};

struct twc_df_event {
    enum twc_df_event_type type;
    /* Stream offset of the opening C0 (frames, bad frames) or of the first skipped byte. */
    uint64_t offset;
    size_t len; /* body length (frame) or skipped byte count */
    uint8_t body[TWC_BODY_MAX];
};

/* Counters of everything the deframer saw (never fatal). */
struct twc_deframer_stats {
    uint32_t frames;
    uint32_t bad_escape;
    uint32_t overlong;
    uint32_t short_noise;   /* 1..12 body bytes between delimiters: trailers, noise (§2.4) */
    uint32_t garbage_bytes; /* bytes outside any frame, trailers included */
};

/*
 * Streaming deframer (§2.4, the robust form): every C0 ends the current frame and starts the next,
 * so a corrupt frame never swallows the one after it. Any chunking of the input gives the same
 * events. Plain struct: the caller owns it; no allocation.
 */
struct twc_deframer {
    uint8_t buf[TWC_BODY_MAX];
    size_t len;
    bool in_frame, escaped, overflow, bad_escape;
    size_t raw_len;        /* wire bytes since the opening C0 of the frame being read */
    uint64_t byte_offset;  /* bytes consumed so far */
    uint64_t frame_offset; /* offset of the opening C0 of the frame being read */
    uint64_t garbage_offset;
    size_t garbage_len; /* non-trailer bytes skipped outside frames, not yet reported */
    struct twc_deframer_stats stats;
};

void twc_deframer_init(struct twc_deframer *d);

/*
 * Consumes bytes from data[0..len) until one event is ready or the input is used up. Returns 1 with
 * *ev filled, or -EAGAIN ("need more") once every byte is consumed without an event. *consumed is
 * always set to the bytes eaten; call again with data + *consumed until -EAGAIN. A lone byte
 * between two delimiters (the trailer of §2.2: FE, FC, F8, FA, FF ...) is counted, not reported.
 * -EINVAL for NULL arguments.
 */
int twc_deframer_push(struct twc_deframer *d,
                      const uint8_t *data,
                      size_t len,
                      size_t *consumed,
                      struct twc_df_event *ev);

/*
 * End of input: reports what is left (garbage before any C0, or a frame without its closing C0)
 * as one TWC_DF_GARBAGE event and returns 1; returns 0 when nothing is pending. A single byte
 * after the last C0 is a trailer and is not reported. The deframer then waits for a C0 again;
 * offsets and stats carry on.
 */
int twc_deframer_finish(struct twc_deframer *d, struct twc_df_event *ev);

/*
 * True when the same bytes pushed from here into a and into b give the same frames and the same
 * bad frames (bad escape, overlong); offsets, stats and how skipped noise is reported may differ.
 * Listeners of one bus in that state may share one deframer (sim_twc_slaves).
 */
bool twc_deframer_same(const struct twc_deframer *a, const struct twc_deframer *b);

/*
 * Decode helpers in the controller's units: centi-amps to milliamps and back (§5.3). The
 * conversion to the wire rounds DOWN, since it becomes a limit.
 */
int32_t twc_ca_to_ma(uint16_t ca);
uint16_t twc_ma_to_ca(int32_t ma);

#endif
