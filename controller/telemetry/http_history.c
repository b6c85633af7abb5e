/* SPDX-License-Identifier: MIT */
/* The last hour of every circuit's load, sampled on a timer, for the status page's chart. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controller/telemetry/http.h"

int http_history_init(struct http_history *h, size_t n_circuit, size_t cap, uint32_t interval_ms)
{
    memset(h, 0, sizeof(*h));
    h->n_circuit = n_circuit;
    h->cap = cap;
    h->interval_ms = interval_ms;
    h->wall_ms = calloc(cap ? cap : 1, sizeof(*h->wall_ms));
    h->load_ma = calloc((cap ? cap : 1) * (n_circuit ? n_circuit : 1), sizeof(*h->load_ma));
    if (!h->wall_ms || !h->load_ma) {
        http_history_fini(h);
        return -ENOMEM;
    }
    return 0;
}

void http_history_fini(struct http_history *h)
{
    free(h->wall_ms);
    free(h->load_ma);
    memset(h, 0, sizeof(*h));
}

void http_history_add(struct http_history *h, const struct status_snapshot *snap)
{
    if (!h->cap) {
        return;
    }
    size_t slot = (h->head + h->count) % h->cap;
    if (h->count == h->cap) {
        h->head = (h->head + 1) % h->cap; /* the oldest sample goes */
    } else {
        h->count++;
    }
    h->wall_ms[slot] = snap->wall_ms;
    for (size_t c = 0; c < h->n_circuit; c++) {
        int32_t *dst = h->load_ma[slot * h->n_circuit + c];
        if (c < snap->n_circuit) {
            memcpy(dst, snap->circuit[c].load_ma, sizeof(int32_t[3]));
        } else {
            memset(dst, 0, sizeof(int32_t[3]));
        }
    }
}

static json_t *amps_of(const int32_t ma[3], uint8_t mask, json_t *row)
{
    for (int p = 0; row && p < 3; p++) {
        if (mask & (1u << p)) {
            json_array_append_new(row, json_real(ma[p] / 1000.0));
        }
    }
    return row;
}

json_t *http_history_json(const struct http_history *h, const struct status_snapshot *snap)
{
    json_t *list = json_array();
    json_t *doc = json_pack("{s:f, s:o}", "interval_s", h->interval_ms / 1000.0, "circuits", list);
    if (!doc) {
        return NULL;
    }
    static const char *const names[3] = {"L1", "L2", "L3"};
    for (size_t c = 0; c < h->n_circuit && c < snap->n_circuit; c++) {
        const struct status_circuit *ci = &snap->circuit[c];
        json_t *phases = json_array(), *points = json_array();
        for (int p = 0; phases && p < 3; p++) {
            if (ci->phases & (1u << p)) {
                json_array_append_new(phases, json_string(names[p]));
            }
        }
        for (size_t k = 0; points && k < h->count; k++) {
            size_t slot = (h->head + k) % h->cap;
            json_t *row = json_array();
            json_array_append_new(row, json_real(h->wall_ms[slot] / 1000.0));
            json_array_append_new(points, amps_of(h->load_ma[slot * h->n_circuit + c], ci->phases,
                                                  row));
        }
        json_t *item = json_pack("{s:s, s:o, s:o, s:o}", "name", ci->name, "phases", phases,
                                 "rating_a", amps_of(ci->rating_ma, ci->phases, json_array()),
                                 "points", points);
        if (!item || json_array_append_new(list, item) != 0) {
            json_decref(doc);
            return NULL;
        }
    }
    return doc;
}
