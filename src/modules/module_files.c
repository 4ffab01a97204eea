#include "modules/module_files.h"

#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"

#include <string.h>

const char *pf_module_work_dir(const pf_module_ctx *ctx) {
    /* A failure shows up as a clear error when the module writes its file. */
    pf_error_free(pf_mkdirs(ctx->work_dir, 0755));
    return ctx->work_dir;
}

char *pf_module_work_path(const pf_module_ctx *ctx, const char *name) {
    return pf_asprintf("%s/%s", pf_module_work_dir(ctx), name);
}

pf_error *pf_module_write_json(const pf_module_ctx *ctx, const char *name, const json_t *doc, json_t **value) {
    char *path = pf_module_work_path(ctx, name);
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
    pf_error *err = pf_write_file_atomic(path, text, strlen(text));
    if (!err) err = pf_module_file_value(path, "application/json", value);
    free(text);
    free(path);
    return err;
}

pf_error *pf_module_file_value(const char *path, const char *media_type, json_t **value) {
    char digest[65];
    uint64_t size = 0;
    pf_error *err = pf_sha256_file(path, digest, &size);
    if (err) return err;
    *value = json_pack("{s:s, s:s, s:I, s:s}", "path", path, "sha256", digest, "size", (json_int_t)size, "media_type",
                       media_type);
    return NULL;
}

pf_error *pf_module_read_json_input(const json_t *value, const char *pointer, json_t **out) {
    const char *path = json_string_value(json_object_get(value, "path"));
    if (!path) return pf_error_new(PF_EINVAL, pointer, "the input has no path");
    json_error_t jerr;
    *out = json_load_file(path, 0, &jerr);
    if (!*out) return pf_error_new(PF_EINVAL, pointer, "%s is not readable JSON: %s", path, jerr.text);
    return NULL;
}
