#include "catalog/output_type.h"
#include "core/json.h"

#include "core/embed.h"
#include "core/jsonschema.h"
#include "core/mem.h"
#include "core/regex.h"
#include "legacy/compat.h"
#include "modules/materials/library.h"
#include "runtime/params.h"
#include "workflow/workflow.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *const pf_output_type_steps[] = {"family", "workflow", "artifact_kind", "overrides", "commercial", "review"};
const size_t pf_output_type_n_steps = sizeof pf_output_type_steps / sizeof *pf_output_type_steps;

/* The wizard step that sets each field; a field it does not list (an
 * unknown one) is reported at every step. */
static size_t step_of_field(const char *field) {
    static const struct {
        const char *field;
        size_t step;
    } map[] = {
        {"family", 0},    {"workflow", 1},     {"rollout", 1},    {"legacy_render_settings", 1}, {"artifact_kind", 2},
        {"overrides", 3}, {"pricing_tier", 4}, {"categories", 4}, {"material_constraints", 4},   {"visibility", 4},
        {"key", 4},       {"name", 4},         {"description", 4}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(map[i].field, field) == 0) return map[i].step;
    return 0;
}

static json_t *property(json_t *schema, const char *name) {
    return json_object_get(json_object_get(schema, "properties"), name);
}

/* An enum of values when there are any; an empty catalog leaves the field
 * open, and validate() says the catalog is empty. */
static void set_enum(json_t *prop, json_t *values) {
    if (json_array_size(values))
        json_object_set(prop, "enum", values);
    else
        json_object_del(prop, "enum");
    json_decref(values);
}

json_t *pf_output_type_schema(const pf_catalog *c, const json_t *workflow) {
    json_t *schema = json_loads(pf_embed_find("catalog/output_type.schema.json")->data, 0, NULL);
    const pf_contract *contract = &c->registry->contract;
    json_t *families = json_array();
    for (size_t i = 0; i < contract->n_families; i++)
        json_array_append_new(families, json_string(contract->families[i].key));
    set_enum(property(schema, "family"), families);
    json_t *kinds = json_array();
    size_t i;
    const json_t *kind;
    json_array_foreach(json_object_get(contract->vocabulary, "artifact_kinds"), i, kind)
        json_array_append(kinds, json_object_get(kind, "key"));
    set_enum(property(schema, "artifact_kind"), kinds);
    set_enum(property(schema, "pricing_tier"), pf_catalog_keys(c->store, "pricing_tier"));
    json_t *categories = pf_catalog_keys(c->store, "category");
    json_array_insert_new(categories, 0, json_string("*"));
    set_enum(json_object_get(property(schema, "categories"), "items"), categories);
    if (workflow) {
        json_t *overrides = property(schema, "overrides"), *props = json_object();
        const char *name;
        const json_t *param;
        json_object_foreach(json_object_get(json_object_get(workflow, "invocation"), "params"), name, param)
            json_object_set(props, name, json_object_get(param, "schema"));
        json_object_set_new(overrides, "properties", props);
        json_object_set_new(overrides, "additionalProperties", json_false());
        json_object_set_new(overrides, "x-workflow",
                            json_pack("{s:s?, s:O?}", "id", pf_json_str(workflow, "id"), "version",
                                      json_object_get(workflow, "version")));
    }
    return schema;
}

static json_t *defaults_from(const json_t *schema, const json_t *doc) {
    json_t *out = pf_schema_apply_defaults(schema, doc);
    json_t *copy = json_deep_copy(out);      /* apply_defaults shares values with doc */
    json_object_del(copy, "legacy_mapping"); /* served, not stored */
    json_decref(out);
    return copy;
}

json_t *pf_output_type_with_defaults(const pf_catalog *c, const json_t *doc) {
    json_t *schema = pf_output_type_schema(c, NULL);
    json_t *copy = defaults_from(schema, doc);
    json_decref(schema);
    return copy;
}

pf_error *pf_output_type_workflow(const pf_catalog *c, const json_t *doc, json_t **wf_out) {
    *wf_out = NULL;
    const json_t *link = json_object_get(doc, "workflow");
    if (!json_is_object(link) || !pf_json_str(link, "id")) return NULL;
    return pf_workflow_find(c->store, c->starters, pf_json_str(link, "id"),
                            (int)json_integer_value(json_object_get(link, "version")), wf_out);
}

