/* cad.extract_objects: the object list of a STEP file. The fast mode is the
 * streaming scanner alone; the full mode needs the OCCT adapter. */
#include "modules/module.h"

#include "cad/step_scanner.h"
#include "core/mem.h"
#include "modules/module_files.h"

#include <string.h>

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    const char *mode = json_string_value(json_object_get(params, "mode"));
    if (mode && strcmp(mode, "full") == 0)
        return pf_error_new(PF_EUNAVAILABLE, "/params/mode",
                            "mode \"full\" needs the OCCT adapter, which lands later in issue #3; use \"fast\"");
    const char *path = json_string_value(json_object_get(json_object_get(inputs, "step"), "path"));
    if (!path) return pf_error_new(PF_EINVAL, "/inputs/step", "the step input has no path");
    pf_step_summary *summary = NULL;
    pf_error *err = pf_step_scan_file(path, &summary);
    if (err) {
        free(err->pointer);
        err->pointer = pf_strdup("/inputs/step");
        return err;
    }
    json_t *doc = pf_step_summary_json(summary);
    pf_step_summary_free(summary);
    json_object_set_new(doc, "mode", json_string("fast"));
    if (!json_is_true(json_object_get(params, "include_colours"))) {
        size_t i;
        json_t *node;
        json_array_foreach(json_object_get(doc, "tree"), i, node) json_object_del(node, "colour");
        json_object_del(doc, "colours");
    }
    json_t *value = NULL;
    err = pf_module_write_json(ctx, "objects.json", doc, &value);
    if (!err) {
        json_object_set(value, "summary", json_object_get(doc, "summary"));
        *outputs = json_pack("{s:o}", "objects", value);
    }
    json_decref(doc);
    return err;
}

const pf_module_desc pf_module_cad_extract_objects = {
    .key = "cad.extract_objects",
    .contract_path = "modules/cad/extract_objects.json",
    .execute = execute,
};
