/* materials.resolve_map: the per-part map a render uses. A material
 * override wins over everything; otherwise explicit overrides win over the
 * automatic map. Parts left without a material are listed, and fail the
 * module under require_complete. Last, allowed_materials (an output type's
 * constraint) re-maps each part whose material is not allowed, to the
 * nearest allowed one or to constraint_default, or fails the module naming
 * the parts (on_disallowed). */
#include "modules/module.h"

#include "core/mem.h"
#include "modules/materials/library.h"
#include "modules/module_files.h"

#include <string.h>

static pf_error *unknown_material(const char *pointer, const char *key) {
    return pf_error_new(PF_EINVAL, pointer, "material \"%s\" is not in the library", key);
}

static pf_error *check_overrides(const json_t *library, const json_t *overrides) {
    const char *path;
    const json_t *m;
    json_object_foreach((json_t *)overrides, path, m) {
        if (pf_material_find(library, json_string_value(m))) continue;
        char *ptr = pf_ptr_join("/params/overrides", path);
        pf_error *err = unknown_material(ptr, json_string_value(m));
        free(ptr);
        return err;
    }
    return NULL;
}

static bool allowed(const json_t *list, const char *key) {
    if (!json_array_size(list)) return true;
    size_t i;
    const json_t *a;
    json_array_foreach(list, i, a) if (json_string_value(a) && strcmp(json_string_value(a), key) == 0) return true;
    return false;
}

/* The constraint's own problems, before any part is looked at. */
static pf_error *check_constraint(const json_t *library, const json_t *params) {
    const json_t *list = json_object_get(params, "allowed_materials");
    size_t i;
    const json_t *a;
    json_array_foreach(list, i, a) if (!pf_material_find(library, json_string_value(a))) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/params/allowed_materials/%zu", i);
        return unknown_material(ptr, json_string_value(a));
    }
    const char *policy = json_string_value(json_object_get(params, "on_disallowed"));
    const char *fallback = json_string_value(json_object_get(params, "constraint_default"));
    if (json_array_size(list) && policy && strcmp(policy, "default") == 0) {
        if (!fallback || !*fallback)
            return pf_error_new(PF_EINVAL, "/params/constraint_default",
                                "on_disallowed is \"default\" and no constraint_default is set");
        if (!pf_material_find(library, fallback)) return unknown_material("/params/constraint_default", fallback);
        if (!allowed(list, fallback))
            return pf_error_new(PF_EINVAL, "/params/constraint_default",
                                "constraint_default \"%s\" is not one of the allowed materials", fallback);
    }
    return NULL;
}

/* Applies the constraint to one resolved part; *offending collects the
 * parts under on_disallowed: fail. */
static const char *constrain(const json_t *library, const json_t *params, const char *path, const char *material,
                             json_t *entry, json_t *offending) {
    const json_t *list = json_object_get(params, "allowed_materials");
    if (allowed(list, material)) return material;
    const char *policy = json_string_value(json_object_get(params, "on_disallowed"));
    if (policy && strcmp(policy, "fail") == 0) {
        json_array_append_new(offending, json_pack("{s:s, s:s}", "part", path, "material", material));
        return material;
    }
    const char *to = NULL;
    if (policy && strcmp(policy, "default") == 0)
        to = json_string_value(json_object_get(params, "constraint_default"));
    else
        to = json_string_value(json_object_get(pf_material_nearest_allowed(library, material, list), "key"));
    json_object_set_new(entry, "remapped_from", json_string(material));
    json_object_set_new(entry, "constraint_rule", json_string(policy ? policy : "nearest"));
    json_object_set_new(entry, "source", json_string("constraint"));
    json_object_set_new(entry, "material", json_string(to));
    return json_string_value(json_object_get(entry, "material"));
}

