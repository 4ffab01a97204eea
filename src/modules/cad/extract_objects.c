/* cad.extract_objects: the object list of a STEP file. The fast mode is the
 * streaming scanner alone; the full mode needs the OCCT adapter. */
#include "modules/module.h"

#include "cad/step_scanner.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"

#include <string.h>

/* Writes doc as a JSON artifact file in the work directory. */
static pf_error *write_json_artifact(const pf_module_ctx *ctx, const char *name, const json_t *doc, json_t **value) {
    char *path = pf_asprintf("%s/%s", ctx->work_dir, name);
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
    size_t len = strlen(text);
    pf_error *err = pf_write_file_atomic(path, text, len);
    if (!err) {
        char digest[65];
        pf_sha256_hex(text, len, digest);
        *value = json_pack("{s:s, s:s, s:I, s:s}", "path", path, "sha256", digest, "size", (json_int_t)len,
                           "media_type", "application/json");
    }
    free(text);
    free(path);
    return err;
}

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
    err = write_json_artifact(ctx, "objects.json", doc, &value);
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
