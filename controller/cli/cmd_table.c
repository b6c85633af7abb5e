/* SPDX-License-Identifier: MIT */
/* The side-by-side table (cmd_table.h). */
#include "controller/cli/cmd_table.h"

#include <stdint.h>
#include <string.h>

#define CELL_W 16

static const void *column(const struct cmd_table *t, size_t i)
{
    return (const uint8_t *)t->col + i * t->stride;
}

void cmd_table_head(const struct cmd_table *t,
                    const char *corner,
                    const char *(*name)(const void *col))
{
    fprintf(t->out, "%-*s", t->label_width, corner);
    for (size_t i = 0; i < t->n_col; i++) {
        fprintf(t->out, " %*.*s", CELL_W, CELL_W, name(column(t, i)));
    }
    fputc('\n', t->out);
}

static double field_of(const struct cmd_table_row *r, const void *col)
{
    if (r->value) {
        return r->value(col, r->arg);
    }
    const uint8_t *p = (const uint8_t *)col + r->off;
    double v;
    if (r->field == CMD_TABLE_SIZE) {
        size_t z;
        memcpy(&z, p, sizeof(z));
        v = (double)z;
    } else {
        memcpy(&v, p, sizeof(v));
    }
    return r->div != 0 ? v / r->div : v;
}

static void row(const struct cmd_table *t, const struct cmd_table_row *r)
{
    char label[128];
    if (r->unit) {
        snprintf(label, sizeof(label), "%s (%s)", r->label, r->unit);
    } else {
        snprintf(label, sizeof(label), "%s", r->label);
    }
    fprintf(t->out, "%-*s", t->label_width, label);
    for (size_t i = 0; i < t->n_col; i++) {
        const void *col = column(t, i);
        if (r->text) {
            char cell[64];
            r->text(col, r->arg, cell, sizeof(cell));
            fprintf(t->out, " %*s", CELL_W, cell);
        } else {
            fprintf(t->out, " %*.*f", CELL_W, r->decimals, field_of(r, col));
        }
    }
    fputc('\n', t->out);
}

void cmd_table_rows(const struct cmd_table *t, const struct cmd_table_row *rows, size_t n_rows)
{
    for (size_t k = 0; k < n_rows; k++) {
        row(t, &rows[k]);
    }
}
