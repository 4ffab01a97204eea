/* order.resolve_line: the entry of an Order Rendering run. It hands the rest
 * of the graph the product's STEP file and its CAD intake's artifacts, plus
 * the line itself. This first body reads the ephemeral line that
 * `prodflow run` (and shadow dispatch) put into the entry context under
 * "line"; stored orders come with issue #6. */
#include "modules/module.h"

#include <string.h>

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    (void)inputs;
    const char *wanted = json_string_value(json_object_get(params, "order_line_id"));
    const char *id = wanted && *wanted ? wanted : json_string_value(json_object_get(ctx->context, "order_line_id"));
    const json_t *line = json_object_get(ctx->context, "line");
    const char *line_id = json_string_value(json_object_get(line, "id"));
    if (!line || !id || !line_id || strcmp(line_id, id) != 0)
        return pf_error_new(PF_ENOTFOUND, "/context/order_line_id",
                            "order line \"%s\" is not in the run's context, and stored orders arrive with issue #6",
                            id ? id : "");
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

const pf_module_desc pf_module_order_resolve_line = {
    .key = "order.resolve_line",
    .contract_path = "modules/order/resolve_line.json",
    .execute = execute,
};
