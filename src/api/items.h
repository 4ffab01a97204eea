/* The REST shape every catalog item type shares: list, create, get,
 * replace and delete, with validation reporting every problem at once. */
#ifndef PF_API_ITEMS_H
#define PF_API_ITEMS_H

#include "api/router.h"
#include "catalog/catalog.h"

typedef struct pf_item_type {
    const char *kind;  /* the store's kind: "category" */
    const char *title; /* for problem titles: "category" */
    const char *path;  /* the collection: "/api/categories" */
    const char *list;  /* the list's name in responses: "categories" */
    /* Problems go to errs with pointers into doc. */
    size_t (*validate)(const pf_catalog *c, const json_t *doc, pf_errors *errs);
    /* Optional: doc as stored (defaults filled in). New reference. */
    json_t *(*prepare)(const pf_catalog *c, const json_t *doc);
    /* Optional: what refers to key, which forbids deleting it; malloc'd
     * sentence or NULL. */
    char *(*in_use)(const pf_catalog *c, const char *key);
    /* What may refer to an item of this type, {kind, field} each: a
     * delete checks them again in its own transaction, so a referrer
     * saved after in_use looked still refuses it. */
    const pf_store_ref *referrers;
    size_t n_referrers;
    /* Optional: the items doc names, which its write checks exist in the
     * same transaction (their keys borrowed from doc); malloc'd, *n set. */
    pf_store_ref *(*refers)(const pf_catalog *c, const json_t *doc, size_t *n);
} pf_item_type;

pf_catalog pf_app_catalog(const pf_app *app);

void pf_items_list(const pf_item_type *t, const pf_app *app, const pf_request *req, pf_response *res);
void pf_items_create(const pf_item_type *t, const pf_app *app, const pf_request *req, pf_response *res);
void pf_items_get(const pf_item_type *t, const pf_app *app, const pf_request *req, pf_response *res);
void pf_items_replace(const pf_item_type *t, const pf_app *app, const pf_request *req, pf_response *res);
void pf_items_delete(const pf_item_type *t, const pf_app *app, const pf_request *req, pf_response *res);

/* Items of a kind whose string field equals value, or whose array field
 * contains it; their keys joined by ", ", or NULL for none. */
char *pf_items_referring(pf_store *store, const char *kind, const char *field, const char *value);

/* The five route handlers of an item type, pf_handle_NAME_{list, create,
 * get, replace, delete}, for the route table. */
#define PF_ITEM_HANDLERS(NAME, TYPE)                                                                                   \
    void pf_handle_##NAME##_list(const pf_app *a, const pf_request *q, pf_response *r) {                               \
        pf_items_list(&TYPE, a, q, r);                                                                                 \
    }                                                                                                                  \
    void pf_handle_##NAME##_create(const pf_app *a, const pf_request *q, pf_response *r) {                             \
        pf_items_create(&TYPE, a, q, r);                                                                               \
    }                                                                                                                  \
    void pf_handle_##NAME##_get(const pf_app *a, const pf_request *q, pf_response *r) {                                \
        pf_items_get(&TYPE, a, q, r);                                                                                  \
    }                                                                                                                  \
    void pf_handle_##NAME##_replace(const pf_app *a, const pf_request *q, pf_response *r) {                            \
        pf_items_replace(&TYPE, a, q, r);                                                                              \
    }                                                                                                                  \
    void pf_handle_##NAME##_delete(const pf_app *a, const pf_request *q, pf_response *r) {                             \
        pf_items_delete(&TYPE, a, q, r);                                                                               \
    }

#endif
