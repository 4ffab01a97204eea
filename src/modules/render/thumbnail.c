/* render.thumbnail: a small square preview at a low sample count, with the
 * template that serves preview thumbnails. */
#include "modules/module.h"

#include "modules/module_files.h"
#include "modules/render/render_job.h"
#include "render/template.h"

#include <string.h>

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    pf_template_set set;
    pf_templates_load(ctx->share_dir, ctx->data_root, &set);
    json_t *tmpl = NULL, *job = NULL, *result = NULL, *value = NULL;
    pf_error *err = pf_template_resolve(&set, NULL, NULL, "preview_thumbnail", &tmpl);
    pf_template_set_free(&set);
    if (err) return err;
    json_t *size = json_object_get(params, "size");
    json_t *job_params =
        json_pack("{s:O, s:O, s:O, s:O, s:i}", "width", size, "height", size, "samples",
                  json_object_get(params, "samples"), "transparent", json_object_get(params, "transparent"), "seed", 0);
    bool webp = strcmp(json_string_value(json_object_get(params, "format")), "webp") == 0;
    err = pf_render_job_new(ctx, "thumbnail", inputs, job_params, tmpl, &job);
    if (!err) {
        json_object_set_new(
            job, "output",
            json_pack("{s:s, s:s}", "dir", pf_module_work_dir(ctx), "file", webp ? "thumbnail.webp" : "thumbnail.png"));
        err = pf_render_job_run(ctx, job, 1, NULL, NULL, &result);
    }
    if (!err)
        err = pf_module_file_value(json_string_value(json_object_get(result, "image")),
                                   webp ? "image/webp" : "image/png", &value);
    if (!err) {
        json_object_set_new(value, "template", json_incref(json_object_get(tmpl, "key")));
        *outputs = json_pack("{s:o}", "image", value);
    }
    json_decref(result);
    json_decref(job);
    json_decref(job_params);
    json_decref(tmpl);
    return err;
}

PF_MODULE(render, thumbnail, .execute = execute, .isolates_itself = true /* Blender is the child, with ctx->limits */);
