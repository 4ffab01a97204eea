/* `prodflow run`, the one-command job, on the project's STEP fixture with
 * the real OCCT and Blender: a legacy still with its graph in shadow and a
 * parity report that finds them identical; a graph turntable with order-line
 * overrides; a shadow whose graph differs, with every difference listed;
 * and clear refusals. */
#include "check.h"

#include "core/mem.h"
#include "core/path.h"
#include "support/png.h"
#include "support/shell.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <string.h>

#define expect(cmd, code, phrase) CHECK(pf_test_expect(cmd, code, phrase))

int main(void) {
    char *dir = pf_test_tmpdir("cli-run");
    char *cmd = pf_asprintf("%s cad fixture -o %s/gearbox.step --bolts 3", PF_BIN, dir);
    expect(cmd, 0, "gearbox");
    free(cmd);

    /* legacy, with the graph beside it; --json: stdout holds one document
     * naming the runs and the delivered files, the progress went to stderr */
    cmd = pf_asprintf("(cd %s && %s run gearbox.step --output-type studio_still_v2 -o out --data-dir data --json "
                      "2>/dev/null)",
                      dir, PF_BIN);
    char *out = NULL;
    CHECK_INT(pf_test_sh(cmd, &out), 0);
    json_t *doc = json_loads(out, 0, NULL);
    CHECK_MSG(json_is_object(doc), "stdout is not one JSON document:\n%s", out);
    CHECK_STR(json_string_value(json_object_get(doc, "status")), "succeeded");
    CHECK(strncmp(json_string_value(json_object_get(doc, "run")) ? json_string_value(json_object_get(doc, "run")) : "",
                  "run_", 4) == 0);
    CHECK(json_string_value(json_object_get(doc, "shadow_run")) != NULL);
    CHECK(json_string_value(json_object_get(doc, "intake_run")) != NULL);
    CHECK(json_is_true(json_object_get(json_object_get(doc, "parity"), "identical")));
    const json_t *still = json_array_get(json_object_get(doc, "artifacts"), 0);
    CHECK_STR(json_string_value(json_object_get(still, "kind")), "still_image");
    char *expected = pf_asprintf("%s/out/gearbox-still.png", dir);
    CHECK_STR(json_string_value(json_object_get(still, "path")), expected);
    free(expected);
    json_decref(doc);
    free(out);
    free(cmd);
    char *png = pf_asprintf("%s/out/gearbox-still.png", dir);
    pf_test_image img;
    CHECK(pf_test_png_read(png, &img) == 0);
    CHECK_INT(img.width, 640);
    CHECK_INT(img.height, 480);
    pf_test_image_free(&img);
    free(png);
    char *parity_path = pf_asprintf("%s/out/gearbox-parity.json", dir);
    json_t *parity = json_load_file(parity_path, 0, NULL);
    CHECK(json_is_true(json_object_get(parity, "identical")));
    CHECK_INT(json_array_size(json_object_get(parity, "modules")), 6);
    json_decref(parity);

    /* the graph alone, with the order line's overrides */
    cmd = pf_asprintf("cd %s && %s run gearbox.step --output-type turntable_360 --set frames=4 --set fps=4 "
                      "--set width=64 --set height=48 --set samples=1 -o out --data-dir data && ffprobe -v error "
                      "-count_frames -show_entries stream=nb_read_frames,width -of csv=p=0 out/gearbox-turntable.mp4",
                      dir, PF_BIN);
    expect(cmd, 0, "64,4");
    free(cmd);

    /* a shadow whose graph renders with other samples: the report lists it */
    char *share = pf_asprintf("%s/share", dir);
    cmd = pf_asprintf("mkdir -p %s/output-types && for d in workflows materials templates blender; do "
                      "ln -s %s/share/$d %s/$d; done",
                      share, PF_SOURCE_DIR, share);
    CHECK(system(cmd) == 0);
    free(cmd);
    const char *drift = "{\"key\":\"drift\",\"name\":\"Drift\",\"family\":\"order_line\",\"rollout\":\"shadow\","
                        "\"artifact_kind\":\"still_image\",\"pricing_tier\":\"standard\",\"workflow\":{\"id\":"
                        "\"starter-order-still\",\"version\":1},"
                        "\"overrides\":{\"width\":96,\"height\":72,\"samples\":2},\"legacy_render_settings\":"
                        "{\"width\":96,\"height\":72,\"samples\":4}}";
    char *drift_path = pf_asprintf("%s/output-types/drift.json", share);
    pf_error_free(pf_write_file_atomic(drift_path, drift, strlen(drift)));
    /* a fresh data directory, seeded from this share's output types */
    cmd = pf_asprintf("cd %s && PRODFLOW_SHARE_DIR=%s %s run gearbox.step --output-type drift -o drift --data-dir "
                      "drift-data",
                      dir, share, PF_BIN);
    expect(cmd, 0, "shadow parity differs");
    free(cmd);
    char *drift_report = pf_asprintf("%s/drift/gearbox-parity.json", dir);
    parity = json_load_file(drift_report, 0, NULL);
    CHECK(json_is_false(json_object_get(parity, "identical")));
    bool samples_listed = false;
    size_t i;
    const json_t *d;
    json_array_foreach(json_object_get(parity, "differences"), i, d) {
        const char *what = json_string_value(json_object_get(d, "what"));
        if (what && strcmp(what, "render.blender_still.samples") == 0) samples_listed = true;
    }
    CHECK_MSG(samples_listed, "the samples difference is missing from %s", drift_report);
    json_decref(parity);

    /* refusals */
    cmd = pf_asprintf("cd %s && %s run gearbox.step --output-type studio_still --set width=10 --data-dir data", dir,
                      PF_BIN);
    expect(cmd, 2, "takes no per-line overrides");
    free(cmd);
    cmd = pf_asprintf("cd %s && %s run gearbox.step --output-type poster --data-dir data", dir, PF_BIN);
    expect(cmd, 2, "no output type \"poster\"");
    free(cmd);

    free(drift_report);
    free(drift_path);
    free(share);
    free(parity_path);
    free(dir);
    return pf_check_done("cli_run");
}
