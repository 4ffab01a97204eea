/* Output types: CRUD, the schema the editor builds its forms from, draft
 * validation for the create/edit wizard, and the import of legacy output
 * types. */
#include "api/items.h"
#include "core/json.h"

#include "catalog/order.h"
#include "catalog/output_type.h"
#include "core/mem.h"
#include "legacy/compat.h"
#include "runtime/parity_history.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static size_t validate(const pf_catalog *c, const json_t *doc, pf_errors *errs) {
    return pf_output_type_validate(c, doc, NULL, "", errs, NULL);
}

static char *in_use(const pf_catalog *c, const char *key) { return pf_order_lines_using(c->store, "output_type", key); }

static const pf_store_ref referrers[] = {{.kind = "order_line", .field = "output_type"}};

static const pf_item_type output_types = {.kind = "output_type",
                                          .title = "output type",
                                          .path = "/api/output-types",
                                          .list = "output_types",
                                          .validate = validate,
                                          .prepare = pf_output_type_with_defaults,
                                          .in_use = in_use,
                                          .referrers = referrers,
                                          .n_referrers = 1,
                                          .refers = pf_output_type_refs};

/* The compat adapter's reading of legacy settings, for review screens. */
static json_t *legacy_mapping(const json_t *settings) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_compat_result r;
    json_t *out = NULL;
    if (pf_compat_map(settings, "/legacy_render_settings", &errs, &r) == 0) {
        out = json_pack("{s:s, s:O, s:O, s:O}", "artifact_kind", r.artifact_kind, "overrides", r.overrides, "warnings",
                        r.warnings, "unmapped", r.unmapped);
        pf_compat_result_free(&r);
    } else {
        out = json_pack("{s:o}", "errors", pf_errors_to_json(&errs));
    }
    pf_errors_clear(&errs);
    return out;
}

/* Legacy output types come with their mapping, so a list shows it at once. */
void pf_handle_output_type_list(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *list = NULL;
    pf_error *err = pf_store_item_list(app->store, "output_type", &list);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    size_t i;
    json_t *doc;
    json_array_foreach(list, i, doc) {
        const json_t *settings = json_object_get(doc, "legacy_render_settings");
        if (json_is_object(settings)) json_object_set_new(doc, "legacy_mapping", legacy_mapping(settings));
    }
    pf_respond_json(res, 200, json_pack("{s:o}", "output_types", list));
}
void pf_handle_output_type_create(const pf_app *a, const pf_request *q, pf_response *r) {
    pf_items_create(&output_types, a, q, r);
}
void pf_handle_output_type_replace(const pf_app *a, const pf_request *q, pf_response *r) {
    pf_items_replace(&output_types, a, q, r);
}
void pf_handle_output_type_delete(const pf_app *a, const pf_request *q, pf_response *r) {
    pf_items_delete(&output_types, a, q, r);
}

void pf_handle_output_type_get(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *doc = NULL;
    pf_error *err = pf_store_item_get(app->store, "output_type", pf_request_param(req, "key"), &doc);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    const json_t *settings = json_object_get(doc, "legacy_render_settings");
    if (json_is_object(settings)) json_object_set_new(doc, "legacy_mapping", legacy_mapping(settings));
    pf_respond_json(res, 200, doc);
}

/* The output type's parity across its shadow runs, and whether it is
 * ready for the graph rollout (runtime/parity_history.h). */
void pf_handle_output_type_parity(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *key = pf_request_param(req, "key");
    json_t *doc = NULL, *history = NULL;
    pf_error *err = pf_store_item_get(app->store, "output_type", key, &doc);
    pf_parity_env env = {.store = app->store, .data_dir = app->data_dir, .share_dir = app->share_dir};
    if (!err) err = pf_parity_history(&env, key, &history);
    if (err) {
        pf_respond_error(res, req, err);
        pf_error_free(err);
        json_decref(doc);
        return;
    }
    json_object_set(history, "rollout", json_object_get(doc, "rollout"));
    json_decref(doc);
    pf_respond_json(res, 200, history);
}

/* ?workflow=ID[&version=N] adds that workflow's invocation parameters. */
void pf_handle_output_type_schema(const pf_app *app, const pf_request *req, pf_response *res) {
    pf_catalog c = pf_app_catalog(app);
    const char *id = req->query(req, "workflow"), *version = req->query(req, "version");
    json_t *wf = NULL;
    if (id) {
        json_t *link = json_pack("{s:{s:s, s:i}}", "workflow", "id", id, "version", version ? atoi(version) : 0);
        pf_error *err = pf_output_type_workflow(&c, link, &wf);
        json_decref(link);
        if (err) {
            pf_error *e = pf_error_new(err->code, "/query/workflow", "%s", err->message);
            pf_respond_error_take(res, req, e);
            pf_error_free(err);
            return;
        }
    }
    pf_respond_json(res, 200, pf_output_type_schema(&c, wf));
    json_decref(wf);
}