__attribute__((format(printf, 4, 5))) static void add(pf_errors *errs, const char *base, const char *ptr,
                                                      const char *fmt, ...) {
    char *full = pf_asprintf("%s%s", base, ptr);
    va_list ap;
    va_start(ap, fmt);
    pf_errors_vadd(errs, PF_EINVAL, full, fmt, ap);
    va_end(ap);
    free(full);
}

/* The artifact kinds a workflow's invocation contract delivers. */
static json_t *delivered_kinds(const json_t *workflow) {
    json_t *kinds = json_array();
    const char *role;
    const json_t *spec;
    json_object_foreach(json_object_get(json_object_get(workflow, "invocation"), "artifacts"), role, spec) {
        const json_t *k = json_object_get(spec, "kind");
        bool seen = false;
        size_t i;
        const json_t *have;
        json_array_foreach(kinds, i, have) seen = seen || json_equal(have, k);
        if (k && !seen) json_array_append(kinds, (json_t *)k);
    }
    return kinds;
}

static bool contains(const json_t *list, const char *s) {
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v) if (s && json_string_value(v) && strcmp(json_string_value(v), s) == 0) return true;
    return false;
}

static char *joined(const json_t *list) {
    char *out = pf_strdup("");
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v) {
        char *next = pf_asprintf("%s%s%s", out, i ? ", " : "", json_string_value(v));
        free(out);
        out = next;
    }
    return out;
}

/* The linked workflow: it exists, is of the output type's family, is valid,
 * delivers the artifact kind and accepts the overrides. */
static void check_workflow(const pf_catalog *c, const json_t *doc, const json_t *wf, const char *base,
                           pf_errors *errs) {
    const char *id = pf_json_str(wf, "id"), *family = pf_json_str(doc, "family");
    if (family && pf_json_str(wf, "family") && strcmp(family, pf_json_str(wf, "family")) != 0)
        add(errs, base, "/workflow/id", "workflow %s belongs to the %s family, not to %s", id,
            pf_json_str(wf, "family"), family);
    pf_errors found;
    pf_errors_init(&found);
    if (pf_workflow_validate(c->registry, wf, &found))
        add(errs, base, "/workflow", "workflow %s does not validate: %s (at %s)", id, found.items[0].message,
            found.items[0].pointer);
    pf_errors_clear(&found);
    json_t *kinds = delivered_kinds(wf);
    const char *kind = pf_json_str(doc, "artifact_kind");
    if (kind && !contains(kinds, kind)) {
        char *list = joined(kinds);
        add(errs, base, "/artifact_kind", "workflow %s delivers %s, not %s", id, *list ? list : "no artifact", kind);
        free(list);
    }
    json_decref(kinds);
    char *ptr = pf_asprintf("%s/overrides", base);
    long pattern_budget = PF_REGEX_BUDGET;
    pf_params_check_overrides(wf, json_object_get(doc, "overrides"), ptr, errs, &pattern_budget);
    free(ptr);
}

static void check_legacy(const json_t *doc, const char *base, pf_errors *errs) {
    const json_t *settings = json_object_get(doc, "legacy_render_settings");
    if (!json_is_object(settings)) {
        if (!json_is_null(settings) && settings) return; /* the schema reports the type */
        add(errs, base, "/legacy_render_settings",
            "the %s rollout runs the legacy pipeline, which needs legacy render settings",
            pf_json_str(doc, "rollout") ? pf_json_str(doc, "rollout") : "legacy");
        return;
    }
    char *lbase = pf_asprintf("%s/legacy_render_settings", base);
    pf_compat_result r;
    if (pf_compat_map(settings, lbase, errs, &r) == 0) {
        const char *kind = pf_json_str(doc, "artifact_kind");
        if (kind && strcmp(r.artifact_kind, kind) != 0)
            add(errs, base, "/legacy_render_settings", "the legacy settings make a %s, but the output type sells a %s",
                r.artifact_kind, kind);
        pf_compat_result_free(&r);
    }
    free(lbase);
}

/* The material constraints name a library that exists and materials it
 * has, and a material override the constraints allow: what the runs will
 * enforce (materials.resolve_map) is checked when the output type is
 * saved. Messages name the library, never a server path. */
