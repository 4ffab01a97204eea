/* Reading and writing PNG files as RGBA8, through libpng's simplified API. */
#ifndef PF_CORE_PNG_H
#define PF_CORE_PNG_H

#include "core/error.h"

#include <stdint.h>

typedef struct pf_image {
    unsigned width, height;
    uint8_t *rgba; /* width * height * 4 bytes, owned; free with pf_image_free */
} pf_image;

pf_error *pf_png_read(const char *path, pf_image *out);
/* Writes img as an 8-bit RGBA PNG at path (parity's diff images). */
pf_error *pf_png_write(const char *path, const pf_image *img);
void pf_image_free(pf_image *img);

#endif
