/* order.resolve_line: the entry of an Order Rendering run. The catalog puts
 * the loaded order line into the run's context at dispatch (its product,
 * the intake's artifacts and the resolved invocation), so this module
 * needs no store: it checks the line and hands the rest of the graph the
 * STEP file, the intake's artifacts and the line. A run records its
 * context, so a resumed or re-run run sees the line as it was dispatched. */
#include "modules/module.h"

#include "core/json.h"

#include <string.h>

/* The line named by id from the context; a borrowed reference. */
static pf_error *find_line(const pf_module_ctx *ctx, const char *id, const json_t **line) {
    const json_t *in_context = json_object_get(ctx->context, "line");
    const char *have = pf_json_str(in_context, "id");
    if (!have || strcmp(have, id) != 0)
        return pf_error_new(PF_ENOTFOUND, "/context/line", "the run's context does not carry order line \"%s\"", id);
    *line = in_context;
    return NULL;
}

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    (void)inputs;
    const char *wanted = pf_json_str(params, "order_line_id");
    const char *id = wanted && *wanted ? wanted : pf_json_str(ctx->context, "order_line_id");
    if (!id) return pf_error_new(PF_EINVAL, "/context/order_line_id", "the run names no order line");
    const json_t *line = NULL;
    pf_error *err = find_line(ctx, id, &line);
    if (err) return err;
    const json_t *intake = json_object_get(line, "intake");
    const char *required[] = {"step", "objects"};
    for (size_t i = 0; i < 2; i++)
        if (!json_object_get(intake, required[i]))
            return pf_error_new(PF_EINVAL, "/context/line/intake", "the line's product has no %s from its CAD intake",
                                required[i]);
    if (json_is_true(json_object_get(params, "require_intake")) &&
        (!json_object_get(intake, "glb") || !json_object_get(intake, "bbox")))
        return pf_error_new(PF_EINVAL, "/context/line/intake",
                            "the product's CAD intake has not made its GLB and bounding box yet");
    *outputs = json_pack("{s:O, s:O, s:O}", "step", json_object_get(intake, "step"), "objects",
                         json_object_get(intake, "objects"), "line", line);
    const char *optional[] = {"glb", "bbox", "material_map"};
    for (size_t i = 0; i < 3; i++)
        if (json_object_get(intake, optional[i]))
            json_object_set(*outputs, optional[i], json_object_get(intake, optional[i]));
    return NULL;
}

PF_MODULE(order, resolve_line, .execute = execute);