/* {draft, step}: the draft's problems up to that step, and what the next
 * step can choose from. Always 200: an incomplete draft is not an error. */
void pf_handle_output_type_draft(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *body = pf_request_json(req, res);
    if (!body) return;
    const char *step = pf_json_str(body, "step");
    bool known = !step;
    for (size_t i = 0; step && i < pf_output_type_n_steps; i++)
        known = known || strcmp(step, pf_output_type_steps[i]) == 0;
    if (!known || !json_is_object(json_object_get(body, "draft"))) {
        pf_error *err = !known ? pf_error_new(PF_EINVAL, "/step",
                                              "step \"%s\" is not one of the wizard's steps "
                                              "(family, workflow, artifact_kind, overrides, "
                                              "commercial, review)",
                                              step)
                               : pf_error_new(PF_EINVAL, "/draft", "the draft is a JSON object");
        pf_respond_error_take(res, req, err);
        json_decref(body);
        return;
    }
    pf_catalog c = pf_app_catalog(app);
    pf_errors errs;
    pf_errors_init(&errs);
    json_t *options = NULL;
    pf_output_type_validate(&c, json_object_get(body, "draft"), step, "/draft", &errs, &options);
    json_t *steps = json_array();
    for (size_t i = 0; i < pf_output_type_n_steps; i++)
        json_array_append_new(steps, json_string(pf_output_type_steps[i]));
    pf_respond_json(res, 200,
                    json_pack("{s:s, s:b, s:o, s:o, s:o}", "step", step ? step : "review", "valid", errs.len == 0,
                              "errors", pf_errors_to_json(&errs), "options", options, "steps", steps));
    pf_errors_clear(&errs);
    json_decref(body);
}

/* A key from a commercial name: "Studio still 4K" -> "studio_still_4k". */
static char *key_from_name(const char *name) {
    char *key = pf_xmalloc(strlen(name) + 2), *w = key;
    if (!isalpha((unsigned char)*name)) *w++ = 'x';
    for (const char *p = name; *p && w - key < 64; p++) {
        if (isalnum((unsigned char)*p))
            *w++ = (char)tolower((unsigned char)*p);
        else if (w > key && w[-1] != '_')
            *w++ = '_';
    }
    while (w > key + 1 && w[-1] == '_')
        w--;
    *w = '\0';
    return key;
}

/* Whether pricing tier `key` has a price for the artifact kind. */
static bool tier_prices(const pf_catalog *c, const char *key, const char *kind) {
    json_t *tier = NULL;
    pf_error *err = key ? pf_store_item_get(c->store, "pricing_tier", key, &tier) : NULL;
    bool priced = !err && key && kind && json_is_number(json_object_get(json_object_get(tier, "prices"), kind));
    pf_error_free(err);
    json_decref(tier);
    return priced;
}

/* An imported output type must be orderable: its tier, named or chosen,
 * prices its artifact kind. The report says which tier and why. */
static void import_pricing(const pf_catalog *c, const json_t *old, const json_t *doc, const char *at, pf_errors *errs,
                           json_t *entry) {
    const char *tier = pf_json_str(doc, "pricing_tier"), *kind = pf_json_str(doc, "artifact_kind");
    if (!kind) return; /* the settings' own problems are reported */
    char *ptr = pf_asprintf("%s/pricing_tier", at);
    if (!tier)
        pf_errors_add(errs, PF_EINVAL, ptr, "no pricing tier has a price for %s: name one, or add the price first",
                      kind);
    else if (!tier_prices(c, tier, kind))
        pf_errors_add(errs, PF_EINVAL, ptr, "pricing tier \"%s\" has no price for %s", tier, kind);
    else
        json_object_set_new(entry, "pricing_tier",
                            json_pack("{s:s, s:s}", "key", tier, "chosen",
                                      pf_json_str(old, "pricing_tier")
                                          ? "named by the import"
                                          : "the first tier that prices the artifact kind"));
    free(ptr);
}

/* One legacy output type, {name, legacy_render_settings, key?, categories?,
 * pricing_tier?, visibility?}, as a legacy-rollout output type. */
