/* SPDX-License-Identifier: MIT */
/* ampshare chargeport: decode captures of the Tesla charge-port opener signal and write it out for
 * rpitx, Flipper Zero or HackRF. Never transmits (drivers/rf/ has no radio code at all). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_util.h"
#include "drivers/rf/rf.h"

#define CP_INPUT_MAX       (512u * 1024u * 1024u) /* bytes of capture read at most */
#define CP_SAMPLE_RATE_DEF 8000000u               /* HackRF docs advise 8 MS/s or more */
#define CP_SAMPLE_RATE_MIN 2000000L               /* hackrf_transfer -s range */
#define CP_SAMPLE_RATE_MAX 20000000L
#define CP_CS8_LEAD_US     2000u
#define CP_TEXT_MAX        (4u * 1024u * 1024u)

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: ampshare chargeport decode [--json] [--input KIND] [--sample-rate HZ] [FILE | -]\n"
        "       ampshare chargeport emit --format sendook|flipper|cs8|timings|rpitx-rf\n"
        "                [--region eu|us] [--repeats N] [--gap-ms MS] [--out FILE]\n"
        "                [--sample-rate HZ]\n"
        "\n"
        "The Tesla charge-port opener signal (docs/chargeport.md): OOK, 400 us symbols,\n"
        "Manchester, a 24-symbol preamble and three copies of one 50-bit message.\n"
        "ampshare never transmits; emit only writes files and command lines.\n"
        "Run 'ampshare chargeport decode --help' or 'ampshare chargeport emit --help'.\n");
}

static void usage_decode(FILE *out)
{
    fprintf(
        out,
        "usage: ampshare chargeport decode [--json] [--input KIND] [--sample-rate HZ] [FILE | -]\n"
        "\n"
        "Recovers the symbol time, preambles, code violations, Manchester blocks and repeats\n"
        "of a capture, and says whether it carries the charge-port message. Reads FILE, or\n"
        "stdin when FILE is - or missing.\n"
        "\n"
        "Inputs (--input, default auto: by extension .cs8 / .rf, else from the text):\n"
        "  symbols   OOK symbols as 0/1 text, any spacing\n"
        "  timings   durations in us, one per line or comma/space separated; unsigned values\n"
        "            alternate on/off starting on, signed ones set the level (negative =\n"
        "            off); lines starting # or ; are comments (rtl_433 -w file.ook works)\n"
        "  flipper   a Flipper Zero .sub RAW file (RAW_Data lines)\n"
        "  sendook   an rpitx sendook command line\n"
        "  cs8       HackRF int8 I/Q (envelope detector; --sample-rate, default 8000000)\n"
        "  rpitx-rf  rpitx v1 '-m RF' records\n"
        "\n"
        "options:\n"
        "  --json         one JSON object (keys: docs/chargeport.md)\n"
        "  -h, --help     this help\n"
        "\n"
        "Exit status: 0 when a block was decoded, 1 when the input is malformed or holds no\n"
        "block (the error names line and column, or the byte offset), 2 on wrong arguments.\n");
}

static void usage_emit(FILE *out)
{
    fprintf(
        out,
        "usage: ampshare chargeport emit --format FORMAT [--region eu|us] [--repeats N]\n"
        "                [--gap-ms MS] [--out FILE] [--sample-rate HZ]\n"
        "\n"
        "Writes the charge-port signal for a transmitter; ampshare itself never transmits.\n"
        "Formats:\n"
        "  sendook   the rpitx sendook command line\n"
        "  flipper   a Flipper Zero .sub RAW file\n"
        "  timings   on/off durations in us, one transmission per line\n"
        "  cs8       HackRF int8 I/Q, carrier on/off (needs --out; hackrf_transfer command on\n"
        "            stderr)\n"
        "  rpitx-rf  rpitx v1 '-m RF' records (needs --out; rpitx command on stderr)\n"
        "\n"
        "options:\n"
        "  --region eu|us     433.92 MHz (Europe, Australia; default) or 315 MHz (North America)\n"
        "  --repeats N        transmissions (default 5); the burst must end within 5 s\n"
        "  --gap-ms MS        silence between transmissions (default 23)\n"
        "  --out FILE         write there instead of stdout (- is stdout)\n"
        "  --sample-rate HZ   cs8 rate, 2000000..20000000 (default 8000000)\n"
        "  -h, --help         this help\n"
        "\n"
        "Transmitting on these bands is regulated: see docs/chargeport.md before you do.\n");
}

