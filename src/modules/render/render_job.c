#include "modules/render/render_job.h"

#include "core/json.h"
#include "core/mem.h"
#include "core/quota.h"
#include "core/sha256.h"
#include "core/subprocess.h"
#include "modules/materials/library.h"
#include "modules/module_files.h"
#include "render/blender_pool.h"
#include "render/scene.h"

#include <stdlib.h>
#include <string.h>
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

/* The library a material map names, or the default one. */
static const char *library_of(const json_t *materials) {
    const char *name = json_string_value(json_object_get(materials, "library"));
    return name ? name : "default";
}

/* Completes the material map with the library's definitions (an automatic
 * map names materials without defining them) and finds the material
 * override, or json null. */
static pf_error *resolve_materials(const pf_module_ctx *ctx, const json_t *params, json_t *materials,
                                   json_t **override) {
    const char *key = json_string_value(json_object_get(params, "material_override"));
    const json_t *parts = json_object_get(materials, "parts");
    *override = json_null();
    if ((!key || !*key) && !json_object_size(parts)) return NULL;
    const char *library_name = library_of(materials);
    json_t *library = NULL;
    pf_error *err = pf_material_library_load(ctx, library_name, &library);
    if (err) return err;
    json_t *defined = json_object_get(materials, "materials");
    if (json_object_size(parts) && !json_is_object(defined))
        json_object_set_new(materials, "materials", defined = json_object());
    const char *path;
    const json_t *part;
    json_object_foreach((json_t *)parts, path, part) {
        const char *m = json_string_value(json_object_get(part, "material"));
        if (!m || json_object_get(defined, m)) continue;
        const json_t *def = pf_material_find(library, m);
        if (!def) {
            char *ptr = pf_ptr_join("/inputs/material_map/parts", path);
            err = pf_error_new(PF_EINVAL, ptr, "material \"%s\" is not in library \"%s\"", m, library_name);
            free(ptr);
            break;
        }
        json_object_set_new(defined, m, json_deep_copy(def));
    }
    const json_t *m = !err && key && *key ? pf_material_find(library, key) : NULL;
    if (m)
        *override = json_deep_copy(m);
    else if (!err && key && *key)
        err = pf_error_new(PF_EINVAL, "/params/material_override", "material \"%s\" is not in library \"%s\"", key,
                           library_name);
    json_decref(library);
    return err;
}

/* The digest of the material library a material override comes from. */
static void library_digest(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t *out) {
    const char *key = json_string_value(json_object_get(params, "material_override"));
    if (!key || !*key) return;
    json_t *materials = NULL, *library = NULL;
    const json_t *map = json_object_get(inputs, "material_map");
    pf_error *err = map ? pf_module_read_json_input(map, "/inputs/material_map", &materials) : NULL;
    if (!err) err = pf_material_library_load(ctx, library_of(materials), &library);
    if (!err) {
        char digest[65];
        pf_material_library_digest(library, digest);
        json_object_set_new(out, "material_library_sha256", json_string(digest));
    }
    pf_error_free(err); /* the render reports it */
    json_decref(materials);
    json_decref(library);
}

/* The file of a blend_scene template's scene (*path NULL for a studio
 * template): found by its key where this process keeps scenes, the data
 * directory's, else the shipped ones, as the template's check found it. */
static pf_error *scene_file(const pf_module_ctx *ctx, const json_t *tmpl, char **path) {
    *path = NULL;
    const char *kind = pf_json_str(tmpl, "kind");
    if (!kind || strcmp(kind, "blend_scene") != 0) return NULL;
    return pf_scene_find(ctx->share_dir, ctx->data_root, pf_json_str(tmpl, "blend"), "/inputs/template", path);
}

/* The digest of a blend_scene template's .blend: the template names its
 * scene by key, and a scene uploaded again under the same key must not get
 * the old scene's result from the cache. */
