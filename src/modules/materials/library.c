#include "modules/materials/library.h"

#include "core/id.h"
#include "core/mem.h"

#include <string.h>

pf_error *pf_material_library_load(const pf_module_ctx *ctx, const char *name, json_t **out) {
    *out = NULL;
    if (!pf_id_valid_slug(name))
        return pf_error_new(PF_EINVAL, "/params/library", "\"%s\" is not a library name", name);
    if (!ctx->share_dir) return pf_error_new(PF_EINTERNAL, "/params/library", "no share directory is configured");
    char *path = pf_asprintf("%s/materials/%s.json", ctx->share_dir, name);
    json_error_t jerr;
    json_t *lib = json_load_file(path, 0, &jerr);
    pf_error *err = NULL;
    if (!lib)
        err = pf_error_new(PF_ENOTFOUND, "/params/library", "material library \"%s\" cannot be read: %s", name,
                           jerr.text);
    else if (!json_is_array(json_object_get(lib, "materials")))
        err = pf_error_new(PF_EINVAL, "/params/library", "%s has no \"materials\" list", path);
    free(path);
    if (err)
        json_decref(lib);
    else
        *out = lib;
    return err;
}

const json_t *pf_material_find(const json_t *library, const char *key) {
    size_t i;
    const json_t *m;
    json_array_foreach(json_object_get(library, "materials"), i, m) {
        const char *k = json_string_value(json_object_get(m, "key"));
        if (k && strcmp(k, key) == 0) return m;
    }
    return NULL;
}
