/* Output types: the demo seed, malformed documents with their exact
 * pointers, every family and workflow pair, the wizard's draft steps, and
 * the schema as the one source of defaults and allowed values. */
#include "check.h"

#include "api/app.h"
#include "catalog/order.h"
#include "catalog/output_type.h"
#include "catalog/seed.h"
#include "core/mem.h"
#include "support/json_ops.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <string.h>

static const char base_graph[] =
    "{\"key\":\"spin\",\"name\":\"Spin\",\"family\":\"order_line\",\"workflow\":{\"id\":\"starter-order-turntable\","
    "\"version\":1},\"rollout\":\"graph\",\"artifact_kind\":\"turntable_video\",\"overrides\":{\"frames\":36},"
    "\"pricing_tier\":\"standard\",\"categories\":[\"*\"]}";
static const char base_legacy[] =
    "{\"key\":\"still\",\"name\":\"Still\",\"family\":\"order_line\",\"rollout\":\"legacy\",\"artifact_kind\":"
    "\"still_image\",\"pricing_tier\":\"standard\",\"legacy_render_settings\":{\"width\":800,\"height\":600}}";

typedef struct {
    const char *base;  /* base_graph or base_legacy */
    const char *patch; /* JSON merge patch: null deletes */
    const char *pointer;
} bad_case;

static const bad_case bad_cases[] = {
    {base_graph, "{\"key\":null}", "/key"},
    {base_graph, "{\"key\":\"Bad Key\"}", "/key"},
    {base_graph, "{\"name\":\"\"}", "/name"},
    {base_graph, "{\"name\":7}", "/name"},
    {base_graph, "{\"description\":5}", "/description"},
    {base_graph, "{\"visibility\":\"secret\"}", "/visibility"},
    {base_graph, "{\"categories\":[]}", "/categories"},
    {base_graph, "{\"categories\":[\"toys\"]}", "/categories/0"},
    {base_graph, "{\"categories\":[\"*\",\"*\"]}", "/categories"},
    {base_graph, "{\"pricing_tier\":\"gold\"}", "/pricing_tier"},
    {base_graph, "{\"pricing_tier\":null}", "/pricing_tier"},
    {base_graph, "{\"family\":\"nope\"}", "/family"},
    {base_graph, "{\"family\":\"cad_file\"}", "/workflow/id"},
    {base_graph, "{\"workflow\":{\"id\":\"nope\",\"version\":1}}", "/workflow/id"},
    {base_graph, "{\"workflow\":{\"id\":\"starter-order-turntable\",\"version\":99}}", "/workflow/version"},
    {base_graph, "{\"workflow\":{\"id\":\"starter-order-turntable\",\"version\":0}}", "/workflow"},
    {base_graph, "{\"workflow\":{\"id\":\"starter-cad-intake\",\"version\":1}}", "/workflow/id"},
    {base_graph, "{\"rollout\":\"canary\"}", "/rollout"},
    {base_graph, "{\"workflow\":null}", "/rollout"},
    {base_graph, "{\"artifact_kind\":\"hologram\"}", "/artifact_kind"},
    {base_graph, "{\"artifact_kind\":\"still_image\"}", "/artifact_kind"},
    {base_graph, "{\"artifact_kind\":null}", "/artifact_kind"},
    {base_graph, "{\"overrides\":{\"frames\":1}}", "/overrides/frames"},
    {base_graph, "{\"overrides\":{\"nonsense\":1}}", "/overrides/nonsense"},
    {base_graph, "{\"overrides\":{\"fps\":\"fast\"}}", "/overrides/fps"},
    {base_graph, "{\"overrides\":[]}", "/overrides"},
    {base_graph, "{\"material_constraints\":{\"require_complete\":\"yes\"}}", "/material_constraints/require_complete"},
    {base_graph, "{\"material_constraints\":{\"colour\":1}}", "/material_constraints/colour"},
    {base_graph, "{\"price\":3}", "/price"},
    {base_graph, "{\"rollout\":\"shadow\"}", "/legacy_render_settings"},
    {base_graph,
     "{\"family\":\"cad_file\",\"workflow\":{\"id\":\"starter-cad-glb\",\"version\":1},\"rollout\":\"shadow\","
     "\"artifact_kind\":\"glb_model\",\"overrides\":{}}",
     "/rollout"},
    {base_legacy, "{\"legacy_render_settings\":{\"engine\":\"workbench\"}}", "/legacy_render_settings/engine"},
    {base_legacy, "{\"legacy_render_settings\":{\"turntable\":{\"enabled\":true}}}", "/legacy_render_settings"},
    {base_legacy, "{\"legacy_render_settings\":\"fast\"}", "/legacy_render_settings"},
    {base_legacy, "{\"legacy_render_settings\":null}", "/legacy_render_settings"},
    {base_legacy, "{\"legacy_render_settings\":{\"width\":\"wide\"}}", "/legacy_render_settings/width"},
    {base_legacy, "{\"overrides\":{\"width\":100}}", "/overrides"},
};