static void check_material_constraints(const pf_catalog *c, const json_t *doc, pf_errors *errs) {
    const json_t *mc = json_object_get(doc, "material_constraints");
    if (!json_is_object(mc) || !c->share_dir) return;
    const char *name = pf_json_str(mc, "library") ? pf_json_str(mc, "library") : "default";
    pf_module_ctx ctx = {.share_dir = c->share_dir, .data_root = c->data_dir};
    json_t *library = NULL;
    pf_error *err = pf_material_library_load(&ctx, name, &library);
    if (err) {
        add(errs, "", "/material_constraints/library", "%s", err->message);
        pf_error_free(err);
        return;
    }
    const json_t *list = json_object_get(mc, "allowed_materials");
    size_t i;
    const json_t *a;
    json_array_foreach(list, i, a) if (json_is_string(a) && !pf_material_find(library, json_string_value(a))) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/material_constraints/allowed_materials/%zu", i);
        add(errs, "", ptr, "material \"%s\" is not in library %s", json_string_value(a), name);
    }
    const char *fallback = pf_json_str(mc, "default_material"), *policy = pf_json_str(mc, "on_disallowed");
    if (fallback && !pf_material_find(library, fallback))
        add(errs, "", "/material_constraints/default_material", "material \"%s\" is not in library %s", fallback, name);
    else if (fallback && json_array_size(list) && !contains(list, fallback))
        add(errs, "", "/material_constraints/default_material", "\"%s\" is not one of the allowed materials", fallback);
    else if (!fallback && policy && strcmp(policy, "default") == 0 && json_array_size(list))
        add(errs, "", "/material_constraints/default_material",
            "on_disallowed is \"default\": name the allowed material to re-map to");
    struct {
        const json_t *value;
        const char *ptr;
    } overrides[] = {
        {json_object_get(json_object_get(doc, "overrides"), "material_override"), "/overrides/material_override"},
        {json_object_get(json_object_get(doc, "legacy_render_settings"), "material_override"),
         "/legacy_render_settings/material_override"}};
    for (size_t k = 0; k < 2; k++) {
        const char *m = json_string_value(overrides[k].value);
        if (!m || !*m) continue;
        if (!pf_material_find(library, m))
            add(errs, "", overrides[k].ptr, "material \"%s\" is not in library %s", m, name);
        else if (json_array_size(list) && !contains(list, m))
            add(errs, "", overrides[k].ptr, "material \"%s\" is not one of the allowed materials", m);
    }
    json_decref(library);
}

/* The pricing tier when the catalog has none: the schema then has no enum
 * to check it with. (Categories always have one: "*".) */
static void check_tier(json_t *schema, const json_t *doc, const char *base, pf_errors *errs) {
    const char *tier = pf_json_str(doc, "pricing_tier");
    if (tier && !json_object_get(property(schema, "pricing_tier"), "enum"))
        add(errs, base, "/pricing_tier", "pricing tier \"%s\" does not exist: the catalog has no pricing tiers", tier);
}

/* What the wizard's next step may choose from. */
static json_t *next_options(const pf_catalog *c, const json_t *doc, const json_t *wf) {
    json_t *options = json_object(), *workflows = json_array();
    const char *family = pf_json_str(doc, "family");
    json_t *stored = NULL;
    if (family && !pf_store_workflow_list(c->store, family, &stored)) {
        size_t i;
        const json_t *w;
        json_array_foreach(stored, i, w)
            json_array_append_new(workflows, json_pack("{s:O, s:O, s:O, s:s}", "id", json_object_get(w, "id"), "name",
                                                       json_object_get(w, "name"), "version",
                                                       json_object_get(w, "latest_version"), "source", "stored"));
        json_array_foreach(c->starters, i, w) {
            if (!pf_json_str(w, "family") || strcmp(pf_json_str(w, "family"), family) != 0) continue;
            bool shadowed = false; /* a stored copy of a starter wins */
            size_t k;
            const json_t *s;
            json_array_foreach(stored, k, s) shadowed =
                shadowed || json_equal(json_object_get(s, "id"), json_object_get(w, "id"));
            if (!shadowed)
                json_array_append_new(workflows, json_pack("{s:O, s:O, s:O, s:s}", "id", json_object_get(w, "id"),
                                                           "name", json_object_get(w, "name"), "version",
                                                           json_object_get(w, "version"), "source", "starter"));
        }
    }
    json_decref(stored);
    json_object_set_new(options, "workflows", workflows);
    const pf_family *f = family ? pf_contract_family(&c->registry->contract, family) : NULL;
    json_object_set_new(options, "artifact_kinds",
                        wf  ? delivered_kinds(wf)
                        : f ? json_deep_copy(f->artifact_kinds)
                            : json_array());
    if (wf) {
        json_t *schema = pf_output_type_schema(c, wf);
        json_object_set(options, "overrides_schema", property(schema, "overrides"));
        json_decref(schema);
    }
    const json_t *settings = json_object_get(doc, "legacy_render_settings");
    if (json_is_object(settings)) {
        pf_errors ignored;
        pf_errors_init(&ignored);
        pf_compat_result r;
        if (pf_compat_map(settings, "/legacy_render_settings", &ignored, &r) == 0) {
            json_object_set_new(options, "legacy_mapping",
                                json_pack("{s:s, s:O, s:O, s:O}", "artifact_kind", r.artifact_kind, "overrides",
                                          r.overrides, "warnings", r.warnings, "unmapped", r.unmapped));
            pf_compat_result_free(&r);
        }
        pf_errors_clear(&ignored);
    }
    return options;
}

