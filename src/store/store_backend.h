/* What a store backend provides. Only store.c and the backends see this. */
#ifndef PF_STORE_BACKEND_H
#define PF_STORE_BACKEND_H

#include "store/store.h"

typedef struct pf_store_ops {
    const char *name;
    void (*close)(pf_store *s);
    int (*schema_version)(pf_store *s);
    pf_error *(*workflow_save)(pf_store *s, const json_t *doc, int expected_version, bool create_only,
                               json_t **stored_out);
    pf_error *(*workflow_get)(pf_store *s, const char *id, int version, json_t **doc_out);
    pf_error *(*workflow_list)(pf_store *s, const char *family, json_t **list_out);
    pf_error *(*workflow_versions)(pf_store *s, const char *id, json_t **list_out);
    pf_error *(*workflow_delete)(pf_store *s, const char *id);
    pf_error *(*run_create)(pf_store *s, const json_t *run);
    pf_error *(*run_transitions)(pf_store *s, const pf_store_transition *items, size_t n);
    pf_error *(*run_get)(pf_store *s, const char *run_id, bool with_nodes, json_t **run_out);
    pf_error *(*run_list)(pf_store *s, const char *status, json_t **list_out);
    pf_error *(*asset_list)(pf_store *s, const char *run_id, json_t **list_out);
    pf_error *(*artifact_get)(pf_store *s, const char *id, json_t **artifact_out);
    pf_error *(*cache_find)(pf_store *s, const char *key, const char *slot, json_t **entry_out, bool *exact);
    pf_error *(*items_write)(pf_store *s, const pf_store_item *items, size_t n);
    pf_error *(*item_get)(pf_store *s, const char *kind, const char *key, json_t **doc_out);
    pf_error *(*item_list)(pf_store *s, const char *kind, json_t **list_out);
} pf_store_ops;

struct pf_store {
    const pf_store_ops *ops;
    void *impl; /* the backend's own state */
};

pf_error *pf_store_sqlite_open(const char *path, pf_store **out);

/* The SQLite migrations, oldest first; schema version = index + 1. */
extern const char *const pf_sqlite_migrations[];
extern const int pf_sqlite_n_migrations;

#endif
