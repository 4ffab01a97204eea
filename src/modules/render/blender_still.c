/* render.blender_still: one Cycles still of the product as a PNG, with alpha
 * when the background is transparent. */
#include "modules/module.h"

#include "modules/module_files.h"
#include "modules/render/render_job.h"

#include <stdlib.h>

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    json_t *job = NULL, *result = NULL, *value = NULL;
    pf_error *err = pf_render_job_new(ctx, "still", inputs, params, NULL, &job);
    if (err) return err;
    json_object_set_new(job, "output", json_pack("{s:s, s:s}", "dir", pf_module_work_dir(ctx), "file", "still.png"));
    err = pf_render_job_run(ctx, job, 1, NULL, NULL, &result);
    if (!err) err = pf_module_file_value(json_string_value(json_object_get(result, "image")), "image/png", &value);
    if (!err) {
        json_object_set(value, "width", json_object_get(params, "width"));
        json_object_set(value, "height", json_object_get(params, "height"));
        *outputs = json_pack("{s:o}", "image", value);
    }
    json_decref(result);
    json_decref(job);
    return err;
}

PF_MODULE(render, blender_still, .execute = execute,
          .isolates_itself = true, /* Blender is the child, with ctx->limits */
          .depends = pf_render_job_depends);
