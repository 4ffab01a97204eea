/* Demo data for a fresh data directory: categories, a pricing tier, the
 * starter workflows as stored workflows, and the output types shipped in
 * share/output-types. It runs once: a "meta/demo_data" item marks it done,
 * so what an operator deletes afterwards stays deleted. */
#ifndef PF_CATALOG_SEED_H
#define PF_CATALOG_SEED_H

#include "catalog/catalog.h"

/* Problems (a shipped output type that does not validate) go to errs. */
void pf_catalog_seed(const pf_catalog *c, const char *share_dir, pf_errors *errs);

#endif