/* Reads all of f into a new buffer (caller frees). Returns 0 or a negative code. */
static int read_all(FILE *f, char **out, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        return -ENOMEM;
    }
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            if (cap >= CP_INPUT_MAX) {
                free(buf);
                return -EFBIG;
            }
            char *p = realloc(buf, cap * 2);
            if (p == NULL) {
                free(buf);
                return -ENOMEM;
            }
            buf = p;
            cap *= 2;
        }
    }
    if (ferror(f)) {
        free(buf);
        return -EIO;
    }
    *out = buf;
    *len = n;
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void print_where(FILE *out, const char *name, struct rf_loc loc)
{
    if (loc.line > 0) {
        fprintf(out, "%s:%u:%llu", name, loc.line, (unsigned long long)loc.col);
    } else {
        fprintf(out, "%s: byte %llu", name, (unsigned long long)loc.col);
    }
}

static void json_loc(struct rf_loc loc)
{
    if (loc.line > 0) {
        printf("\"line\":%u,\"col\":%llu,\"byte\":null", loc.line, (unsigned long long)loc.col);
    } else {
        printf("\"line\":null,\"col\":null,\"byte\":%llu", (unsigned long long)loc.col);
    }
}

static void print_bits(const uint8_t *bits, size_t n)
{
    for (size_t i = 0; i < n && i < RF_BLOCK_BITS_MAX; i++) {
        putchar(bits[i] ? '1' : '0');
    }
}

/* The bits packed MSB first, left-aligned (the last byte padded with zeros). */
static void print_hex(const uint8_t *bits, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        unsigned v = 0;
        for (size_t k = 0; k < 8; k++) {
            v = (v << 1) | (i + k < n ? bits[i + k] : 0);
        }
        printf("%02x", v);
    }
}

static void print_json(const struct rf_result *r)
{
    printf("{\"input\":\"%s\",\"runs\":%zu,\"symbols\":%zu,", rf_input_name(r->input), r->nruns,
           r->nsymbols);
    if (r->symbol_us > 0.0) {
        printf("\"symbol_us\":%.1f,\"symbol_rate\":%.1f,", r->symbol_us, 1e6 / r->symbol_us);
    } else {
        printf("\"symbol_us\":null,\"symbol_rate\":null,");
    }
    printf("\"transmissions\":[");
    for (size_t i = 0; i < r->ntx && i < RF_TX_KEPT; i++) {
        const struct rf_tx *t = &r->tx[i];
        printf("%s{\"start_symbol\":%zu,\"preamble_symbols\":%zu,\"preamble_ones\":%zu,"
               "\"blocks\":%zu,\"violations\":%zu,\"trailer\":%s,\"gap_after_us\":",
               i ? "," : "", t->start_symbol, t->preamble_symbols, t->preamble_symbols / 2,
               t->blocks, t->violations, t->trailer ? "true" : "false");
        if (t->gap_after_us > 0) {
            printf("%llu,", (unsigned long long)t->gap_after_us);
        } else {
            printf("null,");
        }
        json_loc(t->loc);
        printf("}");
    }
    printf("],\"transmissions_total\":%zu,\"violations\":%zu,\"blocks\":[", r->ntx, r->violations);
    for (size_t i = 0; i < r->nblocks && i < RF_BLOCKS_KEPT; i++) {
        const struct rf_block *b = &r->blocks[i];
        printf("%s{\"transmission\":%zu,\"start_symbol\":%zu,\"nbits\":%zu,\"bits\":\"",
               i ? "," : "", b->tx, b->start_symbol, b->nbits);
        print_bits(b->bits, b->nbits);
        printf("\",\"is_message\":%s,", b->is_message ? "true" : "false");
        json_loc(b->loc);
        printf("}");
    }
    printf("],\"blocks_total\":%zu,", r->nblocks);
    if (r->msg_bits > 0) {
        printf("\"message\":\"");
        print_bits(r->msg, r->msg_bits);
        printf("\",\"message_bits\":%zu,\"message_hex\":\"", r->msg_bits);
        print_hex(r->msg, r->msg_bits);
        printf("\",");
    } else {
        printf("\"message\":null,\"message_bits\":0,\"message_hex\":null,");
    }
    printf("\"repeats\":%zu,\"chargeport_blocks\":%zu,\"is_chargeport\":%s,\"issues\":[",
           r->msg_count, r->chargeport_blocks, r->is_chargeport ? "true" : "false");
    for (size_t i = 0; i < r->nissues && i < RF_ISSUES_KEPT; i++) {
        printf("%s{", i ? "," : "");
        json_loc(r->issues[i].loc);
        printf(",\"what\":\"%s\"}", r->issues[i].what);
    }
    printf("],\"issues_total\":%zu}\n", r->nissues);
}

