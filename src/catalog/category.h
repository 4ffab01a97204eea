/* Product categories and pricing tiers: the catalog's reference data. */
#ifndef PF_CATALOG_CATEGORY_H
#define PF_CATALOG_CATEGORY_H

#include "catalog/catalog.h"

/* {key, name, description?}; problems under base, returns how many. */
size_t pf_category_validate(const json_t *doc, const char *base, pf_errors *errs);

/* {key, name, currency (ISO 4217), prices: {artifact kind: unit price}}. */
size_t pf_pricing_tier_validate(const pf_catalog *c, const json_t *doc, const char *base, pf_errors *errs);

/* A key as catalogs use them: a lowercase letter, then lowercase letters,
 * digits or underscores, at most 64 in all. */
bool pf_catalog_key_ok(const char *key);

#endif
