/* The turntable backdrop against the real Blender: on every template that
 * makes turntables, every frame's background beside the product is a
 * smooth sweep, with no horizon, floor edge or backdrop side in the top
 * third of the frame. Measured from the kept PNG frames (tiny, few samples):
 * the background is averaged in 3x3 blocks, which averages the noise away
 * but keeps an edge, and neighbouring blocks may differ only a little. */
#include "check.h"

#include "core/mem.h"
#include "support/colour.h"
#include "support/png.h"
#include "support/product.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH 96
#define HEIGHT 54
#define BLOCK 3
/* A horizon between a lit floor and the world was 20 to 40 L* at this
 * size; a sweep's gradient and 16-sample noise stay under 4. */
#define LIMIT_STEP_L 8.0

static double lightness(const pf_test_image *img, unsigned x, unsigned y) {
    const uint8_t *p = img->rgba + ((size_t)y * img->width + x) * 4;
    double rgb[3], lab[3];
    for (int c = 0; c < 3; c++)
        rgb[c] = pf_test_srgb_to_linear(p[c] / 255.0);
    pf_test_linear_to_lab(rgb, lab);
    return lab[0];
}

/* The largest lightness step between neighbouring 3x3 blocks in the top
 * third, left and right of the product. The camera fits the product's
 * bounding sphere into the frame's height, so at 16:9 the outer columns
 * (beyond half the height from the centre) never show it, whatever the
 * angle. */
static double worst_step(const pf_test_image *img, double *mean) {
    unsigned rows = img->height / 3 / BLOCK, side = (img->width - img->height) / 2 / BLOCK;
    double block[2][16][16];
    double worst = 0, sum = 0;
    unsigned n = 0;
    for (int s = 0; s < 2; s++)
        for (unsigned by = 0; by < rows && by < 16; by++)
            for (unsigned bx = 0; bx < side && bx < 16; bx++) {
                unsigned x0 = s ? img->width - (bx + 1) * BLOCK : bx * BLOCK, y0 = by * BLOCK;
                double l = 0;
                for (unsigned y = y0; y < y0 + BLOCK; y++)
                    for (unsigned x = x0; x < x0 + BLOCK; x++)
                        l += lightness(img, x, y);
                block[s][by][bx] = l / (BLOCK * BLOCK);
                sum += block[s][by][bx], n++;
                if (by > 0) worst = fmax(worst, fabs(block[s][by][bx] - block[s][by - 1][bx]));
                if (bx > 0) worst = fmax(worst, fabs(block[s][by][bx] - block[s][by][bx - 1]));
            }
    *mean = n ? sum / n : 0;
    return worst;
}

static void check_turntable(const pf_test_product *f, const char *key) {
    char *tmpl = pf_asprintf("%s/templates/%s.json", f->share, key);
    json_t *params = json_pack("{s:i, s:i, s:i, s:i, s:i, s:b}", "width", WIDTH, "height", HEIGHT, "samples", 16,
                               "frames", 4, "fps", 4, "keep_frames", 1);
    json_t *out = pf_test_product_invoke(
        f, "render.blender_turntable",
        json_pack("{s:O, s:O, s:{s:s}}", "glb", f->glb, "bbox", f->bbox, "template", "path", tmpl), params, NULL, NULL);
    json_t *files = json_object_get(json_object_get(out, "frames"), "files");
    CHECK_MSG(json_array_size(files) == 4, "%s: %zu frames kept", key, json_array_size(files));
    size_t i;
    json_t *file;
    json_array_foreach(files, i, file) {
        pf_test_image img = {0};
        const char *path = json_string_value(json_object_get(file, "path"));
        CHECK_MSG(pf_test_png_read(path, &img) == 0, "cannot read frame %zu", i + 1);
        if (!img.rgba) continue;
        double mean, step = worst_step(&img, &mean);
        fprintf(stderr, "%-16s frame %zu: background L* %.1f, largest step %.1f\n", key, i + 1, mean, step);
        CHECK_MSG(step <= LIMIT_STEP_L, "%s frame %zu: the background above the product steps by %.1f L* (limit %.0f)",
                  key, i + 1, step, LIMIT_STEP_L);
        pf_test_image_free(&img);
    }
    json_decref(out);
    free(tmpl);
}

int main(void) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = pf_registry_load(&errs);
    CHECK(reg != NULL);
    pf_test_product f;
    if (reg && pf_test_product_make(&f, reg, "render-backdrop", 4)) {
        /* Every shipped template that makes turntables. */
        const char *keys[] = {"turntable_soft", "studio_white", "studio_dark"};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
            check_turntable(&f, keys[i]);
    }
    if (reg) pf_test_product_free(&f);
    pf_registry_free(reg);
    pf_errors_clear(&errs);
    return pf_check_done("render_backdrop");
}
