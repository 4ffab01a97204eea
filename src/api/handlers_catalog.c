/* Categories and pricing tiers: the catalog's reference data. */
#include "api/items.h"

#include "catalog/category.h"
#include "core/mem.h"

#include <stdlib.h>

static size_t category_validate(const pf_catalog *c, const json_t *doc, pf_errors *errs) {
    (void)c;
    return pf_category_validate(doc, "", errs);
}

static char *category_in_use(const pf_catalog *c, const char *key) {
    char *products = pf_items_referring(c->store, "product", "category", key);
    char *types = pf_items_referring(c->store, "output_type", "categories", key);
    char *both = products && types ? pf_asprintf("%s, %s", products, types) : NULL;
    if (both) {
        free(products);
        free(types);
        return both;
    }
    return products ? products : types;
}

static const pf_store_ref category_referrers[] = {{.kind = "product", .field = "category"},
                                                  {.kind = "output_type", .field = "categories"}};

static const pf_item_type categories = {.kind = "category",
                                        .title = "category",
                                        .path = "/api/categories",
                                        .list = "categories",
                                        .validate = category_validate,
                                        .in_use = category_in_use,
                                        .referrers = category_referrers,
                                        .n_referrers = 2};

static size_t tier_validate(const pf_catalog *c, const json_t *doc, pf_errors *errs) {
    return pf_pricing_tier_validate(c, doc, "", errs);
}

static char *tier_in_use(const pf_catalog *c, const char *key) {
    return pf_items_referring(c->store, "output_type", "pricing_tier", key);
}

static const pf_store_ref tier_referrers[] = {{.kind = "output_type", .field = "pricing_tier"}};

static const pf_item_type tiers = {.kind = "pricing_tier",
                                   .title = "pricing tier",
                                   .path = "/api/pricing-tiers",
                                   .list = "pricing_tiers",
                                   .validate = tier_validate,
                                   .in_use = tier_in_use,
                                   .referrers = tier_referrers,
                                   .n_referrers = 1};

PF_ITEM_HANDLERS(category, categories)
PF_ITEM_HANDLERS(pricing_tier, tiers)
