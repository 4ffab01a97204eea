/* The compat adapter's table, one case per legacy field, plus unknown and
 * contradictory settings: each is mapped, refused or warned about. */
#include "check.h"

#include "legacy/compat.h"
#include "legacy/pipeline.h"

#include <string.h>

typedef struct {
    const char *settings;
    const char *kind;      /* expected artifact kind, or NULL when it must fail */
    const char *overrides; /* expected overrides (exact), when it maps */
    const char *pointer;   /* the error's or the first warning's pointer */
} compat_case;

static const compat_case cases[] = {
    {"{}", "still_image", "{}", NULL},
    {"{\"renderer\":\"blender\"}", "still_image", "{}", NULL},
    {"{\"renderer\":\"vray\"}", NULL, NULL, "/s/renderer"},
    {"{\"engine\":\"cycles\"}", "still_image", "{\"engine\":\"cycles\"}", NULL},
    {"{\"engine\":\"eevee\"}", "still_image", "{\"engine\":\"cycles\"}", "/s/engine"}, /* with a warning */
    {"{\"engine\":\"BLENDER_EEVEE_NEXT\"}", "still_image", "{\"engine\":\"cycles\"}", "/s/engine"},
    {"{\"engine\":\"workbench\"}", NULL, NULL, "/s/engine"},
    {"{\"width\":800,\"height\":600}", "still_image", "{\"width\":800,\"height\":600}", NULL},
    {"{\"width\":8}", NULL, NULL, "/s/width"},
    {"{\"height\":\"tall\"}", NULL, NULL, "/s/height"},
    {"{\"samples\":128}", "still_image", "{\"samples\":128}", NULL},
    {"{\"samples\":0}", NULL, NULL, "/s/samples"},
    {"{\"transparent_bg\":true}", "still_image", "{\"transparent\":true}", NULL},
    {"{\"transparent_bg\":\"yes\"}", NULL, NULL, "/s/transparent_bg"},
    {"{\"turntable\":{\"enabled\":true,\"frames\":24,\"fps\":12}}", "turntable_video", "{\"frames\":24,\"fps\":12}",
     NULL},
    {"{\"turntable\":{\"enabled\":true,\"frames\":1}}", NULL, NULL, "/s/turntable/frames"},
    {"{\"turntable\":{\"enabled\":false,\"frames\":24}}", "still_image", "{}", "/s/turntable"},
    {"{\"turntable\":true}", NULL, NULL, "/s/turntable"},
    {"{\"export_blend\":true}", "production_blend", "{}", NULL},
    {"{\"export_blend\":true,\"width\":800}", "production_blend", "{}", "/s/width"},
    {"{\"export_blend\":\"yes\"}", NULL, NULL, "/s/export_blend"},
    {"{\"export_blend\":true,\"turntable\":{\"enabled\":true}}", NULL, NULL, "/s/export_blend"},
    {"{\"thumbnail\":true}", "still_image", "{}", "/s/thumbnail"},
    {"{\"material_override\":\"chrome\"}", "still_image", "{\"material_override\":\"chrome\"}", NULL},
    {"{\"material_override\":7}", NULL, NULL, "/s/material_override"},
    {"{\"template\":\"studio_dark\"}", "still_image", "{\"template\":\"studio_dark\"}", NULL},
    {"{\"template\":\"\"}", "still_image", "{}", NULL},
    {"{\"template\":[1]}", NULL, NULL, "/s/template"},
    {"{\"denoise\":true}", "still_image", "{}", "/s/denoise"}, /* kept, reported as unmapped */
    {"[1,2]", NULL, NULL, "/s"},
};

/* Unknown keys are kept and listed; EEVEE reaches the legacy pipeline's
 * render node as cycles. */
static void test_unmapped_and_eevee(void) {
    json_t *s = json_loads("{\"engine\":\"eevee\",\"denoise\":true,\"bloom\":{\"on\":1},\"width\":64}", 0, NULL);
    pf_errors errs;
    pf_errors_init(&errs);
    pf_compat_result r;
    CHECK(pf_compat_map(s, "/s", &errs, &r) == 0);
    if (errs.len == 0) {
        CHECK_INT(json_array_size(r.unmapped), 2);
        CHECK_STR(json_string_value(json_array_get(r.unmapped, 0)), "denoise");
        CHECK_STR(json_string_value(json_array_get(r.unmapped, 1)), "bloom");
        bool said = false;
        size_t i;
        json_t *w;
        json_array_foreach(r.warnings, i, w) said =
            said || (!strcmp(json_string_value(json_object_get(w, "pointer")), "/s/engine") &&
                     strstr(json_string_value(json_object_get(w, "message")), "Cycles"));
        CHECK_MSG(said, "no warning says EEVEE renders with Cycles");
        pf_compat_result_free(&r);
    }
    json_t *wf = pf_legacy_workflow(s, "old", "/s", &errs);
    CHECK(wf != NULL && errs.len == 0);
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(wf, "nodes"), i,
                       n) if (!strcmp(json_string_value(json_object_get(n, "id")), "still")) {
        CHECK_STR(json_string_value(json_object_get(json_object_get(n, "params"), "engine")), "cycles");
        CHECK(json_object_get(json_object_get(n, "params"), "denoise") == NULL);
    }
    json_decref(wf);
    pf_errors_clear(&errs);
    json_decref(s);
}

int main(void) {
    test_unmapped_and_eevee();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const compat_case *c = &cases[i];
        json_t *settings = json_loads(c->settings, JSON_DECODE_ANY, NULL);
        pf_errors errs;
        pf_errors_init(&errs);
        pf_compat_result r;
        int rc = pf_compat_map(settings, "/s", &errs, &r);
        if (!c->kind) {
            CHECK_MSG(rc != 0 && errs.len >= 1, "%s should be refused", c->settings);
            if (errs.len)
                CHECK_MSG(strcmp(errs.items[0].pointer, c->pointer) == 0, "%s: error at %s, not %s", c->settings,
                          errs.items[0].pointer, c->pointer);
        } else {
            CHECK_MSG(rc == 0, "%s: %s", c->settings, errs.len ? errs.items[0].message : "");
            if (rc == 0) {
                CHECK_STR(r.artifact_kind, c->kind);
                json_t *want = json_loads(c->overrides, 0, NULL);
                CHECK_MSG(json_equal(want, r.overrides), "%s: overrides %s", c->settings,
                          json_dumps(r.overrides, JSON_COMPACT | JSON_SORT_KEYS));
                json_decref(want);
                const char *warned = json_string_value(json_object_get(json_array_get(r.warnings, 0), "pointer"));
                if (c->pointer)
                    CHECK_MSG(warned && strcmp(warned, c->pointer) == 0, "%s: wanted a warning at %s", c->settings,
                              c->pointer);
                else
                    CHECK_MSG(json_array_size(r.warnings) == 0, "%s: unexpected warning", c->settings);
                pf_compat_result_free(&r);
            }
        }
        pf_errors_clear(&errs);
        json_decref(settings);
    }
    return pf_check_done("legacy_compat");
}
