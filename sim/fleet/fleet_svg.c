/* SPDX-License-Identifier: MIT */
/* The stacked-current chart (fleet_svg.h). */
#include "sim/fleet/fleet_svg.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define W       1200
#define PANEL_H 300
#define TOP     56
#define LEFT    70
#define RIGHT   220 /* the legend */
#define GAP     70

/* Distinct colours for neighbours: golden-angle hues, two lightness bands. */
static void colour(size_t i, char *buf, size_t len)
{
    double h = fmod((double)i * 137.508, 360);
    snprintf(buf, len, "hsl(%.0f,%d%%,%d%%)", h, 65, i % 2 ? 42 : 58);
}

/* A "nice" step (1, 2 or 5 x 10^k) giving about n ticks over span. */
static double nice_step(double span, int n)
{
    double raw = span / n;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static void panel(FILE *f, const struct fleet_panel *p, double y0)
{
    double pw = W - LEFT - RIGHT, ph = PANEL_H;
    /* the scale: the highest stack or limit, with room above */
    double top = 1;
    for (size_t b = 0; b < p->n_bucket; b++) {
        double s = 0;
        for (size_t i = 0; i < p->n_series; i++) {
            s += p->val[b * p->n_series + i];
        }
        top = s > top ? s : top;
    }
    for (size_t l = 0; l < p->n_limit; l++) {
        top = p->limit_a[l] > top ? p->limit_a[l] : top;
    }
    top *= 1.08;
    fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"15\" font-weight=\"bold\">", LEFT, y0 - 10);
    xml_text(f, p->title);
    fprintf(f, "</text>\n");
    fprintf(f,
            "<rect x=\"%d\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" "
            "stroke=\"#999\"/>\n",
            LEFT, y0, pw, ph);
    /* y grid and labels (A) */
    double ys = nice_step(top, 5);
    for (double v = 0; v <= top; v += ys) {
        double y = y0 + ph - v / top * ph;
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n",
                LEFT, y, LEFT + pw, y);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%g</text>\n",
                LEFT - 6, y + 4, v);
    }
    fprintf(f,
            "<text x=\"16\" y=\"%.1f\" font-size=\"12\" transform=\"rotate(-90 16 %.1f)\" "
            "text-anchor=\"middle\">current (A)</text>\n",
            y0 + ph / 2, y0 + ph / 2);
    /* x grid: hours or days from the start */
    double span = p->t1_s - p->t0_s;
    bool days = span > 3 * 86400;
    double unit = days ? 86400 : 3600;
    double xs = nice_step(span / unit, 10);
    for (double v = ceil(p->t0_s / unit / xs) * xs; v * unit <= p->t1_s; v += xs) {
        double x = LEFT + (v * unit - p->t0_s) / span * pw;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n",
                x, y0, x, y0 + ph);
        fprintf(f,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%g</text>\n",
                x, y0 + ph + 15, v);
    }
    fprintf(f,
            "<text x=\"%.0f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">%s from the "
            "start</text>\n",
            LEFT + pw / 2, y0 + ph + 32, days ? "days" : "hours");
    /* stacked areas, bottom series first */
    double bw = pw / (double)(p->n_bucket ? p->n_bucket : 1);
    for (size_t i = 0; i < p->n_series; i++) {
        char c[40];
        colour(i, c, sizeof(c));
        fprintf(f, "<path fill=\"%s\" stroke=\"none\" d=\"", c);
        /* upper edge left to right, then the lower edge back */
        for (int pass = 0; pass < 2; pass++) {
            for (size_t k = 0; k < p->n_bucket; k++) {
                size_t b = pass == 0 ? k : p->n_bucket - 1 - k;
                double below = 0;
                for (size_t j = 0; j < i; j++) {
                    below += p->val[b * p->n_series + j];
                }
                double v = pass == 0 ? below + p->val[b * p->n_series + i] : below;
                double y = y0 + ph - v / top * ph;
                double x = LEFT + ((double)b + 0.5) * bw;
                fprintf(f, "%s%.1f %.1f", k == 0 && pass == 0 ? "M" : "L", x, y);
            }
        }
        fprintf(f, "Z\"/>\n");
    }
    for (size_t l = 0; l < p->n_limit; l++) {
        double y = y0 + ph - p->limit_a[l] / top * ph;
        fprintf(f,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#c00\" "
                "stroke-width=\"2\" "
                "stroke-dasharray=\"8 5\"/>\n",
                LEFT, y, LEFT + pw, y);
        int near = 0; /* limits drawn at about the same height: labels one under the other */
        for (size_t j = 0; j < l; j++) {
            near += fabs(p->limit_a[j] - p->limit_a[l]) < top * 0.04;
        }
        fprintf(f,
                "<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\" fill=\"#c00\" text-anchor=\"end\">",
                LEFT + pw - 4, y - 4 + 13.0 * near + (near ? 4 : 0));
        xml_text(f, p->limit_label[l]);
        fprintf(f, "</text>\n");
    }
    /* legend: as many chargers as fit, top of the stack first */
    size_t fit = (size_t)(ph / 14);
    for (size_t k = 0; k < p->n_series && k < fit; k++) {
        size_t i = p->n_series - 1 - k;
        char c[40];
        colour(i, c, sizeof(c));
        double y = y0 + 4 + (double)k * 14;
        if (k + 1 == fit && p->n_series > fit) {
            fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\">... and %zu more</text>\n",
                    LEFT + pw + 12, y + 10, p->n_series - fit + 1);
            break;
        }
        fprintf(f, "<rect x=\"%.0f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>\n",
                LEFT + pw + 12, y, c);
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\">", LEFT + pw + 27, y + 9);
        xml_text(f, p->name[i]);
        fprintf(f, "</text>\n");
    }
}

int fleet_svg_write(FILE *f, const char *title, const struct fleet_panel *p, size_t n_panel)
{
    double h = TOP + (double)n_panel * (PANEL_H + GAP) + 10;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 "
            "%d %.0f\" "
            "font-family=\"DejaVu Sans, Arial, sans-serif\">\n",
            W, h, W, h);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"17\" font-weight=\"bold\">", LEFT);
    xml_text(f, title);
    fprintf(f, "</text>\n");
    for (size_t i = 0; i < n_panel; i++) {
        panel(f, &p[i], TOP + 20 + (double)i * (PANEL_H + GAP));
    }
    fprintf(f, "</svg>\n");
    return ferror(f) ? -EIO : 0;
}
