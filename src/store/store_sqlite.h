/* Inside the SQLite backend: its state and the helpers its files share. */
#ifndef PF_STORE_SQLITE_H
#define PF_STORE_SQLITE_H

#include "store/store_backend.h"

#include <pthread.h>
#include <sqlite3.h>

typedef struct {
    sqlite3 *db;
    pthread_mutex_t lock; /* one connection; calls take turns */
    int version;
} sqlite_store;

sqlite_store *pf_sqlite_impl(pf_store *s);
pf_error *pf_sqlite_db_error(sqlite3 *db, const char *what);
pf_error *pf_sqlite_exec(sqlite3 *db, const char *sql, const char *what);
sqlite3_stmt *pf_sqlite_prepare(sqlite3 *db, const char *sql);
const char *pf_sqlite_text(sqlite3_stmt *st, int column); /* "" for NULL */
void pf_sqlite_now(char out[32]);                           /* ISO 8601, milliseconds, UTC */

/* Runs, artifacts and the module cache (store_sqlite_runs.c). */
pf_error *pf_sqlite_run_create(pf_store *s, const json_t *run, const json_t *nodes);
pf_error *pf_sqlite_run_transition(pf_store *s, const char *run_id, const char *run_status, const json_t *run_doc,
                                   const char *node_id, const char *node_status, const json_t *node_state);
pf_error *pf_sqlite_run_get(pf_store *s, const char *run_id, json_t **run_out);
pf_error *pf_sqlite_run_list(pf_store *s, const char *status, json_t **list_out);
pf_error *pf_sqlite_artifact_put(pf_store *s, const json_t *artifact);
pf_error *pf_sqlite_artifact_get(pf_store *s, const char *id, json_t **artifact_out);
pf_error *pf_sqlite_cache_get(pf_store *s, const char *key, json_t **entry_out);
pf_error *pf_sqlite_cache_latest(pf_store *s, const char *slot, json_t **entry_out);
pf_error *pf_sqlite_cache_put(pf_store *s, const char *key, const char *slot, const json_t *entry);

#endif