static void print_text(const struct rf_result *r, const char *name)
{
    printf("input: %s, %zu runs, %zu symbols\n", rf_input_name(r->input), r->nruns, r->nsymbols);
    if (r->symbol_us > 0.0) {
        printf("symbol time: %.1f us (%.0f symbols/s)\n", r->symbol_us, 1e6 / r->symbol_us);
    }
    for (size_t i = 0; i < r->ntx && i < RF_TX_KEPT; i++) {
        const struct rf_tx *t = &r->tx[i];
        printf("transmission %zu at symbol %zu: preamble %zu symbols (%zu ones), %zu blocks, %zu "
               "code violations%s",
               i + 1, t->start_symbol, t->preamble_symbols, t->preamble_symbols / 2, t->blocks,
               t->violations, t->trailer ? ", trailer 000" : "");
        if (t->gap_after_us > 0) {
            printf(", then %.1f ms low", t->gap_after_us / 1000.0);
        }
        printf("\n");
    }
    for (size_t i = 0; i < r->nblocks && i < RF_BLOCKS_KEPT; i++) {
        const struct rf_block *b = &r->blocks[i];
        printf("  block %zu (transmission %zu, symbol %zu): ", i + 1, b->tx + 1, b->start_symbol);
        print_bits(b->bits, b->nbits);
        printf(" (%zu bits)%s\n", b->nbits, b->is_message ? "" : " differs");
    }
    if (r->msg_bits > 0) {
        printf("message: ");
        print_bits(r->msg, r->msg_bits);
        printf(" (%zu bits, hex ", r->msg_bits);
        print_hex(r->msg, r->msg_bits);
        printf(" left-aligned) in %zu of %zu blocks, %zu code violations\n", r->msg_count,
               r->nblocks, r->violations);
    }
    for (size_t i = 0; i < r->nissues && i < RF_ISSUES_KEPT; i++) {
        print_where(stdout, name, r->issues[i].loc);
        printf(": warning: %s\n", r->issues[i].what);
    }
    if (r->nissues > RF_ISSUES_KEPT) {
        printf("(%zu more warnings)\n", r->nissues - RF_ISSUES_KEPT);
    }
    printf("charge-port message: %s\n", r->is_chargeport ? "yes" : "no");
}

static int parse_input(struct rf_capture *cap,
                       enum rf_input in,
                       const char *buf,
                       size_t len,
                       uint32_t rate,
                       struct rf_err *err)
{
    if (in == RF_INPUT_CS8) {
        return rf_parse_cs8(cap, (const int8_t *)buf, len, rate, err);
    }
    if (in == RF_INPUT_RPITX_RF) {
        return rf_parse_rpitx_rf(cap, (const uint8_t *)buf, len, err);
    }
    return rf_parse_text(cap, buf, len, in, err);
}