static size_t step_index(const char *step) {
    for (size_t i = 0; step && i < pf_output_type_n_steps; i++)
        if (strcmp(step, pf_output_type_steps[i]) == 0) return i;
    return pf_output_type_n_steps - 1;
}

/* The top-level field a pointer (relative to base) is about. */
static size_t step_of_pointer(const char *ptr) {
    if (*ptr != '/') return 0;
    const char *end = strchr(ptr + 1, '/');
    char *field = end ? pf_strndup(ptr + 1, (size_t)(end - ptr - 1)) : pf_strdup(ptr + 1);
    size_t step = step_of_field(field);
    free(field);
    return step;
}

size_t pf_output_type_validate(const pf_catalog *c, const json_t *doc, const char *step, const char *base,
                               pf_errors *errs, json_t **options) {
    size_t before = errs->len, upto = step_index(step);
    if (options) *options = NULL;
    if (!json_is_object(doc)) {
        pf_errors_add(errs, PF_EINVAL, base, "an output type is a JSON object");
        return errs->len - before;
    }
    pf_errors all;
    pf_errors_init(&all);
    json_t *schema = pf_output_type_schema(c, NULL), *with = defaults_from(schema, doc);
    /* Required fields get pointers of their own, not the parent's, and one
     * problem each: the schema's say the same of a field already missing. */
    const char *required[] = {"key", "name", "family", "artifact_kind", "pricing_tier"};
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        pf_catalog_need(with, required[i], "an output type", "", &all);
    json_object_del(schema, "required");
    /* The compat adapter alone checks inside the legacy settings, with its
     * own table; the schema's properties there describe it for forms. */
    json_object_del(property(schema, "legacy_render_settings"), "properties");
    pf_errors by_schema;
    pf_errors_init(&by_schema);
    pf_schema_validate(schema, doc, "", &by_schema);
    for (size_t i = 0; i < by_schema.len; i++) {
        bool known = false;
        for (size_t k = 0; k < all.len && !known; k++)
            known = strcmp(all.items[k].pointer, by_schema.items[i].pointer) == 0;
        if (!known)
            pf_errors_add(&all, by_schema.items[i].code, by_schema.items[i].pointer, "%s", by_schema.items[i].message);
    }
    pf_errors_clear(&by_schema);
    const char *family = pf_json_str(with, "family"), *rollout = pf_json_str(with, "rollout");
    const pf_family *f = family ? pf_contract_family(&c->registry->contract, family) : NULL;
    const char *kind = pf_json_str(with, "artifact_kind");
    if (f && kind && !pf_family_delivers_kind(f, kind))
        add(&all, "", "/artifact_kind", "the %s family does not deliver %s", family, kind);
    bool linked = json_is_object(json_object_get(with, "workflow"));
    json_t *wf = NULL;
    pf_error *err = pf_output_type_workflow(c, with, &wf);
    if (err) {
        /* a known workflow without that version points at the version */
        json_t *any = NULL;
        pf_error *none =
            pf_workflow_find(c->store, c->starters, pf_json_str(json_object_get(with, "workflow"), "id"), 0, &any);
        add(&all, "", any ? "/workflow/version" : "/workflow/id", "%s", err->message);
        json_decref(any);
        pf_error_free(none);
        pf_error_free(err);
    } else if (wf) {
        check_workflow(c, with, wf, "", &all);
    }
    if (f && rollout && !pf_family_allows_rollout(f, rollout)) {
        /* a family without a legacy pipeline (cad_file) runs its graph only */
        char *list = joined(f->rollouts);
        add(&all, "", "/rollout", "the %s family has no %s rollout%s: its output types use %s", family, rollout,
            json_object_get(doc, "rollout") ? "" : " (the default)", list);
        free(list);
    } else {
        if (rollout && (strcmp(rollout, "graph") == 0 || strcmp(rollout, "shadow") == 0) && !linked)
            add(&all, "", "/rollout", "the %s rollout runs a workflow: link one {id, version} first", rollout);
        if (rollout && strcmp(rollout, "graph") != 0 && linked && !json_object_get(doc, "rollout") &&
            !json_is_object(json_object_get(with, "legacy_render_settings")))
            add(&all, "", "/rollout",
                "the default rollout, legacy, runs the legacy pipeline: choose graph or shadow to run the linked "
                "workflow");
        else if (rollout && strcmp(rollout, "graph") != 0)
            check_legacy(with, "", &all);
    }
    if (!linked && json_object_size(json_object_get(with, "overrides")))
        add(&all, "", "/overrides", "overrides set a linked workflow's invocation parameters, and there is none");
    check_tier(schema, with, "", &all);
    check_material_constraints(c, with, &all);
    json_decref(schema);
    for (size_t i = 0; i < all.len; i++)
        if (step_of_pointer(all.items[i].pointer) <= upto) {
            char *ptr = pf_asprintf("%s%s", base, all.items[i].pointer);
            pf_errors_add(errs, all.items[i].code, ptr, "%s", all.items[i].message);
            free(ptr);
        }
    pf_errors_clear(&all);
    if (options) *options = next_options(c, with, wf);
    json_decref(wf);
    json_decref(with);
    return errs->len - before;
}

