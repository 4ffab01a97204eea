/* order.resolve_line: the entry of an Order Rendering run. It loads the
 * order line from the store (its product, the product's CAD file with the
 * intake's artifacts, and the output type), and hands the rest of the graph
 * the STEP file, the intake's artifacts and the line with its resolved
 * invocation. A line that is not stored (the ephemeral one `prodflow run`
 * makes) comes inline in the run's context under "line". */
#include "modules/module.h"

#include "catalog/order.h"

#include <string.h>

static const char *str(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* The output type's overrides with the line's on top, as the runtime
 * applies them. */
static json_t *invocation(const json_t *stored_line) {
    const json_t *type = json_object_get(stored_line, "output_type");
    json_t *overrides = json_deep_copy(json_object_get(type, "overrides"));
    if (!overrides) overrides = json_object();
    json_object_update(overrides, json_object_get(stored_line, "overrides"));
    return json_pack("{s:O?, s:O?, s:O?, s:o}", "workflow", json_object_get(type, "workflow"), "rollout",
                     json_object_get(type, "rollout"), "artifact_kind", json_object_get(type, "artifact_kind"),
                     "overrides", overrides);
}

/* The line by id: stored, else inline in the context. New reference. */
static pf_error *load(const pf_module_ctx *ctx, const char *id, json_t **line) {
    *line = NULL;
    json_t *stored = NULL;
    pf_catalog c = {.store = ctx->store};
    pf_error *err = ctx->store ? pf_order_line_load(&c, id, &stored) : NULL;
    if (stored) {
        *line = pf_order_line_context(stored);
        json_object_set_new(*line, "invocation", invocation(stored));
        json_decref(stored);
        return NULL;
    }
    pf_error_free(err);
    const json_t *inline_line = json_object_get(ctx->context, "line");
    if (inline_line && str(inline_line, "id") && strcmp(str(inline_line, "id"), id) == 0) {
        *line = json_incref((json_t *)inline_line);
        return NULL;
    }
    return pf_error_new(PF_ENOTFOUND, "/context/order_line_id", "order line \"%s\" does not exist", id);
}

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    (void)inputs;
    const char *wanted = str(params, "order_line_id");
    const char *id = wanted && *wanted ? wanted : str(ctx->context, "order_line_id");
    if (!id) return pf_error_new(PF_EINVAL, "/context/order_line_id", "the run names no order line");
    json_t *line = NULL;
    pf_error *err = load(ctx, id, &line);
    if (err) return err;
    const json_t *intake = json_object_get(line, "intake");
    const char *required[] = {"step", "objects"};
    for (size_t i = 0; i < 2 && !err; i++)
        if (!json_object_get(intake, required[i]))
            err = pf_error_new(PF_EINVAL, "/context/line/intake", "the line's product has no %s from its CAD intake",
                               required[i]);
    if (!err && json_is_true(json_object_get(params, "require_intake")) &&
        (!json_object_get(intake, "glb") || !json_object_get(intake, "bbox")))
        err = pf_error_new(PF_EINVAL, "/context/line/intake",
                           "the product's CAD intake has not made its GLB and bounding box yet");
    if (err) {
        json_decref(line);
        return err;
    }
    *outputs = json_pack("{s:O, s:O, s:O}", "step", json_object_get(intake, "step"), "objects",
                         json_object_get(intake, "objects"), "line", line);
    const char *optional[] = {"glb", "bbox", "material_map"};
    for (size_t i = 0; i < 3; i++)
        if (json_object_get(intake, optional[i]))
            json_object_set(*outputs, optional[i], json_object_get(intake, optional[i]));
    json_decref(line);
    return NULL;
}

const pf_module_desc pf_module_order_resolve_line = {
    .key = "order.resolve_line",
    .contract_path = "modules/order/resolve_line.json",
    .execute = execute,
};
