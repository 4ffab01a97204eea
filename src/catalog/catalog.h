/* What the catalog's checks read: the registry (families, artifact kinds),
 * the store (categories, tiers, workflows, items), the starter workflows
 * and the directories (material libraries, render templates, artifacts).
 * All borrowed. */
#ifndef PF_CATALOG_CATALOG_H
#define PF_CATALOG_CATALOG_H

#include "modules/registry.h"
#include "store/store.h"

typedef struct pf_catalog {
    const pf_registry *registry;
    pf_store *store;
    const json_t *starters;
    const char *share_dir, *data_dir;
} pf_catalog;

/* Adds "<what> needs a <field>" at base/field when the string field is
 * missing or empty; true when it is there. */
bool pf_catalog_need(const json_t *doc, const char *field, const char *what, const char *base, pf_errors *errs);

/* Keys of the items of a kind, as a JSON array of strings. New reference. */
json_t *pf_catalog_keys(pf_store *store, const char *kind);

#endif
