#include "modules/render/render_job.h"

#include "core/mem.h"
#include "core/subprocess.h"
#include "modules/materials/library.h"
#include "modules/module_files.h"
#include "render/blender_pool.h"

#include <stdlib.h>
#include <unistd.h>

static bool is_point(const json_t *v) {
    return json_array_size(v) == 3 && json_is_number(json_array_get(v, 0)) && json_is_number(json_array_get(v, 1)) &&
           json_is_number(json_array_get(v, 2));
}

static pf_error *read_bbox(const json_t *value, json_t **bbox) {
    const json_t *inline_box = json_object_get(value, "bbox");
    pf_error *err = NULL;
    if (inline_box)
        *bbox = json_incref((json_t *)inline_box);
    else
        err = pf_module_read_json_input(value, "/inputs/bbox", bbox);
    if (!err && !(is_point(json_object_get(*bbox, "min")) && is_point(json_object_get(*bbox, "max")))) {
        json_decref(*bbox);
        *bbox = NULL;
        err = pf_error_new(PF_EINVAL, "/inputs/bbox", "the bounding box needs \"min\" and \"max\" as [x, y, z]");
    }
    return err;
}

static pf_error *read_glb(const json_t *value, json_t **glb) {
    const char *path = json_string_value(json_object_get(value, "path"));
    if (!path) return pf_error_new(PF_EINVAL, "/inputs/glb", "the glb input has no path");
    if (access(path, R_OK) != 0) return pf_error_new(PF_ENOTFOUND, "/inputs/glb", "the GLB %s cannot be read", path);
    *glb = json_pack("{s:s}", "path", path);
    const json_t *sha = json_object_get(value, "sha256");
    if (json_is_string(sha)) json_object_set_new(*glb, "sha256", json_string(json_string_value(sha)));
    return NULL;
}

/* The one library material a material override names, or json null. */
static pf_error *read_override(const pf_module_ctx *ctx, const json_t *params, const json_t *materials,
                               json_t **override) {
    const char *key = json_string_value(json_object_get(params, "material_override"));
    *override = json_null();
    if (!key || !*key) return NULL;
    const char *library_name = json_string_value(json_object_get(materials, "library"));
    json_t *library = NULL;
    pf_error *err = pf_material_library_load(ctx, library_name ? library_name : "default", &library);
    if (err) return err;
    const json_t *m = pf_material_find(library, key);
    if (m)
        *override = json_deep_copy(m);
    else
        err = pf_error_new(PF_EINVAL, "/params/material_override", "material \"%s\" is not in library \"%s\"", key,
                           library_name ? library_name : "default");
    json_decref(library);
    return err;
}

pf_error *pf_render_job_new(const pf_module_ctx *ctx, const char *op, const json_t *inputs, const json_t *params,
                            const json_t *template_doc, json_t **job) {
    json_t *glb = NULL, *bbox = NULL, *tmpl = NULL, *materials = json_null(), *override = NULL;
    pf_error *err = read_glb(json_object_get(inputs, "glb"), &glb);
    if (!err) err = read_bbox(json_object_get(inputs, "bbox"), &bbox);
    if (!err && template_doc)
        tmpl = json_incref((json_t *)template_doc);
    else if (!err)
        err = pf_module_read_json_input(json_object_get(inputs, "template"), "/inputs/template", &tmpl);
    if (!err && !json_is_string(json_object_get(tmpl, "kind")))
        err = pf_error_new(PF_EINVAL, "/inputs/template", "the template has no kind; resolve it with "
                                                          "render.resolve_template");
    if (!err && json_object_get(inputs, "material_map")) {
        json_decref(materials);
        err = pf_module_read_json_input(json_object_get(inputs, "material_map"), "/inputs/material_map", &materials);
    }
    if (!err) err = read_override(ctx, params, materials, &override);
    if (!err)
        *job = json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:O}", "op", op, "glb", glb, "bbox", bbox, "template", tmpl,
                         "materials", materials, "material_override", override, "params", params);
    json_decref(glb);
    json_decref(bbox);
    json_decref(tmpl);
    json_decref(materials);
    json_decref(override);
    return err;
}

pf_error *pf_render_job_run(const pf_module_ctx *ctx, const json_t *job, int frames, json_t **result) {
    if (!ctx->share_dir) return pf_error_new(PF_EINTERNAL, "", "no share directory is configured");
    char *script = pf_asprintf("%s/blender/prodflow_render.py", ctx->share_dir);
    pf_blender_setup cold = {.blender = getenv("PRODFLOW_BLENDER"), .script = script};
    pf_blender_call call = {
        .deadline_ms = ctx->timeout_ms > 0 ? pf_now_ms() + ctx->timeout_ms : 0,
        .timeout_ms = ctx->timeout_ms,
        .cancel = ctx->cancel,
        .progress = ctx->progress,
        .progress_user = ctx->progress_user,
        .frames = frames,
    };
    pf_error *err = pf_blender_render(ctx->blender_pool, &cold, job, &call, result);
    free(script);
    return err;
}
