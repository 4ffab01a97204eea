/* libFuzzer target: legacy render settings (JSON) through the compat
 * adapter (legacy/compat.h) and the legacy pipeline built from the same
 * settings (legacy/pipeline.h). Checked properties (a violation traps):
 *   - the adapter answers 0 exactly when it added no problem, and every
 *     problem and warning points under the base it was given;
 *   - an accepted mapping names one of the three artifact kinds and only
 *     the invocation parameters the adapter knows;
 *   - settings the adapter accepts build a legacy pipeline, and that
 *     workflow passes pf_workflow_validate: the adapter is the gate that
 *     says "bad settings never run", so what it lets through must run. */
#include "legacy/compat.h"
#include "legacy/pipeline.h"
#include "modules/registry.h"
#include "workflow/workflow.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE "/legacy_render_settings"

static pf_registry *registry(void) {
    static pf_registry *reg;
    if (!reg) {
        pf_errors errs;
        pf_errors_init(&errs);
        reg = pf_registry_load(&errs);
        if (!reg) {
            fprintf(stderr, "fuzz: the registry does not load: %s\n", errs.len ? errs.items[0].message : "?");
            abort();
        }
        pf_errors_clear(&errs);
    }
    return reg;
}

static bool under_base(const char *pointer) {
    return pointer && strncmp(pointer, BASE, strlen(BASE)) == 0 &&
           (pointer[strlen(BASE)] == '\0' || pointer[strlen(BASE)] == '/');
}

static bool one_of(const char *s, const char *const *list, size_t n) {
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, list[i]) == 0) return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Settings arrive inside output type documents: any JSON value. */
    json_t *settings = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (!settings) return 0;
    pf_errors errs;
    pf_errors_init(&errs);
    pf_compat_result r;
    int rc = pf_compat_map(settings, BASE, &errs, &r);
    if ((rc == 0) != (errs.len == 0)) __builtin_trap();
    for (size_t i = 0; i < errs.len; i++)
        if (!under_base(errs.items[i].pointer)) __builtin_trap();
    if (rc == 0) {
        static const char *const kinds[] = {"still_image", "turntable_video", "production_blend"};
        static const char *const params[] = {
            "engine", "width", "height", "samples", "transparent", "frames", "fps", "material_override", "template"};
        if (!one_of(r.artifact_kind, kinds, 3)) __builtin_trap();
        const char *key;
        json_t *v;
        json_object_foreach(r.overrides, key, v) if (!one_of(key, params, sizeof params / sizeof *params))
            __builtin_trap();
        size_t i;
        json_array_foreach(r.warnings, i, v) {
            if (!under_base(json_string_value(json_object_get(v, "pointer")))) __builtin_trap();
            if (!json_is_string(json_object_get(v, "message"))) __builtin_trap();
        }
        pf_errors built;
        pf_errors_init(&built);
        json_t *wf = pf_legacy_workflow(settings, "fuzz", BASE, &built);
        if (!wf || built.len) __builtin_trap(); /* accepted settings that build no pipeline */
        pf_errors problems;
        pf_errors_init(&problems);
        if (pf_workflow_validate(registry(), wf, &problems) != 0) {
            fprintf(stderr, "fuzz: accepted legacy settings make an invalid pipeline: %s %s\n",
                    problems.items[0].pointer, problems.items[0].message);
            __builtin_trap();
        }
        pf_errors_clear(&problems);
        json_decref(wf);
        pf_errors_clear(&built);
        pf_compat_result_free(&r);
    } else {
        /* The pipeline applies the same gate: refused settings never build. */
        pf_errors built;
        pf_errors_init(&built);
        json_t *wf = pf_legacy_workflow(settings, "fuzz", BASE, &built);
        if (wf || built.len != errs.len) __builtin_trap();
        pf_errors_clear(&built);
    }
    pf_errors_clear(&errs);
    json_decref(settings);
    return 0;
}
