/* SPDX-License-Identifier: MIT */
/*
 * The side-by-side table the simulator subcommands print: one column per run (policy), one row per
 * figure, each row a label (with its unit) and a per-column value formatted the same way.
 */
#ifndef AMP_CMD_TABLE_H
#define AMP_CMD_TABLE_H

#include <stddef.h>
#include <stdio.h>

enum cmd_table_field {
    CMD_TABLE_DOUBLE = 0, /* a double at .off in each column's record */
    CMD_TABLE_SIZE = 1,   /* a size_t at .off */
};

struct cmd_table_row {
    const char *label;
    const char *unit; /* shown as "label (unit)"; NULL: the label alone */
    int decimals;     /* the value as "%.*f" */
    enum cmd_table_field field;
    size_t off; /* offsetof the field in a column's record */
    double div; /* shown as field / div; 0: the field as it is */
    /* instead of the field, when set: the value, or (text) the whole cell */
    double (*value)(const void *col, size_t arg);
    void (*text)(const void *col, size_t arg, char *buf, size_t cap);
    size_t arg; /* handed to value / text (a circuit phase, a charger index) */
};

/* Rows of a field at offset off_ in each column's record (shown / div_ when scaled). */
#define CMD_TABLE_NUM(label_, unit_, decimals_, off_)                              \
    {                                                                              \
        .label = (label_), .unit = (unit_), .decimals = (decimals_), .off = (off_) \
    }
#define CMD_TABLE_SCALED(label_, unit_, decimals_, off_, div_)                                    \
    {                                                                                             \
        .label = (label_), .unit = (unit_), .decimals = (decimals_), .off = (off_), .div = (div_) \
    }
#define CMD_TABLE_COUNT(label_, unit_, off_)                                       \
    {                                                                              \
        .label = (label_), .unit = (unit_), .field = CMD_TABLE_SIZE, .off = (off_) \
    }

struct cmd_table {
    FILE *out;
    int label_width; /* the first column's width */
    const void *col; /* the first column's record */
    size_t stride;   /* bytes from one column's record to the next */
    size_t n_col;
};

/* The header: corner in the label column, then each column's name (truncated to the cell). */
void cmd_table_head(const struct cmd_table *t,
                    const char *corner,
                    const char *(*name)(const void *col));

/* Each row: its label, then its value in every column. */
void cmd_table_rows(const struct cmd_table *t, const struct cmd_table_row *rows, size_t n_rows);

#endif
