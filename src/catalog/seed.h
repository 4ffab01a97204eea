/* Demo data for a fresh data directory: categories, a pricing tier, the
 * starter workflows as stored workflows, the output types shipped in
 * share/output-types and a sample product, a gearbox made by the project's
 * STEP fixture generator, whose intake starts at once. It runs once:
 * "meta/demo_data" and "meta/demo_product" items mark it done, so what an
 * operator deletes afterwards stays deleted. */
#ifndef PF_CATALOG_SEED_H
#define PF_CATALOG_SEED_H

#include "catalog/cad_file.h"
#include "catalog/catalog.h"

/* Problems (a shipped output type that does not validate) go to errs.
 * env NULL leaves out the sample product (a one-off CLI job must not start
 * an intake it will not wait for). */
void pf_catalog_seed(const pf_catalog *c, const pf_cad_env *env, pf_errors *errs);

#endif
