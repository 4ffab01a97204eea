/* A template's sampling reaches the real Blender, and the turntable's video
 * denoise reaches ffmpeg: a still without a samples parameter renders the
 * template's count for stills, a turntable frame the count for video, a
 * samples parameter wins over both, and the hqdn3d video differs from the
 * unfiltered one made from the same frames. Tiny renders, few samples. */
#include "check.h"

#include "cad/fixture.h"
#include "core/mem.h"
#include "core/path.h"
#include "modules/invoke.h"
#include "support/tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const pf_registry *reg;
    char *dir, *share;
    json_t *glb, *bbox;
    char *tmpl; /* studio_white with sampling of our own */
} fixture;

/* The largest M of Cycles' "sample N of M" progress. */
static void keep_total(void *user, double fraction, const char *message) {
    (void)fraction;
    int done = 0, total = 0;
    if (sscanf(message, "sample %d of %d", &done, &total) == 2 && total > *(int *)user) *(int *)user = total;
}

static json_t *run_ok(fixture *f, const char *key, json_t *inputs, json_t *params, int *samples) {
    char *work = pf_test_tmpdir("sampling-work");
    atomic_bool cancel = false;
    pf_module_ctx ctx = {.data_root = f->dir,
                         .work_dir = work,
                         .share_dir = f->share,
                         .cancel = &cancel,
                         .progress = samples ? keep_total : NULL,
                         .progress_user = samples};
    json_t *out = NULL;
    pf_error *err = pf_module_invoke(f->reg, key, &ctx, inputs, params, &out);
    CHECK_MSG(err == NULL, "%s: %s at %s", key, err ? err->message : "", err ? err->pointer : "");
    pf_error_free(err);
    json_decref(inputs);
    json_decref(params);
    free(work);
    return out;
}

static json_t *inputs(const fixture *f) {
    return json_pack("{s:O, s:O, s:{s:s}}", "glb", f->glb, "bbox", f->bbox, "template", "path", f->tmpl);
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
    if (!reg) return pf_check_done("render_sampling");
    fixture f = {.reg = reg, .dir = pf_test_tmpdir("render-sampling"), .share = pf_strdup(PF_SOURCE_DIR "/share")};
    json_t *t = json_load_file(PF_SOURCE_DIR "/share/templates/studio_white.json", 0, NULL);
    CHECK(t != NULL);
    json_object_set_new(t, "sampling",
                        json_pack("{s:i, s:i, s:f, s:f}", "samples", 3, "video_samples", 4, "noise_threshold", 0.05,
                                  "clamp_indirect", 2.0));
    f.tmpl = pf_asprintf("%s/few_samples.json", f.dir);
    CHECK(json_dump_file(t, f.tmpl, 0) == 0);
    json_decref(t);
    char *step = pf_asprintf("%s/gearbox.step", f.dir);
    pf_error *err = pf_cad_make_fixture(step, &(pf_fixture_opts){.bolts = 2});
    CHECK(err == NULL);
    pf_error_free(err);
    json_t *out = run_ok(&f, "cad.export_glb", json_pack("{s:{s:s}}", "step", "path", step), NULL, NULL);
    f.glb = json_incref(json_object_get(out, "glb"));
    json_decref(out);
    out = run_ok(&f, "cad.compute_bbox", json_pack("{s:{s:s}}", "step", "path", step), NULL, NULL);
    f.bbox = json_incref(json_object_get(out, "bbox"));
    json_decref(out);
    test_counts(&f);
    test_video_denoise(&f);
    json_decref(f.glb);
    json_decref(f.bbox);
    free(step);
    free(f.tmpl);
    free(f.share);
    free(f.dir);
    pf_registry_free(reg);
    pf_errors_clear(&errs);
    return pf_check_done("render_sampling");
}
