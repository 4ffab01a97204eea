/* materials.auto_populate: a material for every part, by rules tried in a
 * fixed order: explicit name patterns, then the STEP colour's nearest
 * library material, then the library's own name rules (bolt -> steel, ...),
 * then the category default. Each assignment names the rule that made it. */
#include "modules/module.h"

#include "core/mem.h"
#include "modules/materials/library.h"
#include "modules/module_files.h"

#include <math.h>
#include <regex.h>
#include <string.h>

typedef struct {
    regex_t re;
    const char *material;
    const char *pattern;
    const char *label; /* library rules: the rule's label, if it has one */
} name_rule;

static double to_srgb(double c) { return c <= 0.0031308 ? c * 12.92 : 1.055 * pow(c, 1 / 2.4) - 0.055; }

/* Distance of two linear colours, compared as sRGB, scaled to 0..1. */
static double colour_distance(const json_t *a, const json_t *b) {
    double sum = 0;
    for (size_t i = 0; i < 3; i++) {
        double d = to_srgb(json_number_value(json_array_get(a, i))) - to_srgb(json_number_value(json_array_get(b, i)));
        sum += d * d;
    }
    return sqrt(sum / 3);
}

static const json_t *nearest(const json_t *library, const json_t *colour, double *distance) {
    const json_t *best = NULL;
    *distance = INFINITY;
    size_t i;
    const json_t *m;
    json_array_foreach(json_object_get(library, "materials"), i, m) {
        double d = colour_distance(colour, json_object_get(json_object_get(m, "principled_bsdf"), "base_color"));
        if (d < *distance) *distance = d, best = m;
    }
    return best;
}

/* Compiles a list of {pattern, material} rules; problems point at
 * base/<index>/pattern or /material. */
