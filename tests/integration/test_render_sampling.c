/* A template's sampling reaches the real Blender, and the turntable's video
 * denoise reaches ffmpeg: a still without a samples parameter renders the
 * template's count for stills, a turntable frame the count for video, a
 * samples parameter wins over both, and the hqdn3d video differs from the
 * unfiltered one made from the same frames. Tiny renders, few samples. */
#include "check.h"

#include "core/mem.h"
#include "core/path.h"
#include "support/product.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    pf_test_product product;
    char *tmpl; /* studio_white with sampling of our own */
} fixture;

/* The largest M of Cycles' "sample N of M" progress. */
static void keep_total(void *user, double fraction, const char *message) {
    (void)fraction;
    int done = 0, total = 0;
    if (sscanf(message, "sample %d of %d", &done, &total) == 2 && total > *(int *)user) *(int *)user = total;
}

static json_t *run_ok(const fixture *f, const char *key, json_t *inputs, json_t *params, int *samples) {
    return pf_test_product_invoke(&f->product, key, inputs, params, samples ? keep_total : NULL, samples);
}

static json_t *inputs(const fixture *f) {
    return json_pack("{s:O, s:O, s:{s:s}}", "glb", f->product.glb, "bbox", f->product.bbox, "template", "path",
                     f->tmpl);
}

static void test_counts(fixture *f) {
    int samples = 0;
    json_t *out =
        run_ok(f, "render.blender_still", inputs(f), json_pack("{s:i, s:i}", "width", 32, "height", 24), &samples);
    CHECK_MSG(samples == 3, "a still without samples rendered %d, the template says 3", samples);
    json_decref(out);
    samples = 0;
    out = run_ok(f, "render.blender_still", inputs(f),
                 json_pack("{s:i, s:i, s:i}", "width", 32, "height", 24, "samples", 2), &samples);
    CHECK_MSG(samples == 2, "samples 2 rendered %d", samples);
    json_decref(out);
    samples = 0;
    out = run_ok(f, "render.blender_turntable", inputs(f),
                 json_pack("{s:i, s:i, s:i, s:i}", "width", 32, "height", 24, "frames", 2, "fps", 2), &samples);
    CHECK_MSG(samples == 4, "a turntable frame rendered %d samples, the template says 4", samples);
    json_decref(out);
}

static char *read_all(const char *path, size_t *len) {
    char *data = NULL;
    pf_error *err = pf_read_file(path, 1u << 24, &data, len);
    CHECK_MSG(err == NULL, "cannot read %s", path);
    pf_error_free(err);
    return data;
}

static void test_video_denoise(fixture *f) {
    char *videos[2];
    const char *modes[2] = {"none", "hqdn3d"};
    for (int i = 0; i < 2; i++) {
        json_t *out = run_ok(f, "render.blender_turntable", inputs(f),
                             json_pack("{s:i, s:i, s:i, s:i, s:i, s:s}", "width", 64, "height", 48, "samples", 2,
                                       "frames", 4, "fps", 4, "denoise", modes[i]),
                             NULL);
        videos[i] = pf_strdup(json_string_value(json_object_get(json_object_get(out, "video"), "path")));
        json_decref(out);
    }
    size_t a_len = 0, b_len = 0;
    char *a = read_all(videos[0], &a_len), *b = read_all(videos[1], &b_len);
    /* Same seed, same frames: only the filter can make them differ. */
    CHECK_MSG(a && b && (a_len != b_len || memcmp(a, b, a_len) != 0), "the hqdn3d video equals the unfiltered one");
    free(a);
    free(b);
    free(videos[0]);
    free(videos[1]);
}

int main(void) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = pf_registry_load(&errs);
    CHECK(reg != NULL);
    fixture f = {0};
    if (reg && pf_test_product_make(&f.product, reg, "render-sampling", 2)) {
        json_t *t = json_load_file(PF_SOURCE_DIR "/share/templates/studio_white.json", 0, NULL);
        CHECK(t != NULL);
        json_object_set_new(t, "sampling",
                            json_pack("{s:i, s:i, s:f, s:f}", "samples", 3, "video_samples", 4, "noise_threshold", 0.05,
                                      "clamp_indirect", 2.0));
        f.tmpl = pf_asprintf("%s/few_samples.json", f.product.dir);
        CHECK(json_dump_file(t, f.tmpl, 0) == 0);
        json_decref(t);
        test_counts(&f);
        test_video_denoise(&f);
    }
    if (reg) pf_test_product_free(&f.product);
    free(f.tmpl);
    pf_registry_free(reg);
    pf_errors_clear(&errs);
    return pf_check_done("render_sampling");
}
