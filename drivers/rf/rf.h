/* SPDX-License-Identifier: MIT */
/*
 * The Tesla charge-port opener signal (docs/chargeport.md): OOK, Manchester-coded, a preamble and
 * three copies of one 50-bit message separated by code violations. This module reads captures
 * (symbol text, pulse timings, Flipper .sub, an rpitx sendook line, HackRF .cs8 IQ, rpitx v1 RF
 * records), recovers the symbol time and the message, and renders the signal into the same
 * formats. Pure code: it never touches a radio, a file or a clock; the caller owns every buffer.
 */
#ifndef RF_H
#define RF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RF_SYMBOL_US         400u   /* one OOK symbol: 2,500 symbols/s */
#define RF_MSG_BITS          50u    /* the charge-port message */
#define RF_PREAMBLE_PAIRS    12u    /* "10" twelve times: 24 symbols, 12 ones */
#define RF_BLOCKS_PER_TX     3u     /* copies of the message in one transmission */
#define RF_FRAME_SYMBOLS     336u   /* 24 + 3 * (3 + 100) + "000" trailer */
#define RF_PREAMBLE_MIN      16u    /* symbols of 1010... needed to call it a preamble */
#define RF_GAP_SYMBOLS       4u     /* a low of this many symbols or more separates transmissions */
#define RF_BLOCK_BITS_MAX    128u   /* longer blocks are reported, not stored */
#define RF_REPEATS_DEFAULT   5u     /* transmissions per burst (the handle itself sends 10) */
#define RF_GAP_US_DEFAULT    23000u /* silence between transmissions */
#define RF_BURST_MAX_US      5000000u /* 47 CFR 15.231(a)(1): stop within 5 s of activation */
#define RF_CHARGEPORT_MIN_US 300.0    /* symbol times a receiver accepts as this signal */
#define RF_CHARGEPORT_MAX_US 500.0
#define RF_ISSUES_KEPT       16u
#define RF_TX_KEPT           64u
#define RF_BLOCKS_KEPT       256u
#define RF_ITEMS_MAX         (2u * 1024u * 1024u) /* runs or symbols one capture may hold */

/* The message every handle sends, one bit per byte (0 or 1), first bit first. */
extern const uint8_t rf_chargeport_bits[RF_MSG_BITS];

enum rf_region {
    RF_REGION_EU = 0, /* 433.92 MHz: Europe, Australia */
    RF_REGION_US = 1, /* 315 MHz: North America */
};

/* Returns the carrier of a region in Hz. */
uint32_t rf_region_hz(enum rf_region r);

/* Where an item came from: line and column (1-based) of text input, or line 0 and the byte offset
 * of binary input. */
struct rf_loc {
    uint32_t line;
    uint64_t col;
};

/* One stretch of constant level. */
struct rf_run {
    uint32_t us;
    uint8_t on;
    struct rf_loc loc;
};

#define RF_SYM_GAP 2u /* a symbol value standing for a low too long to be part of a frame */

struct rf_sym {
    uint8_t v;       /* 0, 1 or RF_SYM_GAP */
    uint32_t gap_us; /* for RF_SYM_GAP: how long the low lasted */
    struct rf_loc loc;
};

enum rf_input {
    RF_INPUT_AUTO = 0,
    RF_INPUT_SYMBOLS,  /* 0/1 text, any spacing */
    RF_INPUT_TIMINGS,  /* durations in us: alternating on/off, or signed (negative = off) */
    RF_INPUT_FLIPPER,  /* a Flipper Zero .sub RAW file */
    RF_INPUT_SENDOOK,  /* an rpitx sendook command line */
    RF_INPUT_CS8,      /* HackRF interleaved int8 I/Q */
    RF_INPUT_RPITX_RF, /* rpitx v1 `-m RF` records */
};

/* Returns the input's name as the CLI spells it ("symbols", "cs8", ...). */
const char *rf_input_name(enum rf_input in);

/* Parses a name as rf_input_name spells it. Returns 0 or -EINVAL. */
int rf_input_parse(const char *name, enum rf_input *out);

/* A parsed capture: either runs (timed input) or symbols (0/1 text). Grows as it is filled. */
struct rf_capture {
    enum rf_input input; /* what the parser found */
    struct rf_run *runs;
    size_t nruns, cap_runs;
    struct rf_sym *syms;
    size_t nsyms, cap_syms;
    uint64_t freq_hz; /* carrier named by the input (Flipper Frequency:, sendook -f), or 0 */
};

void rf_capture_init(struct rf_capture *c);
void rf_capture_fini(struct rf_capture *c);

/* A parse failure: the place and a static description. */
struct rf_err {
    struct rf_loc loc;
    const char *what;
};

/*
 * Parses text input (no NUL needed). in is AUTO or one of the text inputs; AUTO picks Flipper when
 * a line starts with "Filetype:" or "RAW_Data:", sendook when the first word names it, symbols
 * when no digit 2-9, sign, point or comma appears, timings otherwise. Lines starting with # or ;
 * are comments (rtl_433's .ook header lines start with ;). Returns 0, -EINVAL with *err filled, or
 * -ENOMEM / -EFBIG.
 */
int rf_parse_text(
    struct rf_capture *c, const char *text, size_t len, enum rf_input in, struct rf_err *err);

/*
 * Envelope detector: turns interleaved int8 I/Q sampled at sample_rate_hz into runs. The
 * magnitude is smoothed over ~10 us and sliced halfway between the quietest and loudest level,
 * with hysteresis. Returns 0, -EINVAL (odd length, bad rate, no carrier; *err names the place) or
 * -ENOMEM / -EFBIG.
 */