static int decode_main(int argc, char **argv)
{
    bool json = false;
    const char *path = NULL, *v;
    enum rf_input in = RF_INPUT_AUTO;
    long rate = CP_SAMPLE_RATE_DEF;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--input")) != NULL) {
            if (rf_input_parse(v, &in) < 0) {
                fprintf(stderr, "chargeport decode: --input '%s' is not an input kind\n", v);
                return CMD_EXIT_USAGE;
            }
        } else if ((v = cmd_opt_value(argc, argv, &i, "--sample-rate")) != NULL) {
            if (cmd_parse_long(v, 10, 100000, 100000000, &rate) < 0) {
                fprintf(stderr, "chargeport decode: --sample-rate '%s' is not 100000..100000000\n",
                        v);
                return CMD_EXIT_USAGE;
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "chargeport decode: unknown option '%s'\n", argv[i]);
            usage_decode(stderr);
            return CMD_EXIT_USAGE;
        } else if (path == NULL) {
            path = argv[i];
        } else {
            fprintf(stderr, "chargeport decode: one input at a time\n");
            return CMD_EXIT_USAGE;
        }
    }
    bool use_stdin = path == NULL || strcmp(path, "-") == 0;
    const char *name = use_stdin ? "<stdin>" : path;
    if (in == RF_INPUT_AUTO && !use_stdin) {
        in = ends_with(path, ".cs8")  ? RF_INPUT_CS8
             : ends_with(path, ".rf") ? RF_INPUT_RPITX_RF
                                      : RF_INPUT_AUTO;
    }
    FILE *f = use_stdin ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "chargeport decode: %s: %s\n", path, strerror(errno));
        return CMD_EXIT_FAIL;
    }
    char *buf = NULL;
    size_t len = 0;
    int rc = read_all(f, &buf, &len);
    if (!use_stdin) {
        fclose(f);
    }
    if (rc < 0) {
        fprintf(stderr, "chargeport decode: %s: %s\n", name, strerror(-rc));
        return CMD_EXIT_FAIL;
    }
    struct rf_capture cap;
    rf_capture_init(&cap);
    struct rf_err err = {0};
    struct rf_result *res = calloc(1, sizeof(*res));
    int exit_code = CMD_EXIT_FAIL;
    if (res == NULL) {
        fprintf(stderr, "chargeport decode: out of memory\n");
        goto out;
    }
    rc = parse_input(&cap, in, buf, len, (uint32_t)rate, &err);
    if (rc == -EINVAL) {
        print_where(stderr, name, err.loc);
        fprintf(stderr, ": error: %s\n", err.what);
        if (json) {
            printf("{\"error\":\"%s\",", err.what);
            json_loc(err.loc);
            printf("}\n");
        }
        goto out;
    }
    if (rc < 0) {
        fprintf(stderr, "chargeport decode: %s: %s\n", name, strerror(-rc));
        goto out;
    }
    rc = rf_decode(&cap, res);
    if (rc == -ENOMEM) {
        fprintf(stderr, "chargeport decode: out of memory\n");
        goto out;
    }
    if (rc == -EFBIG) {
        fprintf(stderr, "chargeport decode: %s: too long: its pulses make more than %u symbols\n",
                name, RF_ITEMS_MAX);
        goto out;
    }
    if (json) {
        print_json(res);
    } else {
        print_text(res, name);
    }
    if (rc < 0) {
        fprintf(stderr, "chargeport decode: %s: no Manchester block decoded\n", name);
        goto out;
    }
    exit_code = CMD_EXIT_OK;
out:
    free(res);
    rf_capture_fini(&cap);
    free(buf);
    return exit_code;
}

struct emit_opts {
    const char *format, *out;
    enum rf_region region;
    long repeats, gap_ms, rate;
};

/* The most transmissions that still end within the 5 s limit at this gap. */
static unsigned max_repeats(uint32_t gap_us)
{
    unsigned n = 1;
    while (rf_burst_check(n + 1, gap_us) == 0) {
        n++;
    }
    return n;
}

/* Writes buf to o->out (stdout when missing or -). Binary output refuses a terminal. */
static int write_out(const struct emit_opts *o, const void *buf, size_t len, bool binary)
{
    bool to_stdout = o->out == NULL || strcmp(o->out, "-") == 0;
    if (binary && to_stdout && isatty(STDOUT_FILENO)) {
        fprintf(stderr, "chargeport emit: --format %s is binary: give --out FILE\n", o->format);
        return CMD_EXIT_USAGE;
    }
    FILE *f = to_stdout ? stdout : fopen(o->out, "wb");
    if (f == NULL) {
        fprintf(stderr, "chargeport emit: %s: %s\n", o->out, strerror(errno));
        return CMD_EXIT_FAIL;
    }
    bool ok = fwrite(buf, 1, len, f) == len;
    ok = (to_stdout ? fflush(f) : fclose(f)) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "chargeport emit: %s: write failed\n", to_stdout ? "<stdout>" : o->out);
        return CMD_EXIT_FAIL;
    }
    return CMD_EXIT_OK;
}

