#include "legacy/compat.h"

#include "core/mem.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static void warn(pf_compat_result *r, const char *base, const char *field, const char *message) {
    char *ptr = pf_ptr_join(base, field);
    json_array_append_new(r->warnings, json_pack("{s:s, s:s}", "pointer", ptr, "message", message));
    free(ptr);
}

static void fail(pf_errors *errs, const char *base, const char *field, const char *message) {
    char *ptr = pf_ptr_join(base, field);
    pf_errors_add(errs, PF_EINVAL, ptr, "%s", message);
    free(ptr);
}

/* An integer setting within bounds, copied to an override. */
static void integer(const json_t *s, const char *field, const char *to, json_int_t lo, json_int_t hi,
                    pf_compat_result *r, const char *base, pf_errors *errs) {
    const json_t *v = json_object_get(s, field);
    if (!v) return;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char *msg = pf_asprintf("%s must be an integer from %lld to %lld", field, (long long)lo, (long long)hi);
        fail(errs, base, field, msg);
        free(msg);
        return;
    }
    json_object_set(r->overrides, to, (json_t *)v);
}

static const char *const known[] = {"renderer",       "engine",    "width",        "height",    "samples",
                                    "transparent_bg", "turntable", "export_blend", "thumbnail", "material_override",
                                    "template"};

static bool is_known(const char *key) {
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(key, known[i]) == 0) return true;
    return false;
}

bool pf_compat_is_eevee(const char *engine) {
    static const char *const names[] = {"eevee", "blender_eevee", "blender_eevee_next"};
    for (size_t i = 0; engine && i < sizeof names / sizeof *names; i++)
        if (strcasecmp(engine, names[i]) == 0) return true;
    return false;
}

int pf_compat_map(const json_t *s, const char *base, pf_errors *errs, pf_compat_result *r) {
    size_t before = errs->len;
    memset(r, 0, sizeof *r);
    r->overrides = json_object();
    r->warnings = json_array();
    if (!json_is_object(s)) {
        pf_errors_add(errs, PF_EINVAL, base, "legacy render settings must be an object");
        pf_compat_result_free(r);
        return -1;
    }
    const char *key;
    const json_t *v;
    r->unmapped = json_array();
    json_object_foreach((json_t *)s, key, v) {
        if (is_known(key)) continue;
        /* Kept as it was (the output type stores its settings whole) and
         * reported: an old tool's setting is no reason to refuse the rest. */
        json_array_append_new(r->unmapped, json_string(key));
        char *msg = pf_asprintf("unmapped: \"%s\" is no setting this version knows; it is kept as it was and has no "
                                "effect",
                                key);
        warn(r, base, key, msg);
        free(msg);
    }
    const char *renderer = json_string_value(json_object_get(s, "renderer"));
    if (json_object_get(s, "renderer") && (!renderer || strcmp(renderer, "blender") != 0))
        fail(errs, base, "renderer", "only the blender renderer exists");
    const char *engine = json_string_value(json_object_get(s, "engine"));
    if (json_object_get(s, "engine")) {
        if (engine && strcmp(engine, "cycles") == 0)
            json_object_set_new(r->overrides, "engine", json_string("cycles"));
        else if (pf_compat_is_eevee(engine)) {
            json_object_set_new(r->overrides, "engine", json_string("cycles"));
            warn(r, base, "engine",
                 "mapped to cycles: EEVEE needs an OpenGL context, which headless render machines lack, so this "
                 "output type renders with Cycles (same scene, template and materials; the look differs slightly)");
        } else
            fail(errs, base, "engine",
                 "only cycles renders here: EEVEE and Workbench need OpenGL, which headless "
                 "render machines lack");
    }
    const json_t *tt = json_object_get(s, "turntable");
    bool turntable = json_is_true(json_object_get(tt, "enabled"));
    bool blend = json_is_true(json_object_get(s, "export_blend"));
    if (tt && !json_is_object(tt)) fail(errs, base, "turntable", "turntable must be {enabled, frames, fps}");
    if (json_object_get(s, "export_blend") && !json_is_boolean(json_object_get(s, "export_blend")))
        fail(errs, base, "export_blend", "export_blend must be true or false");
    if (turntable && blend)
        fail(errs, base, "export_blend",
             "turntable.enabled and export_blend ask for two artifact kinds; an output "
             "type delivers one");
    r->artifact_kind = pf_strdup(turntable ? "turntable_video" : blend ? "production_blend" : "still_image");

    if (!blend) { /* frame settings mean nothing to a production .blend */
        integer(s, "width", "width", 16, 16384, r, base, errs);
        integer(s, "height", "height", 16, 16384, r, base, errs);
        integer(s, "samples", "samples", 1, 4096, r, base, errs);
        const json_t *t = json_object_get(s, "transparent_bg");
        if (t && !json_is_boolean(t))
            fail(errs, base, "transparent_bg", "transparent_bg must be true or false");
        else if (t)
            json_object_set(r->overrides, "transparent", (json_t *)t);
    } else {
        const char *frame_fields[] = {"width", "height", "samples", "transparent_bg"};
        for (size_t i = 0; i < 4; i++)
            if (json_object_get(s, frame_fields[i]))
                warn(r, base, frame_fields[i], "ignored: a production .blend has no frame size, samples or background");
    }
    if (turntable) {
        char *tbase = pf_ptr_join(base, "turntable");
        integer(tt, "frames", "frames", 2, 720, r, tbase, errs);
        integer(tt, "fps", "fps", 1, 120, r, tbase, errs);
        free(tbase);
    } else if (json_object_get(tt, "frames") || json_object_get(tt, "fps")) {
        warn(r, base, "turntable", "frames and fps are ignored because turntable.enabled is not true");
    }
    if (json_is_true(json_object_get(s, "thumbnail")))
        warn(r, base, "thumbnail",
             "the CAD intake makes the product's thumbnail; order workflows deliver one "
             "artifact kind, so no thumbnail comes with the order");
    const json_t *mo = json_object_get(s, "material_override");
    if (mo && !json_is_string(mo) && !json_is_null(mo))
        fail(errs, base, "material_override", "material_override must be a material key");
    else if (json_is_string(mo))
        json_object_set(r->overrides, "material_override", (json_t *)mo);
    const json_t *tmpl = json_object_get(s, "template");
    if (tmpl && !json_is_string(tmpl) && !json_is_null(tmpl))
        fail(errs, base, "template", "template must be a template key");
    else if (json_is_string(tmpl) && *json_string_value(tmpl))
        json_object_set(r->overrides, "template", (json_t *)tmpl);
    if (errs->len > before) {
        pf_compat_result_free(r);
        return -1;
    }
    return 0;
}

void pf_compat_result_free(pf_compat_result *r) {
    free(r->artifact_kind);
    json_decref(r->overrides);
    json_decref(r->warnings);
    json_decref(r->unmapped);
    memset(r, 0, sizeof *r);
}
