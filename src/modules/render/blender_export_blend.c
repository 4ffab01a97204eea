/* render.blender_export_blend: a production .blend with the product's
 * objects, their materials, the framed camera and the lights. It always runs
 * in a fresh Blender: a warm worker's file holds other products too. */
#include "modules/module.h"

#include "modules/module_files.h"
#include "modules/render/render_job.h"

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    json_t *job = NULL, *result = NULL, *value = NULL;
    /* Framing needs a frame size; the camera keeps a 16:9 sensor fit. */
    json_t *job_params = json_deep_copy(params);
    json_object_set_new(job_params, "width", json_integer(1920));
    json_object_set_new(job_params, "height", json_integer(1080));
    json_object_set_new(job_params, "samples", json_integer(128));
    pf_error *err = pf_render_job_new(ctx, "blend", inputs, job_params, NULL, &job);
    json_decref(job_params);
    if (err) return err;
    json_object_set_new(job, "output",
                        json_pack("{s:s, s:s}", "dir", pf_module_work_dir(ctx), "file", "product.blend"));
    pf_module_ctx cold = *ctx;
    cold.blender_pool = NULL;
    err = pf_render_job_run(&cold, job, 1, NULL, NULL, &result);
    if (!err)
        err =
            pf_module_file_value(json_string_value(json_object_get(result, "blend")), "application/x-blender", &value);
    if (!err) {
        json_object_set(value, "objects", json_object_get(result, "objects"));
        *outputs = json_pack("{s:o}", "blend", value);
    }
    json_decref(result);
    json_decref(job);
    return err;
}

PF_MODULE(render, blender_export_blend, .execute = execute,
          .isolates_itself = true, /* Blender is the child, with ctx->limits */
          .depends = pf_render_job_depends);
