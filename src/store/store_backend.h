/* What a store backend provides. Only store.c and the backends see this. */
#ifndef PF_STORE_BACKEND_H
#define PF_STORE_BACKEND_H

#include "core/metrics.h"
#include "store/store.h"

/* A table as the copy sees it: the same columns and order in every
 * backend, so that both sides' rows digest alike. */
typedef enum { PF_COL_TEXT, PF_COL_INT, PF_COL_JSON, PF_COL_TIME } pf_col_kind;
typedef struct pf_store_column {
    const char *name;
    pf_col_kind kind;
} pf_store_column;
typedef struct pf_store_table {
    const char *name;
    const char *order_by;
    bool then_insertion; /* ties broken by insertion order (SQLite's rowid) */
    const pf_store_column *cols;
    int n_cols;
} pf_store_table;
/* Tables in an order that satisfies their foreign keys. */
extern const pf_store_table pf_store_tables[];
extern const int pf_store_n_tables;
/* Gets each row (borrowed: json_incref it to keep it); an error stops the dump. */
typedef pf_error *(*pf_store_row_fn)(void *ctx, json_t *row);

/* A workflow's delete as a backend hands it to its transaction: the
 * workflow and the referrers that keep it (store.h). */
typedef struct {
    const char *id;
    const pf_store_ref *refs;
    size_t n_refs;
} pf_store_delete;

/* A workflow's save as a backend hands it to its transaction. */
typedef struct {
    const json_t *doc;
    int expected;
    bool create_only;
    json_t **stored_out;
} pf_store_save;

/* Whether a save may write version latest + 1 of workflow id (latest 0:
 * unknown; deleted: its row says so), as both backends judge it with the
 * row locked. */
pf_error *pf_store_save_check(const pf_store_save *a, const char *id, int latest, bool deleted);

typedef struct pf_store_ops {
    const char *name;
    void (*close)(pf_store *s);
    int (*schema_version)(pf_store *s);
    pf_error *(*probe_write)(pf_store *s);
    pf_error *(*workflow_save)(pf_store *s, const json_t *doc, int expected_version, bool create_only,
                               json_t **stored_out);
    pf_error *(*workflow_get)(pf_store *s, const char *id, int version, json_t **doc_out);
    pf_error *(*workflow_list)(pf_store *s, const char *family, json_t **list_out);
    pf_error *(*workflow_versions)(pf_store *s, const char *id, json_t **list_out); /* [] for none */
    pf_error *(*workflow_delete)(pf_store *s, const char *id, const pf_store_ref *refs, size_t n_refs);
    pf_error *(*run_create)(pf_store *s, const json_t *run);
    pf_error *(*run_transitions)(pf_store *s, const pf_store_transition *items, size_t n);
    pf_error *(*run_get)(pf_store *s, const char *run_id, bool with_nodes, json_t **run_out);
    pf_error *(*run_list)(pf_store *s, const char *status, json_t **list_out);
    pf_error *(*asset_list)(pf_store *s, const char *run_id, json_t **list_out);
    pf_error *(*artifact_get)(pf_store *s, const char *id, json_t **artifact_out);
    pf_error *(*cache_find)(pf_store *s, const char *key, const char *slot, json_t **entry_out, bool *exact);
    /* NULL: one cache_find after another. */
    pf_error *(*cache_find_many)(pf_store *s, size_t n, const char *const *keys, const char *const *slots,
                                 json_t **entries_out, bool *exact);
    pf_error *(*items_write)(pf_store *s, const pf_store_item *items, size_t n);
    pf_error *(*item_get)(pf_store *s, const char *kind, const char *key, json_t **doc_out);
    pf_error *(*item_list)(pf_store *s, const char *kind, json_t **list_out);
    /* Leases and notices; NULL where the backend has none (store.h). */
    pf_error *(*run_claim)(pf_store *s, const char *owner, int lease_seconds, bool own_too, const json_t *running,
                           size_t max, json_t **ids_out);
    pf_error *(*run_renew)(pf_store *s, const char *owner, int lease_seconds, const json_t *runs, json_t **held_out);
    pf_error *(*run_lease)(pf_store *s, const char *owner, int lease_seconds, const char *run_id, long long *epoch);
    /* Fences: run_transitions fails with PF_ECONFLICT, committing nothing,
     * when a transition's fence does not hold; this says whether one does. */
    pf_error *(*run_fence_held)(pf_store *s, const char *run_id, const pf_store_fence *fence, bool *held);
    pf_error *(*run_release)(pf_store *s, const char *owner);
    /* Side effects (store.h). */
    pf_error *(*effect_claim)(pf_store *s, const char *run_id, const char *node_id, const char *key,
                              const pf_store_fence *fence, json_t **claim_out);
    pf_error *(*effect_done)(pf_store *s, const char *run_id, const char *node_id, const char *key,
                             const json_t *result);
    pf_error *(*run_request_cancel)(pf_store *s, const char *run_id);
    pf_error *(*listen)(pf_store *s, const char *owner, pf_store_notice_fn fn, pf_store_notice_fn on_cancel,
                        void *user);
    void (*unlisten)(pf_store *s);
    /* Copying (store_copy.c): every row of a table in its order, as JSON;
     * and rows written back as they are, in one transaction. */
    pf_error *(*dump)(pf_store *s, const pf_store_table *t, pf_store_row_fn fn, void *ctx);
    pf_error *(*load)(pf_store *s, const pf_store_table *t, json_t *const *rows, size_t n);
} pf_store_ops;

#define PF_STORE_ERROR_CODES 16

struct pf_store {
    const pf_store_ops *ops;
    void *impl;                              /* the backend's own state */
    pf_counter errors[PF_STORE_ERROR_CODES]; /* by pf_code (store.c) */
};

/* The JSON pointer of a reference's field in the writer ("a.b": "/a/b"),
 * for the error of a referee that is missing. malloc'd. */
char *pf_store_ref_pointer(const pf_store_ref *ref);
/* An item's document as both backends store its text: without its time
 * stamps and revision, which live in columns. malloc'd; NULL for NULL. */
char *pf_store_doc_text(const json_t *doc);

pf_error *pf_store_sqlite_open(const char *path, pf_store **out);
pf_error *pf_store_pg_open(const char *url, pf_store **out);
/* pf_store_migrate_to for each backend. */
pf_error *pf_store_sqlite_migrate(const char *path, int target, bool dry_run, json_t **report);
pf_error *pf_store_pg_migrate(const char *url, int target, bool dry_run, json_t **report);
/* The copy's halves for SQLite (store_sqlite_copy.c). */
pf_error *pf_sqlite_dump(pf_store *s, const pf_store_table *t, pf_store_row_fn fn, void *ctx);
pf_error *pf_sqlite_load(pf_store *s, const pf_store_table *t, json_t *const *rows, size_t n);

/* The SQLite migrations, oldest first; schema version = index + 1. */
extern const char *const pf_sqlite_migrations[];
extern const int pf_sqlite_n_migrations;
/* The PostgreSQL migrations, the same way. */
extern const char *const pf_pg_migrations[];
extern const int pf_pg_n_migrations;

#endif
