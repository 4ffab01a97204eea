/* render.resolve_template: picks the studio template or user .blend scene
 * and records why, so a run shows how its look was chosen. */
#include "modules/module.h"

#include "modules/module_files.h"
#include "render/template.h"

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    (void)inputs; /* the bbox only matters to the renderers, which frame with it */
    pf_template_set set;
    pf_templates_load(ctx->share_dir, ctx->data_root, &set);
    json_t *chosen = NULL, *value = NULL;
    pf_error *err = pf_template_resolve(&set, json_string_value(json_object_get(params, "template")),
                                        json_string_value(json_object_get(params, "category")),
                                        json_string_value(json_object_get(params, "artifact_kind")), &chosen);
    pf_template_set_free(&set);
    /* The artifact is the document without the file it was read from: runs
     * are readable through the API, and they show no server path. */
    json_object_del(chosen, "source");
    if (!err) err = pf_module_write_json(ctx, "template.json", chosen, &value);
    if (!err) {
        json_object_set(value, "key", json_object_get(chosen, "key"));
        json_object_set(value, "kind", json_object_get(chosen, "kind"));
        json_object_set(value, "reason", json_object_get(chosen, "reason"));
        *outputs = json_pack("{s:o}", "template", value);
    }
    json_decref(chosen);
    return err;
}

PF_MODULE(render, resolve_template, .execute = execute);
