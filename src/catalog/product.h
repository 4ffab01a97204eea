/* Products: what a customer orders renders of. A product is an item (kind
 * "product", keyed by its id) {id, name, sku, category, cad_file}; its SKU
 * is claimed by an item of kind "product_sku" (key: the SKU, doc {product})
 * written in the same transaction, so two products never share a SKU even
 * when they are saved at the same moment. */
#ifndef PF_CATALOG_PRODUCT_H
#define PF_CATALOG_PRODUCT_H

#include "store/store.h"

/* Checks a product document for a create (self_id NULL) or an update of
 * self_id, against the store: name, sku (unique), category (an existing
 * "category" item), cad_file (optional: an existing "cad_file" item), id,
 * and no unknown fields. Every problem goes to errs, pointers under "":
 * PF_ECONFLICT for a taken SKU or id, else PF_EINVAL or PF_ENOTFOUND.
 * Returns how many it added. */
size_t pf_product_check(pf_store *store, const json_t *doc, const char *self_id, pf_errors *errs);

/* Creates (self_id NULL; the id is the document's or a new "prd_..." one)
 * or replaces self_id's product with its SKU claim, in one transaction.
 * Problems with the document go to errs and the returned error sums them
 * up. *stored_out: the stored document, a new reference. */
pf_error *pf_product_save(pf_store *store, const json_t *doc, const char *self_id, pf_errors *errs,
                          json_t **stored_out);

/* Deletes a product and its SKU claim; a conflict naming the order lines
 * that use it while any does. */
pf_error *pf_product_delete(pf_store *store, const char *id);

/* The HTTP status for a list of product problems: 409 when each is a
 * conflict, else 422. */
int pf_product_problem_status(const pf_errors *errs);

#endif