static pf_error *compile_list(const json_t *list, const json_t *library, const char *base, name_rule **out, size_t *n) {
    *n = 0;
    *out = pf_xcalloc(json_array_size(list) + 1, sizeof **out);
    size_t i;
    const json_t *p;
    json_array_foreach(list, i, p) {
        name_rule *r = &(*out)[*n];
        r->pattern = json_string_value(json_object_get(p, "pattern"));
        r->material = json_string_value(json_object_get(p, "material"));
        r->label = json_string_value(json_object_get(p, "label"));
        char ptr[160];
        if (!r->pattern || !r->material) {
            snprintf(ptr, sizeof ptr, "%s/%zu", base, i);
            return pf_error_new(PF_EINVAL, ptr, "a name rule needs a pattern and a material");
        }
        if (!pf_material_find(library, r->material)) {
            snprintf(ptr, sizeof ptr, "%s/%zu/material", base, i);
            return pf_error_new(PF_EINVAL, ptr, "material \"%s\" is not in the library", r->material);
        }
        if (regcomp(&r->re, r->pattern, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
            snprintf(ptr, sizeof ptr, "%s/%zu/pattern", base, i);
            return pf_error_new(PF_EINVAL, ptr, "\"%s\" is not a regular expression", r->pattern);
        }
        (*n)++;
    }
    return NULL;
}

static void free_rules(name_rule *rules, size_t n) {
    for (size_t i = 0; i < n; i++)
        regfree(&rules[i].re);
    free(rules);
}

pf_error *pf_material_name_rules_check(const json_t *library, const char *base) {
    name_rule *rules = NULL;
    size_t n = 0;
    pf_error *err = compile_list(json_object_get(library, "name_rules"), library, base, &rules, &n);
    free_rules(rules, n);
    return err;
}

static const name_rule *match(const name_rule *rules, size_t n, const json_t *node) {
    const char *name = json_string_value(json_object_get(node, "name"));
    const char *product = json_string_value(json_object_get(node, "product"));
    for (size_t i = 0; i < n; i++)
        if ((name && regexec(&rules[i].re, name, 0, NULL, 0) == 0) ||
            (product && regexec(&rules[i].re, product, 0, NULL, 0) == 0))
            return &rules[i];
    return NULL;
}

typedef struct {
    name_rule *params, *library;
    size_t n_params, n_library;
} rule_sets;

static json_t *assign(const rule_sets *rules, const json_t *library, const json_t *params, const json_t *node) {
    const name_rule *r = match(rules->params, rules->n_params, node);
    if (r) return json_pack("{s:s, s:s, s:s}", "material", r->material, "rule", "name_pattern", "detail", r->pattern);
    const json_t *colour = json_object_get(node, "colour");
    if (json_is_true(json_object_get(params, "use_step_colours")) && json_is_array(colour)) {
        double d;
        const json_t *m = nearest(library, colour, &d);
        if (m && d <= json_number_value(json_object_get(params, "colour_tolerance")))
            return json_pack("{s:s, s:s, s:f}", "material", json_string_value(json_object_get(m, "key")), "rule",
                             "step_colour", "distance", round(d * 1e4) / 1e4);
    }
    /* The library's rules come after the STEP colour: a colour the designer
     * gave is a stronger hint than a name. */
    if ((r = match(rules->library, rules->n_library, node)))
        return json_pack("{s:s, s:s, s:s, s:s?}", "material", r->material, "rule", "library_name_rule", "detail",
                         r->pattern, "label", r->label);
    return json_pack("{s:s, s:s}", "material", json_string_value(json_object_get(params, "category_default")), "rule",
                     "category_default");
}

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    json_t *library = NULL, *objects = NULL;
    pf_error *err = pf_material_library_load(ctx, json_string_value(json_object_get(params, "library")), &library);
    if (!err) err = pf_module_read_json_input(json_object_get(inputs, "objects"), "/inputs/objects", &objects);
    const char *fallback = json_string_value(json_object_get(params, "category_default"));
    if (!err && !pf_material_find(library, fallback))
        err = pf_error_new(PF_EINVAL, "/params/category_default", "material \"%s\" is not in the library", fallback);
    rule_sets rules = {0};
    if (!err)
        err = compile_list(json_object_get(params, "name_patterns"), library, "/params/name_patterns", &rules.params,
                           &rules.n_params);
    if (!err && json_is_true(json_object_get(params, "use_library_rules"))) {
        err = compile_list(json_object_get(library, "name_rules"), library, "/name_rules", &rules.library,
                           &rules.n_library);
        if (err) { /* the library was saved unchecked (a file dropped in) */
            pf_error *e =
                pf_error_new(PF_EINVAL, "/params/library", "library \"%s\" has a bad name rule at %s: %s",
                             json_string_value(json_object_get(params, "library")), err->pointer, err->message);
            pf_error_free(err);
            err = e;
        }
    }
    if (!err) {
        json_t *parts = json_object();
        size_t i;
        json_t *node;
        json_array_foreach(json_object_get(objects, "tree"), i, node) {
            if (json_is_true(json_object_get(node, "is_assembly"))) continue;
            json_object_set_new(parts, json_string_value(json_object_get(node, "path")),
                                assign(&rules, library, params, node));
        }
        char digest[65];
        pf_material_library_digest(library, digest);
        json_t *map = json_pack("{s:O, s:s, s:o, s:[s, s, s, s]}", "library", json_object_get(params, "library"),
                                "library_sha256", digest, "parts", parts, "rules", "name_pattern", "step_colour",
                                "library_name_rule", "category_default");
        json_t *value = NULL;
        err = pf_module_write_json(ctx, "material_map.json", map, &value);
        if (!err) *outputs = json_pack("{s:o}", "material_map", value);
        json_decref(map);
    }
    free_rules(rules.params, rules.n_params);
    free_rules(rules.library, rules.n_library);
    json_decref(objects);
    json_decref(library);
    return err;
}

PF_MODULE(materials, auto_populate, .execute = execute);
