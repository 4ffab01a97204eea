/* Decoding PNGs in tests, through libpng's simplified API. */
#ifndef PF_TESTS_PNG_H
#define PF_TESTS_PNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct pf_test_image {
    unsigned width, height;
    uint8_t *rgba; /* width * height * 4 bytes, owned */
} pf_test_image;

/* 0 on success; free with pf_test_image_free. */
int pf_test_png_read(const char *path, pf_test_image *out);
void pf_test_image_free(pf_test_image *img);

/* The share of pixels with alpha above 0.5, and the rectangle they cover
 * (x0, y0 inclusive, x1, y1 exclusive; all 0 when there are none). */
double pf_test_image_coverage(const pf_test_image *img, unsigned rect[4]);

#endif