int rf_parse_cs8(struct rf_capture *c,
                 const int8_t *iq,
                 size_t nbytes,
                 uint32_t sample_rate_hz,
                 struct rf_err *err);

/* Reads rpitx v1 RF records (16 bytes each, little-endian; docs/chargeport.md). */
int rf_parse_rpitx_rf(struct rf_capture *c, const uint8_t *buf, size_t len, struct rf_err *err);

/* Appends a run, merging it into the previous run of the same level. Returns 0 or a code. */
int rf_capture_add_run(struct rf_capture *c, uint8_t on, uint32_t us, struct rf_loc loc);

/* Appends a symbol. Returns 0 or a code. */
int rf_capture_add_sym(struct rf_capture *c, uint8_t v, uint32_t gap_us, struct rf_loc loc);

struct rf_issue {
    struct rf_loc loc;
    const char *what;
};

struct rf_tx {
    size_t start_symbol;
    size_t preamble_symbols; /* 1010... before the first violation */
    size_t blocks;           /* blocks decoded in this transmission */
    size_t violations;       /* code violations seen in it */
    bool trailer;            /* ended with the 000 trailer */
    uint64_t gap_after_us;   /* silence after it (0 when unknown or none) */
    struct rf_loc loc;
};

struct rf_block {
    size_t tx; /* index of its transmission */
    size_t start_symbol;
    size_t nbits;
    uint8_t bits[RF_BLOCK_BITS_MAX];
    bool is_message; /* equal to the voted message */
    struct rf_loc loc;
};

struct rf_result {
    enum rf_input input;
    size_t nruns, nsymbols;
    double symbol_us; /* recovered symbol time; 0 for symbol input (no time base) */
    size_t ntx;       /* transmissions found (the first RF_TX_KEPT are in tx[]) */
    struct rf_tx tx[RF_TX_KEPT];
    size_t nblocks; /* blocks decoded (the first RF_BLOCKS_KEPT are in blocks[]) */
    struct rf_block blocks[RF_BLOCKS_KEPT];
    size_t violations;
    size_t msg_bits; /* the voted message: the most frequent block */
    uint8_t msg[RF_BLOCK_BITS_MAX];
    size_t msg_count;         /* blocks equal to it (the repeats) */
    size_t chargeport_blocks; /* blocks equal to the charge-port message */
    bool is_chargeport;
    size_t nissues; /* problems found (the first RF_ISSUES_KEPT are in issues[]) */
    struct rf_issue issues[RF_ISSUES_KEPT];
};

/*
 * Decodes a parsed capture: recovers the symbol time from the runs (expanding them into c->syms),
 * then finds preambles, code violations, Manchester blocks (10 = 1, 01 = 0), repeats and the
 * voted message. Returns 0 when at least one block was decoded, -ENODATA when none was (res then
 * holds the issues), -ERANGE when no symbol time can be recovered, -EFBIG when the runs expand
 * into more than RF_ITEMS_MAX symbols (a long silence or many repeats at a short symbol time),
 * -ENOMEM.
 */
int rf_decode(struct rf_capture *c, struct rf_result *res);

/* The frame of one transmission as symbols (one per byte). Returns RF_FRAME_SYMBOLS or
 * -EMSGSIZE. */
int rf_frame_symbols(uint8_t *out, size_t cap);

/*
 * The runs of a burst: repeats transmissions, each followed (except the last) by gap_us of
 * silence added to its trailer. Returns the number of runs or -EMSGSIZE / -ERANGE (see
 * rf_burst_check).
 */
int rf_burst_runs(unsigned repeats, uint32_t gap_us, struct rf_run *out, size_t cap);

/* Total air time of a burst in us, silences included. */
uint64_t rf_burst_us(unsigned repeats, uint32_t gap_us);

/* Returns 0 when a burst of repeats transmissions ends within RF_BURST_MAX_US, else -ERANGE. */
int rf_burst_check(unsigned repeats, uint32_t gap_us);

/* Formats a frequency in Hz as sendook reads it ("433.92M", "315M"). */
void rf_format_mhz(uint64_t hz, char *buf, size_t cap);

/*
 * Text renderings of a burst into buf (NUL-terminated). Each returns the length, or -EMSGSIZE.
 *   sendook: one rpitx sendook command line (newline-terminated)
 *   flipper: a Flipper Zero .sub RAW file
 *   timings: comment lines, then one line of comma-separated on/off durations per transmission
 */
int rf_render_sendook(uint64_t freq_hz, unsigned repeats, uint32_t gap_us, char *buf, size_t cap);
int rf_render_flipper(uint64_t freq_hz, unsigned repeats, uint32_t gap_us, char *buf, size_t cap);
int rf_render_timings(uint64_t freq_hz, unsigned repeats, uint32_t gap_us, char *buf, size_t cap);

/* Bytes of a .cs8 rendering of runs at sample_rate_hz. */
uint64_t rf_cs8_size(const struct rf_run *runs, size_t n, uint32_t sample_rate_hz);

/* Renders runs as .cs8 (carrier on: I = 127, Q = 0; off: 0, 0). Returns the byte count or
 * -EMSGSIZE. */
int64_t rf_render_cs8(
    const struct rf_run *runs, size_t n, uint32_t sample_rate_hz, int8_t *buf, size_t cap);

#define RF_RPITX_RECORD 16u /* bytes per rpitx v1 RF record */

/* Renders runs as rpitx v1 RF records. Returns the byte count or -EMSGSIZE. */
int64_t rf_render_rpitx_rf(const struct rf_run *runs, size_t n, uint8_t *buf, size_t cap);

#endif
