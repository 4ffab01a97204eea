#include "support/png.h"

#include "core/png.h"

#include <stdlib.h>
#include <string.h>

int pf_test_png_read(const char *path, pf_test_image *out) {
    pf_image img;
    pf_error *err = pf_png_read(path, &img);
    memset(out, 0, sizeof *out);
    if (err) {
        pf_error_free(err);
        return -1;
    }
    out->width = img.width, out->height = img.height, out->rgba = img.rgba;
    return 0;
}

void pf_test_image_free(pf_test_image *img) {
    free(img->rgba);
    img->rgba = NULL;
}

double pf_test_image_coverage(const pf_test_image *img, unsigned rect[4]) {
    unsigned x0 = img->width, y0 = img->height, x1 = 0, y1 = 0;
    size_t opaque = 0;
    for (unsigned y = 0; y < img->height; y++)
        for (unsigned x = 0; x < img->width; x++) {
            if (img->rgba[((size_t)y * img->width + x) * 4 + 3] <= 127) continue;
            opaque++;
            if (x < x0) x0 = x;
            if (y < y0) y0 = y;
            if (x + 1 > x1) x1 = x + 1;
            if (y + 1 > y1) y1 = y + 1;
        }
    if (!opaque) x0 = y0 = 0;
    rect[0] = x0, rect[1] = y0, rect[2] = x1, rect[3] = y1;
    return img->width && img->height ? (double)opaque / ((double)img->width * img->height) : 0;
}
