#include "modules/materials/library.h"

#include "core/embed.h"
#include "core/id.h"
#include "core/json_text.h"
#include "core/jsonschema.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *library_path(const char *root, const char *name) {
    return pf_asprintf("%s/materials/%s.json", root, name);
}

pf_error *pf_material_library_load(const pf_module_ctx *ctx, const char *name, json_t **out) {
    *out = NULL;
    if (!pf_id_valid_slug(name))
        return pf_error_new(PF_EINVAL, "/params/library", "\"%s\" is not a library name", name);
    if (!ctx->share_dir) return pf_error_new(PF_EINTERNAL, "/params/library", "no share directory is configured");
    char *path = ctx->data_root ? library_path(ctx->data_root, name) : NULL;
    if (!path || access(path, R_OK) != 0) {
        free(path);
        path = library_path(ctx->share_dir, name);
    }
    json_error_t jerr;
    json_t *lib = json_load_file(path, 0, &jerr);
    pf_error *err = NULL;
    /* Messages name the library, never the server's path to it. */
    if (!lib && access(path, F_OK) != 0)
        err = pf_error_new(PF_ENOTFOUND, "/params/library", "material library \"%s\" does not exist", name);
    else if (!lib)
        err = pf_error_new(PF_EINVAL, "/params/library", "material library \"%s\" is not valid JSON (line %d: %s)",
                           name, jerr.line, jerr.text);
    else if (!json_is_array(json_object_get(lib, "materials")))
        err = pf_error_new(PF_EINVAL, "/params/library", "material library \"%s\" has no \"materials\" list", name);
    free(path);
    if (err)
        json_decref(lib);
    else
        *out = lib;
    return err;
}

void pf_material_library_digest(const json_t *library, char out[65]) {
    char *text = pf_json_text(library, true);
    pf_sha256_hex(text, strlen(text), out);
    free(text);
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

static double srgb(double c) { return c <= 0.0031308 ? c * 12.92 : 1.055 * pow(c, 1 / 2.4) - 0.055; }

static double input(const json_t *m, const char *name, double missing) {
    const json_t *v = json_object_get(json_object_get(m, "principled_bsdf"), name);
    return json_is_number(v) ? json_number_value(v) : missing;
}

double pf_material_distance(const json_t *a, const json_t *b) {
    const json_t *ca = json_object_get(json_object_get(a, "principled_bsdf"), "base_color");
    const json_t *cb = json_object_get(json_object_get(b, "principled_bsdf"), "base_color");
    double sum = 0;
    for (size_t i = 0; i < 3; i++) {
        double d = srgb(json_number_value(json_array_get(ca, i))) - srgb(json_number_value(json_array_get(cb, i)));
        sum += d * d;
    }
    const char *names[] = {"metallic", "roughness", "transmission"};
    const double missing[] = {0, 0.5, 0};
    for (size_t i = 0; i < 3; i++) {
        double d = input(a, names[i], missing[i]) - input(b, names[i], missing[i]);
        sum += d * d;
    }
    return sqrt(sum / 6);
}

const json_t *pf_material_nearest_allowed(const json_t *library, const char *key, const json_t *allowed) {
    const json_t *from = pf_material_find(library, key), *best = NULL;
    double best_d = INFINITY;
    size_t i;
    const json_t *a;
    json_array_foreach(allowed, i, a) {
        const json_t *m = json_string_value(a) ? pf_material_find(library, json_string_value(a)) : NULL;
        if (!m) continue;
        double d = from ? pf_material_distance(from, m) : 0;
        if (d < best_d) best_d = d, best = m;
    }
    return best;
}

static void list_dir(json_t *out, const char *root, const char *source) {
    char *dir = pf_asprintf("%s/materials", root);
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        char *name = pf_strndup(e->d_name, len - 5), *path = pf_asprintf("%s/%s", dir, e->d_name);
        json_t *lib = json_object_get(out, name) ? NULL : json_load_file(path, 0, NULL);
        if (lib)
            json_object_set_new(
                out, name,
                json_pack("{s:s, s:O?, s:O?, s:I, s:s}", "library", name, "label", json_object_get(lib, "label"),
                          "description", json_object_get(lib, "description"), "materials",
                          (json_int_t)json_array_size(json_object_get(lib, "materials")), "source", source));
        json_decref(lib);
        free(path);
        free(name);
    }
    if (d) closedir(d);
    free(dir);
}

json_t *pf_material_libraries(const char *share_dir, const char *data_root) {
    json_t *by_name = json_object(), *list = json_array();
    if (data_root) list_dir(by_name, data_root, "data"); /* first: it wins */
    if (share_dir) list_dir(by_name, share_dir, "share");
    const char *name;
    json_t *lib;
    json_object_foreach(by_name, name, lib) json_array_append(list, lib);
    json_decref(by_name);
    return list;
}

size_t pf_material_library_validate(const json_t *doc, const char *name, pf_errors *errs) {
    size_t before = errs->len;
    json_t *schema = json_loads(pf_embed_find("modules/materials/material_library.schema.json")->data, 0, NULL);
    pf_schema_validate(schema, doc, "", errs);
    json_decref(schema);
    const char *given = json_string_value(json_object_get(doc, "library"));
    if (given && strcmp(given, name) != 0)
        pf_errors_add(errs, PF_EINVAL, "/library", "the library is named \"%s\" in its path, not \"%s\"", name, given);
    size_t i, j;
    const json_t *m;
    const json_t *list = json_object_get(doc, "materials");
    json_array_foreach(list, i, m) {
        const char *key = json_string_value(json_object_get(m, "key"));
        for (j = 0; key && j < i; j++)
            if (json_equal(json_object_get(json_array_get(list, j), "key"), json_object_get(m, "key"))) {
                char *ptr = pf_asprintf("/materials/%zu/key", i);
                pf_errors_add(errs, PF_EINVAL, ptr, "material \"%s\" is already at /materials/%zu", key, j);
                free(ptr);
                break;
            }
    }
    pf_error *rule = pf_material_name_rules_check(doc, "/name_rules");
    if (rule) {
        pf_errors_add(errs, rule->code, rule->pointer, "%s", rule->message);
        pf_error_free(rule);
    }
    return errs->len - before;
}

pf_error *pf_material_library_save(const char *data_root, const char *name, const json_t *doc, pf_errors *errs) {
    if (!pf_id_valid_slug(name)) return pf_error_new(PF_EINVAL, "/path/name", "\"%s\" is not a library name", name);
    if (pf_material_library_validate(doc, name, errs))
        return pf_error_new(PF_EINVAL, "", "the library has %zu problem%s", errs->len, errs->len == 1 ? "" : "s");
    char *dir = pf_asprintf("%s/materials", data_root), *path = library_path(data_root, name);
    char *text = pf_json_text(doc, false);
    pf_error *err = pf_mkdirs(dir, 0755);
    if (!err) err = pf_write_file_atomic(path, text, strlen(text));
    free(text);
    free(path);
    free(dir);
    return err;
}

pf_error *pf_material_library_delete(const char *data_root, const char *name) {
    if (!pf_id_valid_slug(name)) return pf_error_new(PF_EINVAL, "/path/name", "\"%s\" is not a library name", name);
    char *path = library_path(data_root, name);
    pf_error *err = NULL;
    if (unlink(path) != 0)
        err = errno == ENOENT ? pf_error_new(PF_ENOTFOUND, "", "library \"%s\" has no edited copy to delete", name)
                              : pf_error_new(PF_EIO, "", "cannot delete %s: %s", path, strerror(errno));
    free(path);
    return err;
}