static bool has_pointer(const pf_errors *errs, const char *pointer) {
    for (size_t i = 0; i < errs->len; i++)
        if (strcmp(errs->items[i].pointer, pointer) == 0) return true;
    return false;
}

static void test_seed(const pf_catalog *c) {
    json_t *list = NULL;
    pf_error_free(pf_store_item_list(c->store, "output_type", &list));
    CHECK_INT(json_array_size(list), 5);
    const char *expected[] = {"glb_model", "production_blend", "studio_still", "studio_still_v2", "turntable_360"};
    for (size_t i = 0; i < 5; i++)
        CHECK_STR(json_string_value(json_object_get(json_array_get(list, i), "key")), expected[i]);
    /* the seed stores defaults too */
    CHECK_STR(json_string_value(json_object_get(json_array_get(list, 0), "visibility")), "public");
    json_decref(list);
    pf_error_free(pf_store_item_list(c->store, "category", &list));
    CHECK_INT(json_array_size(list), 2);
    json_decref(list);
    pf_error_free(pf_store_workflow_list(c->store, NULL, &list));
    CHECK_INT(json_array_size(list), json_array_size(c->starters));
    json_decref(list);
    /* a second start seeds nothing again: a deleted type stays deleted */
    pf_store_item del = {.op = PF_ITEM_DELETE, .kind = "output_type", .key = "studio_still", .doc = NULL};
    pf_error_free(pf_store_items_write(c->store, &del, 1));
    pf_errors errs;
    pf_errors_init(&errs);
    pf_catalog_seed(c, NULL, &errs);
    CHECK_INT(errs.len, 0);
    json_t *doc = NULL;
    pf_error *err = pf_store_item_get(c->store, "output_type", "studio_still", &doc);
    CHECK(err && err->code == PF_ENOTFOUND);
    pf_error_free(err);
}

static void test_malformed(const pf_catalog *c) {
    for (size_t k = 0; k < 2; k++) { /* both bases are valid */
        json_t *doc = json_loads(k ? base_legacy : base_graph, 0, NULL);
        pf_errors errs;
        pf_errors_init(&errs);
        CHECK_MSG(pf_output_type_validate(c, doc, NULL, "", &errs, NULL) == 0, "base %zu: %s at %s", k,
                  errs.len ? errs.items[0].message : "", errs.len ? errs.items[0].pointer : "");
        pf_errors_clear(&errs);
        json_decref(doc);
    }
    size_t n = sizeof bad_cases / sizeof *bad_cases;
    CHECK(n >= 30);
    for (size_t i = 0; i < n; i++) {
        json_t *doc = pf_test_json_patched(bad_cases[i].base, bad_cases[i].patch);
        pf_errors errs;
        pf_errors_init(&errs);
        pf_output_type_validate(c, doc, NULL, "", &errs, NULL);
        CHECK_MSG(has_pointer(&errs, bad_cases[i].pointer), "%s: no problem at %s (first: %s at %s)",
                  bad_cases[i].patch, bad_cases[i].pointer, errs.len ? errs.items[0].message : "none",
                  errs.len ? errs.items[0].pointer : "");
        pf_errors_clear(&errs);
        json_decref(doc);
    }
    /* every problem at once, not the first */
    json_t *doc =
        pf_test_json_patched(base_graph, "{\"name\":\"\",\"visibility\":\"secret\",\"pricing_tier\":\"gold\"}");
    pf_errors errs;
    pf_errors_init(&errs);
    pf_output_type_validate(c, doc, NULL, "", &errs, NULL);
    CHECK(has_pointer(&errs, "/name") && has_pointer(&errs, "/visibility") && has_pointer(&errs, "/pricing_tier"));
    pf_errors_clear(&errs);
    json_decref(doc);
}

/* Each family against each starter workflow: only a workflow of the same
 * family links without a family problem. */
static void test_family_pairs(const pf_catalog *c) {
    const pf_contract *contract = &c->registry->contract;
    size_t i;
    const json_t *wf;
    for (size_t f = 0; f < contract->n_families; f++)
        json_array_foreach(c->starters, i, wf) {
            const char *family = contract->families[f].key,
                       *wf_family = json_string_value(json_object_get(wf, "family"));
            json_t *doc = pf_test_json_patched(base_graph, "{}");
            json_object_set_new(doc, "family", json_string(family));
            json_object_set_new(doc, "workflow",
                                json_pack("{s:O, s:i}", "id", json_object_get(wf, "id"), "version", 1));
            pf_errors errs;
            pf_errors_init(&errs);
            pf_output_type_validate(c, doc, NULL, "", &errs, NULL);
            bool same = strcmp(family, wf_family) == 0;
            CHECK_MSG(has_pointer(&errs, "/workflow/id") != same, "family %s with workflow %s (%s)", family,
                      json_string_value(json_object_get(wf, "id")), wf_family);
            pf_errors_clear(&errs);
            json_decref(doc);
        }
}