json_t *pf_output_types_load(const char *share_dir, pf_errors *errs) {
    json_t *types = json_object();
    char *dir = pf_asprintf("%s/output-types", share_dir);
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        char *path = pf_asprintf("%s/%s", dir, e->d_name);
        json_error_t jerr;
        json_t *doc = json_load_file(path, 0, &jerr);
        if (!doc || !pf_json_str(doc, "key"))
            pf_errors_add(errs, PF_EINVAL, "", "%s: %s", path, doc ? "an output type needs a key" : jerr.text);
        else
            json_object_set(types, pf_json_str(doc, "key"), doc);
        json_decref(doc);
        free(path);
    }
    if (d) closedir(d);
    free(dir);
    return types;
}

pf_store_ref *pf_output_type_refs(const pf_catalog *c, const json_t *doc, size_t *n) {
    const json_t *categories = json_object_get(doc, "categories");
    pf_store_ref *refs = pf_xcalloc(json_array_size(categories) + 2, sizeof *refs);
    size_t k = 0;
    for (size_t i = 0; i < json_array_size(categories); i++) {
        const char *category = json_string_value(json_array_get(categories, i));
        if (category && strcmp(category, "*") != 0) /* "*" (every category) names none */
            refs[k++] = (pf_store_ref){.kind = "category", .field = "categories", .key = category};
    }
    const char *tier = pf_json_str(doc, "pricing_tier");
    if (tier) refs[k++] = (pf_store_ref){.kind = "pricing_tier", .field = "pricing_tier", .key = tier};
    const char *workflow = json_string_value(json_object_get(json_object_get(doc, "workflow"), "id"));
    /* A starter's id always resolves (pf_workflow_find falls back to the
     * starter), so only a workflow of the store's own is a referee. */
    for (size_t i = 0; workflow && i < json_array_size(c->starters); i++)
        if (strcmp(pf_json_str(json_array_get(c->starters, i), "id"), workflow) == 0) workflow = NULL;
    if (workflow) refs[k++] = (pf_store_ref){.kind = "workflow", .field = "workflow.id", .key = workflow};
    *n = k;
    return refs;
}
