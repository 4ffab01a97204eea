#include "catalog/seed.h"

#include "cad/fixture.h"
#include "catalog/output_type.h"
#include "catalog/product.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"
#include "workflow/workflow.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put(pf_store *store, const char *kind, json_t *doc, pf_errors *errs) {
    pf_store_item item = {
        .op = PF_ITEM_UPSERT, .kind = kind, .key = json_string_value(json_object_get(doc, "key")), .doc = doc};
    pf_error *err = pf_store_items_write(store, &item, 1);
    if (err) pf_errors_take(errs, err);
    json_decref(doc);
}

static bool done(pf_store *store, const char *what) {
    json_t *doc = NULL;
    pf_error *missing = pf_store_item_get(store, "meta", what, &doc);
    json_decref(doc);
    pf_error_free(missing);
    return !missing;
}

/* The gearbox fixture as an uploaded CAD file, and a product for it. */
static void sample_product(const pf_catalog *c, const pf_cad_env *env, pf_errors *errs) {
    char *dir = pf_asprintf("%s/cad/tmp", c->data_dir), *tmp = pf_asprintf("%s/sample-gearbox.step", dir);
    pf_fixture_opts opts = {.bolts = 6};
    char sha[65];
    uint64_t size = 0;
    json_t *cad = NULL, *product = NULL;
    bool created = false;
    pf_error *err = pf_mkdirs(dir, 0755);
    if (!err) err = pf_cad_make_fixture(tmp, &opts);
    if (!err) err = pf_sha256_file(tmp, sha, &size);
    if (!err) err = pf_cad_file_accept(env, tmp, sha, size, "gearbox.step", errs, &cad, &created);
    if (!err) {
        json_t *doc = json_pack("{s:s, s:s, s:s, s:s}", "name", "Gearbox GB-100 (sample)", "sku", "GB-100", "category",
                                "machinery", "cad_file", sha);
        err = pf_product_save(c->store, doc, NULL, errs, &product);
        json_decref(doc);
    }
    if (!err)
        put(c->store, "meta",
            json_pack("{s:s, s:s}", "key", "demo_product", "product",
                      json_string_value(json_object_get(product, "id"))),
            errs);
    if (err) pf_errors_take(errs, err);
    unlink(tmp); /* left behind only when the file was known already */
    json_decref(cad);
    json_decref(product);
    free(tmp);
    free(dir);
}

void pf_catalog_seed(const pf_catalog *c, const pf_cad_env *env, pf_errors *errs) {
    if (done(c->store, "demo_data")) {
        if (env && !done(c->store, "demo_product")) sample_product(c, env, errs);
        return;
    }
    size_t before = errs->len;
    put(c->store, "category",
        json_pack("{s:s, s:s, s:s}", "key", "furniture", "name", "Furniture", "description", "Chairs, tables, shelves"),
        errs);
    put(c->store, "category",
        json_pack("{s:s, s:s, s:s}", "key", "machinery", "name", "Machinery", "description",
                  "Gearboxes, pumps, assemblies"),
        errs);
    put(c->store, "pricing_tier",
        json_pack("{s:s, s:s, s:s, s:{s:i, s:i, s:i, s:i, s:i}}", "key", "standard", "name", "Standard", "currency",
                  "EUR", "prices", "still_image", 25, "turntable_video", 90, "production_blend", 150,
                  "preview_thumbnail", 0, "glb_model", 40),
        errs);
    size_t i;
    const json_t *starter;
    json_array_foreach(c->starters, i, starter) {
        json_t *stored = NULL, *canonical = pf_workflow_canonicalize(c->registry, starter);
        pf_error *err = pf_store_workflow_save(c->store, canonical, 0, true, &stored);
        json_decref(canonical);
        if (err && err->code != PF_ECONFLICT)
            pf_errors_take(errs, err);
        else
            pf_error_free(err);
        json_decref(stored);
    }
    pf_errors found;
    pf_errors_init(&found);
    json_t *types = pf_output_types_load(c->share_dir, &found);
    const char *key;
    json_t *doc;
    json_object_foreach(types, key, doc) {
        json_t *full = pf_output_type_with_defaults(c, doc);
        char *base = pf_asprintf("/share/output-types/%s", key);
        if (pf_output_type_validate(c, full, NULL, base, &found, NULL) == 0)
            put(c->store, "output_type", json_incref(full), &found);
        free(base);
        json_decref(full);
    }
    json_decref(types);
    for (size_t k = 0; k < found.len; k++)
        pf_errors_add(errs, found.items[k].code, found.items[k].pointer, "%s", found.items[k].message);
    pf_errors_clear(&found);
    if (errs->len == before) put(c->store, "meta", json_pack("{s:s, s:b}", "key", "demo_data", "seeded", 1), errs);
    if (errs->len == before && env) sample_product(c, env, errs);
}