static int emit_binary(const struct emit_opts *o, uint64_t hz, uint32_t gap_us)
{
    size_t cap_runs = (size_t)o->repeats * RF_FRAME_SYMBOLS + 1;
    struct rf_run *runs = malloc(cap_runs * sizeof(*runs));
    void *buf = NULL;
    int exit_code = CMD_EXIT_FAIL;
    bool cs8 = strcmp(o->format, "cs8") == 0;
    /* The IQ file starts with a little silence: a receiver (rtl_433) needs a quiet level before the
     * first pulse to see its edge, and the radio a moment to settle. */
    size_t lead = cs8 ? 1 : 0;
    int n =
        runs ? rf_burst_runs((unsigned)o->repeats, gap_us, runs + lead, cap_runs - lead) : -ENOMEM;
    if (n < 0) {
        fprintf(stderr, "chargeport emit: %s\n", strerror(-n));
        goto out;
    }
    if (cs8) {
        runs[0] = (struct rf_run){.us = CP_CS8_LEAD_US, .on = 0};
        n++;
    }
    size_t size = cs8 ? (size_t)rf_cs8_size(runs, (size_t)n, (uint32_t)o->rate)
                      : (size_t)n * RF_RPITX_RECORD * 2;
    buf = malloc(size ? size : 1);
    int64_t len = buf == NULL ? -ENOMEM
                  : cs8       ? rf_render_cs8(runs, (size_t)n, (uint32_t)o->rate, buf, size)
                              : rf_render_rpitx_rf(runs, (size_t)n, buf, size);
    if (len < 0) {
        fprintf(stderr, "chargeport emit: %s\n", strerror((int)-len));
        goto out;
    }
    exit_code = write_out(o, buf, (size_t)len, true);
    if (exit_code != CMD_EXIT_OK) {
        goto out;
    }
    const char *file = o->out && strcmp(o->out, "-") != 0 ? o->out : "-";
    if (cs8) {
        /* -x is TX VGA gain 0..47 dB: start at 0 and raise it only as far as needed. */
        fprintf(stderr, "hackrf_transfer -t %s -f %llu -s %ld -x 0\n", file, (unsigned long long)hz,
                o->rate);
    } else {
        fprintf(stderr, "sudo rpitx -m RF -i %s -f %.3f\n", file, (double)hz / 1000.0);
    }
out:
    free(buf);
    free(runs);
    return exit_code;
}

static int emit_run(const struct emit_opts *o)
{
    uint64_t hz = rf_region_hz(o->region);
    uint32_t gap_us = (uint32_t)o->gap_ms * 1000u;
    if (rf_burst_check((unsigned)o->repeats, gap_us) < 0) {
        fprintf(stderr,
                "chargeport emit: %ld transmissions take %.2f s; 47 CFR 15.231(a) wants a "
                "transmitter to stop within 5 s (at most %u with --gap-ms %ld)\n",
                o->repeats, rf_burst_us((unsigned)o->repeats, gap_us) / 1e6, max_repeats(gap_us),
                o->gap_ms);
        return CMD_EXIT_USAGE;
    }
    int rc;
    if (strcmp(o->format, "cs8") == 0 || strcmp(o->format, "rpitx-rf") == 0) {
        rc = emit_binary(o, hz, gap_us);
    } else {
        char *text = malloc(CP_TEXT_MAX);
        if (text == NULL) {
            return CMD_EXIT_FAIL;
        }
        unsigned r = (unsigned)o->repeats;
        int len = strcmp(o->format, "sendook") == 0
                      ? rf_render_sendook(hz, r, gap_us, text, CP_TEXT_MAX)
                  : strcmp(o->format, "flipper") == 0
                      ? rf_render_flipper(hz, r, gap_us, text, CP_TEXT_MAX)
                      : rf_render_timings(hz, r, gap_us, text, CP_TEXT_MAX);
        rc = len < 0 ? CMD_EXIT_FAIL : write_out(o, text, (size_t)len, false);
        if (len < 0) {
            fprintf(stderr, "chargeport emit: %s\n", strerror(-len));
        }
        free(text);
    }
    if (rc == CMD_EXIT_OK) {
        char mhz[32];
        rf_format_mhz(hz, mhz, sizeof(mhz));
        fprintf(stderr,
                "chargeport: %ld transmissions, %.1f ms on air at %sHz; ampshare never transmits; "
                "check the rules for this band before you do (docs/chargeport.md)\n",
                o->repeats, rf_burst_us((unsigned)o->repeats, gap_us) / 1e3, mhz);
    }
    return rc;
}