static pf_error *resolve(const json_t *library, const json_t *objects, const json_t *auto_map, const json_t *params,
                         json_t **map_out) {
    const char *override = json_string_value(json_object_get(params, "material_override"));
    const json_t *overrides = json_object_get(params, "overrides");
    if (override && *override && !pf_material_find(library, override))
        return unknown_material("/params/material_override", override);
    pf_error *err = check_overrides(library, overrides);
    if (!err) err = check_constraint(library, params);
    if (err) return err;
    json_t *parts = json_object(), *unmapped = json_array(), *used = json_object(), *offending = json_array();
    size_t i;
    json_t *node;
    json_array_foreach(json_object_get(objects, "tree"), i, node) {
        if (json_is_true(json_object_get(node, "is_assembly"))) continue;
        const char *path = json_string_value(json_object_get(node, "path"));
        const char *material = NULL, *source = NULL;
        const json_t *automatic = json_object_get(json_object_get(auto_map, "parts"), path);
        if (override && *override)
            material = override, source = "material_override";
        else if (json_object_get(overrides, path))
            material = json_string_value(json_object_get(overrides, path)), source = "override";
        else if (automatic) {
            material = json_string_value(json_object_get(automatic, "material"));
            source = "auto_map";
            if (material && !pf_material_find(library, material)) material = NULL; /* stale auto map */
        }
        if (!material) {
            json_array_append_new(unmapped, json_string(path));
            continue;
        }
        json_t *entry = json_pack("{s:s, s:s}", "material", material, "source", source);
        material = constrain(library, params, path, material, entry, offending);
        json_object_set_new(parts, path, entry);
        json_object_set_new(used, material, json_deep_copy(pf_material_find(library, material)));
    }
    if (json_array_size(offending)) {
        /* Every offending part, up to a readable number, in one message. */
        size_t n = json_array_size(offending), shown = n < 12 ? n : 12;
        char *list = pf_strdup("");
        for (size_t k = 0; k < shown; k++) {
            const json_t *o = json_array_get(offending, k);
            char *next = pf_asprintf("%s%s%s (%s)", list, k ? ", " : "", json_string_value(json_object_get(o, "part")),
                                     json_string_value(json_object_get(o, "material")));
            free(list);
            list = next;
        }
        err = pf_error_new(PF_EINVAL, "/params/allowed_materials",
                           "%zu part%s %s a material the output type does not allow: %s%s", n, n == 1 ? "" : "s",
                           n == 1 ? "has" : "have", list, n > shown ? ", ..." : "");
        free(list);
        json_decref(parts), json_decref(unmapped), json_decref(used), json_decref(offending);
        return err;
    }
    json_decref(offending);
    char digest[65];
    pf_material_library_digest(library, digest);
    *map_out = json_pack("{s:O, s:s, s:o, s:o, s:o}", "library", json_object_get(params, "library"), "library_sha256",
                         digest, "parts", parts, "unmapped", unmapped, "materials", used);
    if (json_array_size(json_object_get(params, "allowed_materials")))
        json_object_set_new(*map_out, "constraint",
                            json_pack("{s:O, s:O, s:O}", "allowed_materials",
                                      json_object_get(params, "allowed_materials"), "on_disallowed",
                                      json_object_get(params, "on_disallowed"), "constraint_default",
                                      json_object_get(params, "constraint_default")));
    return NULL;
}

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    json_t *library = NULL, *objects = NULL, *auto_map = NULL, *map = NULL;
    pf_error *err = pf_material_library_load(ctx, json_string_value(json_object_get(params, "library")), &library);
    if (!err) err = pf_module_read_json_input(json_object_get(inputs, "objects"), "/inputs/objects", &objects);
    if (!err && json_object_get(inputs, "auto_map"))
        err = pf_module_read_json_input(json_object_get(inputs, "auto_map"), "/inputs/auto_map", &auto_map);
    if (!err) err = resolve(library, objects, auto_map, params, &map);
    size_t unmapped = json_array_size(json_object_get(map, "unmapped"));
    if (!err && unmapped && json_is_true(json_object_get(params, "require_complete")))
        err = pf_error_new(PF_EINVAL, "/params/require_complete", "%zu part%s have no material, first %s", unmapped,
                           unmapped == 1 ? "" : "s",
                           json_string_value(json_array_get(json_object_get(map, "unmapped"), 0)));
    json_t *value = NULL;
    if (!err) err = pf_module_write_json(ctx, "resolved_material_map.json", map, &value);
    if (!err) {
        json_object_set_new(value, "unmapped", json_integer((json_int_t)unmapped));
        *outputs = json_pack("{s:o}", "material_map", value);
    }
    json_decref(map);
    json_decref(auto_map);
    json_decref(objects);
    json_decref(library);
    return err;
}

PF_MODULE(materials, resolve_map, .execute = execute);
