/* The cad.* modules through the module layer on Debian's real STEP samples;
 * every GLB passes the Khronos glTF validator. */
#include "check.h"

#include "core/mem.h"
#include "modules/invoke.h"
#include "support/tmpdir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const samples[] = {
    "/usr/share/opencascade/data/step/linkrods.step",
    "/usr/share/opencascade/data/step/screw.step",
};

static json_t *run(const pf_registry *reg, const char *key, const char *work, const char *step, json_t *params) {
    atomic_bool cancel = false;
    pf_module_ctx ctx = {.data_root = "/", .work_dir = work, .cancel = &cancel};
    json_t *inputs = json_pack("{s:{s:s}}", "step", "path", step), *out = NULL;
    pf_error *err = pf_module_invoke(reg, key, &ctx, inputs, params, &out);
    CHECK_MSG(err == NULL, "%s on %s: %s", key, step, err ? err->message : "");
    pf_error_free(err);
    json_decref(inputs);
    json_decref(params);
    return out;
}

int main(void) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = pf_registry_load(&errs);
    CHECK(reg != NULL);
    if (!reg) return pf_check_done("cad_modules");
    char *glbs = pf_strdup("");
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        char *work = pf_test_tmpdir("cad-module");
        json_t *out = run(reg, "cad.export_glb", work, samples[i], json_pack("{s:f}", "linear_deflection", 0.05));
        const char *glb = json_string_value(json_object_get(json_object_get(out, "glb"), "path"));
        CHECK(glb != NULL);
        CHECK(json_integer_value(json_object_get(json_object_get(out, "glb"), "triangles")) > 0);
        if (glb) {
            char *more = pf_asprintf("%s '%s'", glbs, glb);
            free(glbs);
            glbs = more;
        }
        json_decref(out);

        out = run(reg, "cad.compute_bbox", work, samples[i], NULL);
        const json_t *bbox = json_object_get(json_object_get(out, "bbox"), "bbox");
        double diag = json_real_value(json_object_get(bbox, "diagonal"));
        CHECK(diag > 0.001 && diag < 10); /* metres */
        CHECK_STR(json_string_value(json_object_get(bbox, "units")), "m");
        json_decref(out);
        out = run(reg, "cad.compute_bbox", work, samples[i], json_pack("{s:s}", "units", "mm"));
        double diag_mm =
            json_real_value(json_object_get(json_object_get(json_object_get(out, "bbox"), "bbox"), "diagonal"));
        CHECK(fabs(diag_mm - diag * 1000) < 1e-6 * diag_mm);
        json_decref(out);

        out = run(reg, "cad.extract_objects", work, samples[i], NULL);
        CHECK(json_integer_value(
                  json_object_get(json_object_get(json_object_get(out, "objects"), "summary"), "products")) >= 1);
        json_decref(out);
        free(work);
    }
    /* Bad input: a clear error that names the input, and no output. */
    char *work = pf_test_tmpdir("cad-module-bad");
    atomic_bool cancel = false;
    pf_module_ctx ctx = {.data_root = "/", .work_dir = work, .cancel = &cancel};
    json_t *inputs = json_pack("{s:{s:s}}", "step", "path", PF_SOURCE_DIR "/tests/fixtures/step/gearbox.step"),
           *out = NULL;
    pf_error *err = pf_module_invoke(reg, "cad.export_glb", &ctx, inputs, NULL, &out);
    CHECK(err && err->code == PF_EINVAL && !strcmp(err->pointer, "/inputs/step"));
    CHECK(out == NULL);
    pf_error_free(err);
    json_t *params = json_pack("{s:f}", "linear_deflection", -1.0);
    err = pf_module_invoke(reg, "cad.export_glb", &ctx, inputs, params, &out);
    CHECK(err && !strcmp(err->pointer, "/params/linear_deflection"));
    pf_error_free(err);
    json_decref(params);
    json_decref(inputs);
    free(work);

    char *cmd = pf_asprintf("node '%s/tests/node/validate_gltf.mjs' %s", PF_SOURCE_DIR, glbs);
    CHECK_MSG(system(cmd) == 0, "glTF validator reported errors: %s", cmd);
    free(cmd);
    free(glbs);
    pf_registry_free(reg);
    return pf_check_done("cad_modules");
}