static int emit_main(int argc, char **argv)
{
    struct emit_opts o = {.region = RF_REGION_EU,
                          .repeats = RF_REPEATS_DEFAULT,
                          .gap_ms = RF_GAP_US_DEFAULT / 1000,
                          .rate = CP_SAMPLE_RATE_DEF};
    const char *v;
    for (int i = 1; i < argc; i++) {
        if ((v = cmd_opt_value(argc, argv, &i, "--format")) != NULL) {
            o.format = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--region")) != NULL) {
            if (strcmp(v, "eu") != 0 && strcmp(v, "us") != 0) {
                fprintf(stderr, "chargeport emit: --region '%s' is not eu or us\n", v);
                return CMD_EXIT_USAGE;
            }
            o.region = strcmp(v, "us") == 0 ? RF_REGION_US : RF_REGION_EU;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--repeats")) != NULL) {
            if (cmd_parse_long(v, 10, 1, 1000, &o.repeats) < 0) {
                fprintf(stderr, "chargeport emit: --repeats '%s' is not a number of 1 or more\n",
                        v);
                return CMD_EXIT_USAGE;
            }
        } else if ((v = cmd_opt_value(argc, argv, &i, "--gap-ms")) != NULL) {
            if (cmd_parse_long(v, 10, 0, 1000, &o.gap_ms) < 0) {
                fprintf(stderr, "chargeport emit: --gap-ms '%s' is not 0..1000\n", v);
                return CMD_EXIT_USAGE;
            }
        } else if ((v = cmd_opt_value(argc, argv, &i, "--out")) != NULL) {
            o.out = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--sample-rate")) != NULL) {
            if (cmd_parse_long(v, 10, CP_SAMPLE_RATE_MIN, CP_SAMPLE_RATE_MAX, &o.rate) < 0) {
                fprintf(stderr,
                        "chargeport emit: --sample-rate '%s' is not 2000000..20000000 "
                        "(hackrf_transfer -s)\n",
                        v);
                return CMD_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "chargeport emit: unknown argument '%s'\n", argv[i]);
            usage_emit(stderr);
            return CMD_EXIT_USAGE;
        }
    }
    static const char *const formats[] = {"sendook", "flipper", "cs8", "timings", "rpitx-rf"};
    bool known = false;
    for (size_t k = 0; o.format && k < sizeof(formats) / sizeof(formats[0]); k++) {
        known = known || strcmp(o.format, formats[k]) == 0;
    }
    if (!known) {
        fprintf(stderr, "chargeport emit: --format must be sendook, flipper, cs8, timings or "
                        "rpitx-rf\n");
        return CMD_EXIT_USAGE;
    }
    return emit_run(&o);
}

int cmd_chargeport(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CMD_EXIT_USAGE;
    }
    bool help = cmd_wants_help(argc - 1, argv + 1);
    if (strcmp(argv[1], "decode") == 0) {
        if (help) {
            usage_decode(stdout);
            return CMD_EXIT_OK;
        }
        return decode_main(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "emit") == 0) {
        if (help) {
            usage_emit(stdout);
            return CMD_EXIT_OK;
        }
        return emit_main(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return CMD_EXIT_OK;
    }
    fprintf(stderr, "chargeport: '%s' is not decode or emit\n", argv[1]);
    usage(stderr);
    return CMD_EXIT_USAGE;
}