/* Every preflight check a family declares is one preflight runs, with its
 * prose kept as the description; the families' order contexts fill what
 * their run contexts require. */
static void test_family_checks(const pf_catalog *c) {
    const pf_contract *contract = &c->registry->contract;
    for (size_t f = 0; f < contract->n_families; f++) {
        const pf_family *fam = &contract->families[f];
        CHECK_MSG(json_array_size(fam->preflight) > 0, "family %s declares no preflight", fam->key);
        size_t i;
        const json_t *check;
        json_array_foreach(fam->preflight, i, check) {
            CHECK_MSG(pf_preflight_check_known(json_string_value(json_object_get(check, "id"))),
                      "family %s: preflight check %s is not implemented", fam->key,
                      json_string_value(json_object_get(check, "id")));
            CHECK(json_string_length(json_object_get(check, "description")) > 0);
        }
        const char *field;
        size_t k;
        const json_t *req;
        json_array_foreach(json_object_get(fam->context_schema, "required"), k, req)
            CHECK_MSG(json_object_get(fam->order_context, json_string_value(req)), "family %s: order_context lacks %s",
                      fam->key, json_string_value(req));
        const json_t *ptr;
        json_object_foreach((json_t *)fam->order_context, field, ptr) CHECK(json_is_string(ptr));
    }
    CHECK(!pf_preflight_check_known("no.such_check"));
    /* the cad_file context from an order line's context */
    json_t *line = json_pack("{s:s, s:{s:s}, s:{s:s, s:s}}", "id", "oli_1", "product", "id", "prd_1", "cad_file", "id",
                             "abc", "path", "cad/abc.step");
    pf_errors errs;
    pf_errors_init(&errs);
    json_t *ctx = pf_family_order_context(pf_contract_family(contract, "cad_file"), line, &errs);
    CHECK_INT(errs.len, 0);
    CHECK_STR(json_string_value(json_object_get(ctx, "step_path")), "cad/abc.step");
    CHECK_STR(json_string_value(json_object_get(ctx, "order_line_id")), "oli_1");
    CHECK_STR(json_string_value(json_object_get(ctx, "product_id")), "prd_1");
    json_decref(ctx);
    ctx = pf_family_order_context(pf_contract_family(contract, "order_line"), line, &errs);
    CHECK_STR(json_string_value(json_object_get(ctx, "order_line_id")), "oli_1");
    CHECK(json_equal(json_object_get(ctx, "line"), line));
    json_decref(ctx);
    json_decref(line);
    pf_errors_clear(&errs);
}

static void test_draft(const pf_catalog *c) {
    json_t *draft = json_pack("{s:s}", "family", "order_line"), *options = NULL;
    pf_errors errs;
    pf_errors_init(&errs);
    /* later steps' missing fields are not this step's problems */
    CHECK_INT(pf_output_type_validate(c, draft, "family", "/draft", &errs, &options), 0);
    size_t i;
    const json_t *w;
    bool still = false;
    json_array_foreach(json_object_get(options, "workflows"), i, w) {
        still = still || strcmp(json_string_value(json_object_get(w, "id")), "starter-order-still") == 0;
        CHECK(strcmp(json_string_value(json_object_get(w, "id")), "starter-cad-intake") != 0);
    }
    CHECK(still);
    json_decref(options);
    json_object_set_new(draft, "workflow", json_pack("{s:s, s:i}", "id", "starter-order-still", "version", 1));
    json_object_set_new(draft, "rollout", json_string("graph"));
    CHECK_INT(pf_output_type_validate(c, draft, "workflow", "/draft", &errs, &options), 0);
    CHECK_INT(json_array_size(json_object_get(options, "artifact_kinds")), 1);
    CHECK_STR(json_string_value(json_array_get(json_object_get(options, "artifact_kinds"), 0)), "still_image");
    CHECK(json_object_get(json_object_get(json_object_get(options, "overrides_schema"), "properties"), "samples"));
    json_decref(options);
    json_object_set_new(draft, "workflow", json_pack("{s:s, s:i}", "id", "starter-cad-intake", "version", 1));
    pf_output_type_validate(c, draft, "workflow", "/draft", &errs, NULL);
    CHECK(has_pointer(&errs, "/draft/workflow/id"));
    CHECK(!has_pointer(&errs, "/draft/name"));
    pf_errors_clear(&errs);
    pf_output_type_validate(c, draft, "review", "/draft", &errs, NULL);
    CHECK(has_pointer(&errs, "/draft/name") && has_pointer(&errs, "/draft/key"));
    pf_errors_clear(&errs);
    json_decref(draft);
}