static json_t *from_legacy(const pf_catalog *c, const json_t *old) {
    json_t *doc = json_object();
    const char *name = pf_json_str(old, "name");
    char *key = pf_json_str(old, "key") ? pf_strdup(pf_json_str(old, "key")) : name ? key_from_name(name) : NULL;
    if (key) json_object_set_new(doc, "key", json_string(key));
    free(key);
    const char *fields[] = {"name",         "description", "categories",
                            "pricing_tier", "visibility",  "legacy_render_settings"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (json_object_get(old, fields[i])) json_object_set(doc, fields[i], json_object_get(old, fields[i]));
    json_object_set_new(doc, "family", json_string("order_line"));
    json_object_set_new(doc, "workflow", json_null());
    json_object_set_new(doc, "rollout", json_string("legacy"));
    pf_errors ignored;
    pf_errors_init(&ignored);
    pf_compat_result r;
    if (pf_compat_map(json_object_get(old, "legacy_render_settings"), "", &ignored, &r) == 0) {
        json_object_set_new(doc, "artifact_kind", json_string(r.artifact_kind));
        pf_compat_result_free(&r);
    }
    pf_errors_clear(&ignored);
    if (!json_object_get(doc, "pricing_tier") && pf_json_str(doc, "artifact_kind")) {
        /* the first tier that prices the artifact kind, when the import
         * names none; none such is a problem import_pricing() reports */
        json_t *tiers = pf_catalog_keys(c->store, "pricing_tier");
        size_t i;
        const json_t *k;
        json_array_foreach(tiers, i, k) if (tier_prices(c, json_string_value(k), pf_json_str(doc, "artifact_kind"))) {
            json_object_set(doc, "pricing_tier", (json_t *)k);
            break;
        }
        json_decref(tiers);
    }
    json_t *full = pf_output_type_with_defaults(c, doc);
    json_decref(doc);
    return full;
}

/* [{name, legacy_render_settings, ...}] (or {"output_types": [...]}): each
 * becomes a legacy output type, and the report says what the compat adapter
 * maps it to. The batch is all or nothing. */
void pf_handle_output_type_import_legacy(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *body = pf_request_json(req, res);
    if (!body) return;
    const json_t *list = json_is_array(body) ? body : json_object_get(body, "output_types");
    const char *base = json_is_array(body) ? "" : "/output_types";
    pf_catalog c = pf_app_catalog(app);
    pf_errors errs;
    pf_errors_init(&errs);
    if (!json_is_array(list) || !json_array_size(list))
        pf_errors_add(&errs, PF_EINVAL, base, "give a non-empty array of legacy output types");
    size_t n = json_array_size(list);
    json_t *docs = json_array(), *report = json_array();
    pf_store_item *items = pf_xcalloc(n ? n : 1, sizeof *items);
    pf_store_ref **refs = pf_xcalloc(n ? n : 1, sizeof *refs);
    size_t *n_refs = pf_xcalloc(n ? n : 1, sizeof *n_refs);
    for (size_t i = 0; i < n; i++) {
        const json_t *old = json_array_get(list, i);
        char *at = pf_asprintf("%s/%zu", base, i);
        json_t *doc = from_legacy(&c, old);
        if (!pf_json_str(old, "name")) pf_catalog_need(old, "name", "a legacy output type", at, &errs);
        pf_output_type_validate(&c, doc, NULL, at, &errs, NULL);
        /* Every clash at once, on its item: the store would refuse only the first. */
        const char *key = pf_json_str(doc, "key");
        char *key_at = pf_asprintf("%s/key", at);
        json_t *existing = NULL;
        pf_error *missing = key ? pf_store_item_get(app->store, "output_type", key, &existing) : NULL;
        if (key && !missing)
            pf_errors_add(&errs, PF_ECONFLICT, key_at, "output type \"%s\" exists already; give this one a key", key);
        pf_error_free(missing);
        json_decref(existing);
        for (size_t k = 0; key && k < i; k++) {
            const char *earlier = pf_json_str(json_array_get(docs, k), "key");
            if (earlier && !strcmp(key, earlier))
                pf_errors_add(&errs, PF_ECONFLICT, key_at, "item %zu has the key \"%s\" too", k, key);
        }
        free(key_at);
        json_array_append_new(docs, doc);
        refs[i] = pf_output_type_refs(&c, doc, &n_refs[i]);
        items[i] = (pf_store_item){.op = PF_ITEM_CREATE,
                                   .kind = "output_type",
                                   .key = pf_json_str(doc, "key"),
                                   .doc = doc,
                                   .refs = refs[i],
                                   .n_refs = n_refs[i]};
        json_t *entry = json_pack("{s:s?, s:s?}", "key", pf_json_str(doc, "key"), "name", pf_json_str(old, "name"));
        const json_t *settings = json_object_get(old, "legacy_render_settings");
        if (json_is_object(settings)) json_object_set_new(entry, "mapping", legacy_mapping(settings));
        import_pricing(&c, old, doc, at, &errs, entry);
        json_array_append_new(report, entry);
        free(at);
    }
    pf_error *err = errs.len ? NULL : pf_store_items_write(app->store, items, n);
    bool clashes_only = errs.len > 0;
    for (size_t k = 0; k < errs.len; k++)
        clashes_only = clashes_only && errs.items[k].code == PF_ECONFLICT;
    if (errs.len)
        pf_respond_problem(res, clashes_only ? 409 : 422, "Invalid legacy output types",
                           errs.len == 1 ? errs.items[0].message : "the import has several problems", req->path, &errs);
    else if (err)
        pf_respond_error(res, req, err);
    else
        pf_respond_json(res, 201, json_pack("{s:O}", "imported", report));
    pf_error_free(err);
    pf_errors_clear(&errs);
    free(items);
    for (size_t i = 0; i < n; i++)
        free(refs[i]);
    free(refs);
    free(n_refs);
    json_decref(report);
    json_decref(docs);
    json_decref(body);
}
