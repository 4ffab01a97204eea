#include "runtime/parity_image.h"

#include "core/mem.h"

#include <math.h>
#include <stdlib.h>

const char *pf_parity_verdict_name(pf_parity_verdict v) {
    return v == PF_PARITY_IDENTICAL ? "identical" : v == PF_PARITY_EQUIVALENT ? "equivalent" : "different";
}

/* Luma of a pixel composited over black: a transparent background weighs
 * nothing, as it shows nothing. */
static double luma(const uint8_t *p) { return (0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]) * p[3] / 255.0; }

#define SSIM_WINDOW 8
#define SSIM_STEP 4

/* Mean SSIM over 8x8 windows every 4 pixels (the whole image when it is
 * smaller), with the usual constants for 8-bit data. */
static double ssim(const pf_image *a, const pf_image *b) {
    const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
    unsigned ww = a->width < SSIM_WINDOW ? a->width : SSIM_WINDOW;
    unsigned wh = a->height < SSIM_WINDOW ? a->height : SSIM_WINDOW;
    double total = 0;
    size_t windows = 0;
    for (unsigned y0 = 0; y0 + wh <= a->height; y0 += SSIM_STEP) {
        for (unsigned x0 = 0; x0 + ww <= a->width; x0 += SSIM_STEP) {
            double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
            for (unsigned y = y0; y < y0 + wh; y++)
                for (unsigned x = x0; x < x0 + ww; x++) {
                    size_t i = ((size_t)y * a->width + x) * 4;
                    double la = luma(a->rgba + i), lb = luma(b->rgba + i);
                    sa += la, sb += lb, saa += la * la, sbb += lb * lb, sab += la * lb;
                }
            double n = (double)ww * wh, ma = sa / n, mb = sb / n;
            double va = saa / n - ma * ma, vb = sbb / n - mb * mb, cov = sab / n - ma * mb;
            total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            windows++;
            if (a->width < SSIM_WINDOW) break;
        }
        if (a->height < SSIM_WINDOW) break;
    }
    return windows ? total / (double)windows : 1.0;
}

void pf_parity_compare_images(const pf_image *a, const pf_image *b, pf_parity_image_result *r, pf_image *diff) {
    *r = (pf_parity_image_result){.verdict = PF_PARITY_DIFFERENT, .psnr = 0, .ssim = 0};
    if (diff) *diff = (pf_image){0};
    if (a->width != b->width || a->height != b->height || !a->width || !a->height) return;
    r->same_size = true;
    size_t n = (size_t)a->width * a->height;
    if (diff) {
        diff->width = a->width, diff->height = a->height;
        diff->rgba = pf_xcalloc(n, 4);
    }
    double squared = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = a->rgba + i * 4, *q = b->rgba + i * 4;
        int d = 0;
        for (int c = 0; c < 4; c++) {
            int v = abs((int)p[c] - (int)q[c]);
            squared += (double)v * v;
            if (v > d) d = v;
        }
        if (d) r->differing_pixels++;
        if (d > r->max_channel_difference) r->max_channel_difference = d;
        if (!diff) continue;
        uint8_t *o = diff->rgba + i * 4;
        if (d) { /* even a difference of 1 shows */
            o[0] = (uint8_t)(d * 4 + 128 > 255 ? 255 : d * 4 + 128), o[1] = 0, o[2] = 0;
        } else {
            uint8_t grey = (uint8_t)(160 + luma(p) * 0.25);
            o[0] = o[1] = o[2] = grey;
        }
        o[3] = 255;
    }
    if (!r->differing_pixels) {
        r->verdict = PF_PARITY_IDENTICAL;
        r->psnr = INFINITY;
        r->ssim = 1;
        return;
    }
    double mse = squared / ((double)n * 4);
    r->psnr = 10 * log10(255.0 * 255.0 / mse);
    r->ssim = ssim(a, b);
    r->verdict =
        r->psnr >= PF_PARITY_PSNR_MIN && r->ssim >= PF_PARITY_SSIM_MIN ? PF_PARITY_EQUIVALENT : PF_PARITY_DIFFERENT;
}

json_t *pf_parity_image_json(const pf_parity_image_result *r) {
    json_t *out = json_pack("{s:s, s:b, s:I, s:i, s:f, s:{s:f, s:f}}", "verdict", pf_parity_verdict_name(r->verdict),
                            "same_size", r->same_size, "differing_pixels", (json_int_t)r->differing_pixels,
                            "max_channel_difference", r->max_channel_difference, "ssim", round(r->ssim * 1e5) / 1e5,
                            "thresholds", "psnr_db", PF_PARITY_PSNR_MIN, "ssim", PF_PARITY_SSIM_MIN);
    json_object_set_new(out, "psnr_db", isinf(r->psnr) ? json_null() : json_real(round(r->psnr * 100) / 100));
    return out;
}