static void scene_digest(const pf_module_ctx *ctx, const json_t *inputs, json_t *out) {
    json_t *tmpl = NULL;
    char *path = NULL;
    const json_t *value = json_object_get(inputs, "template");
    pf_error *err = value ? pf_module_read_json_input(value, "/inputs/template", &tmpl) : NULL;
    if (!err) err = scene_file(ctx, tmpl, &path);
    char digest[65];
    if (!err && path && !(err = pf_sha256_file(path, digest, NULL)))
        json_object_set_new(out, "scene_sha256", json_string(digest));
    pf_error_free(err); /* the render reports it */
    free(path);
    json_decref(tmpl);
}

json_t *pf_render_job_depends(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params) {
    json_t *out = json_object();
    library_digest(ctx, inputs, params, out);
    scene_digest(ctx, inputs, out);
    if (json_object_size(out)) return out;
    json_decref(out);
    return NULL;
}

/* Where the render may keep the imported product for later cold renders
 * (prodflow_render.py's DiskCache): CACHE/render-models, with max_bytes,
 * what the disk quota leaves, when there is a quota. Only for a GLB known
 * by its digest, which names the file; json null otherwise. */
static json_t *model_cache(const pf_module_ctx *ctx, const json_t *glb) {
    if (!ctx->cache_dir || !pf_sha256_is_hex(json_string_value(json_object_get(glb, "sha256")))) return json_null();
    char *dir = pf_asprintf("%s/render-models", ctx->cache_dir);
    json_t *cache = json_pack("{s:s}", "dir", dir);
    free(dir);
    if (ctx->disk_quota_bytes) {
        uint64_t left = pf_disk_quota_left(ctx->data_root, ctx->disk_quota_bytes, NULL);
        json_object_set_new(cache, "max_bytes", json_integer(left > INT64_MAX ? INT64_MAX : (json_int_t)left));
    }
    return cache;
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
        err = pf_error_new(PF_EINVAL, "/inputs/template",
                           "the template has no kind; resolve it with "
                           "render.resolve_template");
    char *scene = NULL;
    if (!err) err = scene_file(ctx, tmpl, &scene);
    if (scene) { /* for Blender alone: the job is no record */
        json_t *with = json_deep_copy(tmpl);
        json_object_set_new(with, "blend_path", json_string(scene));
        json_decref(tmpl);
        tmpl = with;
        free(scene);
    }
    if (!err && json_object_get(inputs, "material_map")) {
        json_decref(materials);
        err = pf_module_read_json_input(json_object_get(inputs, "material_map"), "/inputs/material_map", &materials);
    }
    if (!err) err = resolve_materials(ctx, params, materials, &override);
    if (!err)
        *job = json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:o}", "op", op, "glb", glb, "bbox", bbox, "template",
                         tmpl, "materials", materials, "material_override", override, "params", params, "model_cache",
                         model_cache(ctx, glb));
    json_decref(glb);
    json_decref(bbox);
    json_decref(tmpl);
    json_decref(materials);
    json_decref(override);
    return err;
}

pf_error *pf_render_job_run(const pf_module_ctx *ctx, const json_t *job, int frames,
                            void (*on_frame)(void *user, int frame, const char *path), void *frame_user,
                            json_t **result) {
    if (!ctx->share_dir) return pf_error_new(PF_EINTERNAL, "", "no share directory is configured");
    char *script = pf_asprintf("%s/blender/prodflow_render.py", ctx->share_dir);
    pf_blender_setup cold = {
        .blender = getenv("PRODFLOW_BLENDER"), .script = script, .memory_bytes = ctx->limits.memory_bytes};
    pf_blender_call call = {
        .deadline_ms = ctx->timeout_ms > 0 ? pf_now_ms() + ctx->timeout_ms : 0,
        .timeout_ms = ctx->timeout_ms,
        .cancel = ctx->cancel,
        .progress = ctx->progress,
        .progress_user = ctx->progress_user,
        .frames = frames,
        .cpu_seconds = ctx->limits.cpu_seconds,
        .on_frame = on_frame,
        .frame_user = frame_user,
    };
    pf_error *err = pf_blender_render(ctx->blender_pool, &cold, job, &call, result);
    free(script);
    return err;
}