/* The served schema is where defaults and allowed values live: the
 * backend fills exactly its defaults, and accepts exactly its enums. */
static void test_one_source(const pf_catalog *c) {
    json_t *schema = pf_output_type_schema(c, NULL);
    const json_t *props = json_object_get(schema, "properties");
    json_t *sparse = json_pack("{s:s, s:s, s:s, s:s}", "key", "x", "name", "X", "artifact_kind", "still_image",
                               "pricing_tier", "standard");
    json_t *full = pf_output_type_with_defaults(c, sparse);
    const char *field;
    const json_t *prop;
    json_object_foreach((json_t *)props, field, prop) {
        const json_t *def = json_object_get(prop, "default");
        if (def && !json_object_get(sparse, field))
            CHECK_MSG(json_equal(json_object_get(full, field), def), "default of %s", field);
    }
    const char *enum_fields[] = {"visibility", "rollout", "artifact_kind", "family", "pricing_tier"};
    for (size_t f = 0; f < sizeof enum_fields / sizeof *enum_fields; f++) {
        char *ptr = pf_asprintf("/%s", enum_fields[f]);
        const json_t *values = json_object_get(json_object_get(props, enum_fields[f]), "enum");
        CHECK_MSG(json_array_size(values) > 0, "%s has an enum", enum_fields[f]);
        size_t i;
        const json_t *v;
        json_array_foreach(values, i, v) {
            json_t *doc = json_deep_copy(full);
            json_object_set(doc, enum_fields[f], (json_t *)v);
            pf_errors errs;
            pf_errors_init(&errs);
            pf_output_type_validate(c, doc, NULL, "", &errs, NULL);
            /* other fields may now disagree; this one's value is allowed */
            bool enum_problem = false;
            for (size_t e = 0; e < errs.len; e++)
                enum_problem = enum_problem ||
                               (strcmp(errs.items[e].pointer, ptr) == 0 && strstr(errs.items[e].message, "one of"));
            CHECK_MSG(!enum_problem, "%s = %s refused", enum_fields[f], json_string_value(v));
            pf_errors_clear(&errs);
            json_decref(doc);
        }
        json_t *doc = json_deep_copy(full);
        json_object_set_new(doc, enum_fields[f], json_string("not-in-the-enum"));
        pf_errors errs;
        pf_errors_init(&errs);
        pf_output_type_validate(c, doc, NULL, "", &errs, NULL);
        CHECK_MSG(has_pointer(&errs, ptr), "%s accepts a value outside its enum", enum_fields[f]);
        pf_errors_clear(&errs);
        json_decref(doc);
        free(ptr);
    }
    /* a new category shows up in the schema and becomes valid at once */
    json_t *cat = json_pack("{s:s, s:s}", "key", "lamps", "name", "Lamps");
    pf_store_item item = {.op = PF_ITEM_CREATE, .kind = "category", .key = "lamps", .doc = cat};
    pf_error_free(pf_store_items_write(c->store, &item, 1));
    json_t *again = pf_output_type_schema(c, NULL);
    const json_t *cats = json_object_get(
        json_object_get(json_object_get(json_object_get(again, "properties"), "categories"), "items"), "enum");
    bool found = false;
    size_t i;
    const json_t *v;
    json_array_foreach(cats, i, v) found = found || strcmp(json_string_value(v), "lamps") == 0;
    CHECK(found);
    json_decref(again);
    json_decref(cat);
    json_decref(full);
    json_decref(sparse);
    json_decref(schema);
}

int main(void) {
    char *dir = pf_test_tmpdir("output-types");
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = pf_registry_load(&errs);
    json_t *starters = pf_starters_load(PF_SOURCE_DIR "/share", &errs);
    pf_store *store = NULL;
    CHECK(pf_store_open(dir, &store) == NULL);
    CHECK_INT(errs.len, 0);
    if (reg && starters && store) {
        pf_catalog c = {.registry = reg,
                        .store = store,
                        .starters = starters,
                        .share_dir = PF_SOURCE_DIR "/share",
                        .data_dir = dir};
        pf_catalog_seed(&c, NULL, &errs);
        CHECK_MSG(errs.len == 0, "seed: %s at %s", errs.len ? errs.items[0].message : "",
                  errs.len ? errs.items[0].pointer : "");
        test_seed(&c);
        test_malformed(&c);
        test_family_pairs(&c);
        test_family_checks(&c);
        test_draft(&c);
        test_one_source(&c);
    }
    pf_errors_clear(&errs);
    pf_store_close(store);
    json_decref(starters);
    pf_registry_free(reg);
    free(dir);
    return pf_check_done("output_types");
}
