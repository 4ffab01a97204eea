/* Inside the SQLite backend: its state and the helpers its files share. */
#ifndef PF_STORE_SQLITE_H
#define PF_STORE_SQLITE_H

#include "core/clock.h"
#include "store/store_backend.h"

#include <pthread.h>
#include <sqlite3.h>

/* A connection, its lock (callers take turns) and the statements on hot
 * paths, prepared once for it. */
typedef struct {
    sqlite3 *db;
    pthread_mutex_t lock;
    /* As many as the code has literals for it (about ten on the writer):
     * the array grows, and nothing is ever dropped while a caller may
     * still hold it. */
    struct pf_sqlite_cached_stmt {
        const char *sql; /* a string literal: its address is the key */
        sqlite3_stmt *stmt;
    } * cached;
    size_t n_cached;
} sqlite_conn;

#define PF_SQLITE_READERS 4

typedef struct {
    sqlite_conn writer;
    /* Connections for point reads: in WAL mode each reads the last commit
     * while a write is under way, and workers do not queue behind one. */
    sqlite_conn readers[PF_SQLITE_READERS];
    int version;
} sqlite_store;

sqlite_store *pf_sqlite_impl(pf_store *s);
pf_error *pf_sqlite_db_error(sqlite3 *db, const char *what);
pf_error *pf_sqlite_exec(sqlite3 *db, const char *sql, const char *what);
/* Runs fn inside BEGIN IMMEDIATE ... COMMIT under the writer's lock,
 * rolling back on error. */
pf_error *pf_sqlite_transaction(pf_store *s, pf_error *(*fn)(sqlite_store *st, void *arg), void *arg, const char *what);
sqlite3_stmt *pf_sqlite_prepare(sqlite3 *db, const char *sql);
const char *pf_sqlite_text(sqlite3_stmt *st, int column); /* "" for NULL */
/* A statement prepared once and kept: the caller holds the connection's
 * lock, and ends with sqlite3_reset, never sqlite3_finalize. */
sqlite3_stmt *pf_sqlite_cached(sqlite_conn *c, const char *sql);
/* Finalizes c's statements and closes its database (not its lock). */
void pf_sqlite_conn_close_db(sqlite_conn *c);
/* Runs sql, a statement without rows (BEGIN, COMMIT), as a cached one:
 * sqlite3_exec compiles it each time, which cost a batch of cache
 * look-ups more than the look-ups themselves. The caller holds c's lock. */
pf_error *pf_sqlite_step_cached(sqlite_conn *c, const char *sql, const char *what);
/* The statements of a transaction, for pf_sqlite_step_cached (their
 * addresses key the cache). */
extern const char pf_sqlite_begin[], pf_sqlite_begin_immediate[], pf_sqlite_commit[], pf_sqlite_rollback[];
/* A free reader connection, locked; give it back with pf_sqlite_reader_release. */
sqlite_conn *pf_sqlite_reader(sqlite_store *st);
void pf_sqlite_reader_release(sqlite_conn *c);
void pf_iso_now(char out[32]); /* ISO 8601, milliseconds, UTC */

/* Runs, artifacts and the module cache (store_sqlite_runs.c). */
pf_error *pf_sqlite_run_create(pf_store *s, const json_t *run);
pf_error *pf_sqlite_run_transitions(pf_store *s, const pf_store_transition *items, size_t n);
pf_error *pf_sqlite_run_fence_held(pf_store *s, const char *run_id, const pf_store_fence *fence, bool *held);
/* Whether fence holds run_id's lease, on c (the writer inside a
 * transaction, or a reader); and the same as an error, PF_ECONFLICT when
 * it does not. */
pf_error *pf_sqlite_fence_held(sqlite_conn *c, const char *run_id, const pf_store_fence *fence, bool *held);
pf_error *pf_sqlite_fence_check(sqlite_conn *c, const char *run_id, const pf_store_fence *fence);
pf_error *pf_sqlite_run_get(pf_store *s, const char *run_id, bool with_nodes, json_t **run_out);
pf_error *pf_sqlite_run_list(pf_store *s, const char *status, json_t **list_out);
pf_error *pf_sqlite_asset_list(pf_store *s, const char *run_id, json_t **list_out);
pf_error *pf_sqlite_artifact_get(pf_store *s, const char *id, json_t **artifact_out);
pf_error *pf_sqlite_cache_find(pf_store *s, const char *key, const char *slot, json_t **entry_out, bool *exact);
pf_error *pf_sqlite_cache_find_many(pf_store *s, size_t n, const char *const *keys, const char *const *slots,
                                    json_t **entries_out, bool *exact);

/* Side effects' claims (store_sqlite_effects.c). */
pf_error *pf_sqlite_effect_claim(pf_store *s, const char *run_id, const char *node_id, const char *key,
                                 const pf_store_fence *fence, json_t **claim_out);
pf_error *pf_sqlite_effect_done(pf_store *s, const char *run_id, const char *node_id, const char *key,
                                const json_t *result);

/* Catalog and order items (store_sqlite_items.c). */
pf_error *pf_sqlite_items_write(pf_store *s, const pf_store_item *items, size_t n);
pf_error *pf_sqlite_item_get(pf_store *s, const char *kind, const char *key, json_t **doc_out);
pf_error *pf_sqlite_item_list(pf_store *s, const char *kind, json_t **list_out);
/* refs (pf_store_ref) of a write of kind's key, on the writer inside its
 * transaction: deleting, an item referring to key is PF_ECONFLICT;
 * otherwise, a referee missing. */
pf_error *pf_sqlite_refs_check(sqlite_conn *w, const char *kind, const char *key, bool deleting,
                               const pf_store_ref *refs, size_t n);

#endif
