#include "catalog/seed.h"

#include "catalog/output_type.h"
#include "core/mem.h"
#include "workflow/workflow.h"

#include <stdlib.h>
#include <string.h>

static void put(pf_store *store, const char *kind, json_t *doc, pf_errors *errs) {
    pf_store_item item = {PF_ITEM_UPSERT, kind, json_string_value(json_object_get(doc, "key")), doc};
    pf_error *err = pf_store_items_write(store, &item, 1);
    if (err) pf_errors_take(errs, err);
    json_decref(doc);
}

void pf_catalog_seed(const pf_catalog *c, const char *share_dir, pf_errors *errs) {
    json_t *done = NULL;
    pf_error *missing = pf_store_item_get(c->store, "meta", "demo_data", &done);
    json_decref(done);
    if (!missing) return;
    pf_error_free(missing);
    size_t before = errs->len;
    put(c->store, "category",
        json_pack("{s:s, s:s, s:s}", "key", "furniture", "name", "Furniture", "description", "Chairs, tables, shelves"),
        errs);
    put(c->store, "category",
        json_pack("{s:s, s:s, s:s}", "key", "machinery", "name", "Machinery", "description",
                  "Gearboxes, pumps, assemblies"),
        errs);
    put(c->store, "pricing_tier",
        json_pack("{s:s, s:s, s:s, s:{s:i, s:i, s:i, s:i}}", "key", "standard", "name", "Standard", "currency", "EUR",
                  "prices", "still_image", 25, "turntable_video", 90, "production_blend", 150, "preview_thumbnail", 0),
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
    json_t *types = pf_output_types_load(share_dir, &found);
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
}
