#include "core/png.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

pf_error *pf_png_read(const char *path, pf_image *out) {
    memset(out, 0, sizeof *out);
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path))
        return pf_error_new(PF_EINVAL, "", "%s is not a readable PNG: %s", path, img.message);
    img.format = PNG_FORMAT_RGBA;
    out->rgba = malloc(PNG_IMAGE_SIZE(img));
    if (!out->rgba || !png_image_finish_read(&img, NULL, out->rgba, 0, NULL)) {
        pf_error *err = pf_error_new(PF_EINVAL, "", "%s could not be decoded: %s", path, img.message);
        png_image_free(&img);
        free(out->rgba);
        out->rgba = NULL;
        return err;
    }
    out->width = img.width;
    out->height = img.height;
    return NULL;
}

pf_error *pf_png_write(const char *path, const pf_image *img) {
    png_image out;
    memset(&out, 0, sizeof out);
    out.version = PNG_IMAGE_VERSION;
    out.width = img->width;
    out.height = img->height;
    out.format = PNG_FORMAT_RGBA;
    if (!png_image_write_to_file(&out, path, 0, img->rgba, 0, NULL)) {
        pf_error *err = pf_error_new(PF_EIO, "", "the PNG could not be written: %s", out.message);
        png_image_free(&out);
        return err;
    }
    return NULL;
}

void pf_image_free(pf_image *img) {
    free(img->rgba);
    img->rgba = NULL;
}
