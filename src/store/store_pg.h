/* Inside the PostgreSQL backend: its state, its statements and the helpers
 * its files share. Every use of a connection goes through store_pg.c
 * (connect, check, reconnect, prepare). What comes next fits there: run
 * leases (SELECT ... FOR UPDATE SKIP LOCKED) are writer transactions like
 * any other; LISTEN/NOTIFY wants one more pg_conn of its own, whose
 * LISTEN is issued again wherever ensure() prepares a new session, and
 * NOTIFY is one more statement in a transition's pipeline. */
#ifndef PF_STORE_PG_H
#define PF_STORE_PG_H

#include "store/store_backend.h"

#include "store/pg_api.h"
#include <pthread.h>

/* The statements the backend runs, prepared on each connection when it
 * (re)connects; their text is in store_pg_sql.c. */
typedef enum {
    Q_WF_LOCK,
    Q_WF_INSERT,
    Q_WF_UPDATE,
    Q_WF_VERSION_INSERT,
    Q_WF_GET,
    Q_WF_LIST,
    Q_WF_LIST_FAMILY,
    Q_WF_VERSIONS,
    Q_WF_DELETE,
    Q_RUN_INSERT,
    Q_RUN_DOC_INSERT,
    Q_RUN_STATUS,
    Q_RUN_DOC_UPDATE,
    Q_NODES_PUT,
    Q_ARTIFACTS_PUT,
    Q_ASSETS_PUT,
    Q_CACHE_PUT,
    Q_RUN_GET,
    Q_RUN_GET_DETAILS,
    Q_RUN_LIST,
    Q_RUN_LIST_STATUS,
    Q_ARTIFACT_GET,
    Q_ASSET_LIST,
    Q_ASSET_LIST_RUN,
    Q_CACHE_FIND,
    Q_CACHE_FIND_MANY,
    Q_RUN_CANCEL_REQUEST,
    Q_ITEM_CREATE,
    Q_ITEM_REPLACE,
    Q_ITEM_UPSERT,
    Q_ITEM_DELETE,
    Q_ITEM_GET,
    Q_ITEM_LIST,
    Q_ITEM_SHARE,
    Q_WF_SHARE,
    Q_ITEM_REFERRER,
    Q_RUN_CLAIM,
    Q_RUN_RENEW,
    Q_RUN_RELEASE,
    Q_RUN_LEASE,
    Q_RUN_FENCE,
    Q_RUN_FENCE_HELD,
    Q_EFFECT_CLAIM,
    Q_EFFECT_DONE,
    Q_NOTIFY,
    Q_COUNT
} pg_query;
extern const char *const pf_pg_sql[Q_COUNT];

/* A connection and its lock: a PGconn serves one thread at a time. */
typedef struct {
    PGconn *pg;     /* NULL until first used */
    bool prepared;  /* the statements are prepared on this session */
    bool listens;   /* LISTENs on PF_PG_CHANNEL: issued again on every new session */
    char *presence; /* with listens, the session's application_name (PF_PG_PRESENCE and owner), or NULL */
    pthread_mutex_t lock;
} pg_conn;

#define PF_PG_READERS 4
/* How long the database lets a session sit idle inside a transaction
 * (pf_pg_connect). Prodflow's transactions send their statements back to
 * back, so only a stopped server's wait this long. */
#define PF_PG_IDLE_IN_TX "10s"

typedef struct {
    char *url;
    pg_conn writer; /* every change, one transaction at a time */
    /* Look-ups: each reads the last commit, and does not queue behind a
     * write or another look-up. */
    pg_conn readers[PF_PG_READERS];
    int version;
    struct pg_listener *listener; /* LISTEN's own session and thread; NULL until pf_store_listen */
} pg_store;

/* The channel every server NOTIFYs a run's id on when it commits a change
 * of the run, and LISTENs to. */
#define PF_PG_CHANNEL "prodflow_runs"
/* The listening session's application_name is this and the server's
 * lease owner: a claim finds a server alive by it (Q_RUN_CLAIM). */
#define PF_PG_PRESENCE "prodflow:"

pg_store *pf_pg_impl(pf_store *s);

/* A new connection with Prodflow's settings, or NULL and *err. */
PGconn *pf_pg_connect(const char *url, pf_error **err);
/* Migrates on pg, which is idle; with report, fills its statements. */
pf_error *pf_pg_migrate(PGconn *pg, int target, bool dry_run, json_t *report, int *version_out);

/* A prepared statement on c (locked, ready), parameters as text (NULL is
 * SQL NULL). *res_out, when asked for, is the caller's to PQclear. */
pf_error *pf_pg_exec(pg_conn *c, pg_query q, int n, const char *const *values, PGresult **res_out, const char *what);
/* The same for SQL that is not among the prepared statements (the copy). */
pf_error *pf_pg_exec_sql(pg_conn *c, const char *sql, int n, const char *const *values, PGresult **res_out,
                         const char *what);
/* A reader connection, locked and ready; give it back with pf_pg_release. */
pf_error *pf_pg_reader(pf_store *s, pg_conn **out);
void pf_pg_release(pg_conn *c);
/* Closes c's session when a call broke off midway; its next use connects
 * anew. */
void pf_pg_discard(pg_conn *c);
/* r's error (r may be NULL: then the session's) as a pf_error: a lost
 * session is PF_EUNAVAILABLE, anything else PF_EIO naming what failed. */
pf_error *pf_pg_error(PGconn *pg, const PGresult *r, const char *what);
/* One look-up on a reader connection, tried once more on a fresh
 * connection if the old one was lost. */
pf_error *pf_pg_read(pf_store *s, pg_query q, int n, const char *const *values, PGresult **res_out, const char *what);
/* One statement on the writer, its own transaction: the leases, so that a
 * server stopped (SIGSTOP, a frozen VM) between two statements never holds
 * a run's row locked, which would keep every other server from claiming
 * it. */
pf_error *pf_pg_write(pf_store *s, pg_query q, int n, const char *const *values, PGresult **res_out, const char *what);
/* Runs fn inside BEGIN ... COMMIT on the writer, rolling back on error. */
pf_error *pf_pg_transaction(pf_store *s, pf_error *(*fn)(pg_conn *c, void *arg), void *arg, const char *what);

/* A pipeline on the writer: statements go out without waiting for each
 * answer, inside one transaction, so a group costs one round trip. */
typedef struct pg_pipe pg_pipe;
/* Runs fn, which sends with pf_pg_send, then commits all or nothing. Use it
 * only for idempotent writes: a pipeline cut by a lost connection is sent
 * again once on a fresh one. */
pf_error *pf_pg_pipeline(pf_store *s, void (*fn)(pg_pipe *p, void *arg), void *arg, const char *what);
/* The same for writes that must not be sent twice: a pipeline cut by a
 * lost connection is an error (the next call connects anew). */
pf_error *pf_pg_pipeline_once(pf_store *s, void (*fn)(pg_pipe *p, void *arg), void *arg, const char *what);
void pf_pg_send(pg_pipe *p, pg_query q, int n, const char *const *values);

/* Reading results: text ("" for NULL), integers (0 for NULL), JSON (null
 * for NULL), rows changed. */
const char *pf_pg_text(const PGresult *r, int row, int col);
long long pf_pg_int(const PGresult *r, int row, int col);
json_t *pf_pg_json(const PGresult *r, int row, int col);
long long pf_pg_changes(const PGresult *r);

/* Workflows (store_pg_workflows.c). */
pf_error *pf_pg_workflow_save(pf_store *s, const json_t *doc, int expected, bool create_only, json_t **stored_out);
pf_error *pf_pg_workflow_get(pf_store *s, const char *id, int version, json_t **doc_out);
pf_error *pf_pg_workflow_list(pf_store *s, const char *family, json_t **list_out);
pf_error *pf_pg_workflow_versions(pf_store *s, const char *id, json_t **list_out);
pf_error *pf_pg_workflow_delete(pf_store *s, const char *id, const pf_store_ref *refs, size_t n_refs);

/* Runs, artifacts, assets and the module cache (store_pg_runs.c). */
pf_error *pf_pg_run_create(pf_store *s, const json_t *run);
pf_error *pf_pg_run_transitions(pf_store *s, const pf_store_transition *items, size_t n);
pf_error *pf_pg_run_get(pf_store *s, const char *run_id, bool with_nodes, json_t **run_out);
pf_error *pf_pg_run_list(pf_store *s, const char *status, json_t **list_out);
pf_error *pf_pg_asset_list(pf_store *s, const char *run_id, json_t **list_out);
pf_error *pf_pg_artifact_get(pf_store *s, const char *id, json_t **artifact_out);
pf_error *pf_pg_cache_find(pf_store *s, const char *key, const char *slot, json_t **entry_out, bool *exact);
pf_error *pf_pg_cache_find_many(pf_store *s, size_t n, const char *const *keys, const char *const *slots,
                                json_t **entries_out, bool *exact);

/* Catalog and order items (store_pg_items.c). */
pf_error *pf_pg_items_write(pf_store *s, const pf_store_item *items, size_t n);
pf_error *pf_pg_item_get(pf_store *s, const char *kind, const char *key, json_t **doc_out);
pf_error *pf_pg_item_list(pf_store *s, const char *kind, json_t **list_out);
/* refs (pf_store_ref) of a write of kind's key, inside its transaction on
 * c: deleting (after the row's delete, which holds its lock), an item
 * referring to key is PF_ECONFLICT; otherwise each referee is locked FOR
 * SHARE, and one missing is PF_ECONFLICT. */
pf_error *pf_pg_refs_check(pg_conn *c, const char *kind, const char *key, bool deleting, const pf_store_ref *refs,
                           size_t n);

/* Leases (store_pg_runs.c) and notices (store_pg_listen.c). */
pf_error *pf_pg_run_claim(pf_store *s, const char *owner, int lease_seconds, bool own_too, const json_t *running,
                          size_t max, json_t **ids_out);
pf_error *pf_pg_run_renew(pf_store *s, const char *owner, int lease_seconds, const json_t *runs, json_t **held_out);
pf_error *pf_pg_run_release(pf_store *s, const char *owner);
pf_error *pf_pg_run_lease(pf_store *s, const char *owner, int lease_seconds, const char *run_id, long long *epoch);
pf_error *pf_pg_run_fence_held(pf_store *s, const char *run_id, const pf_store_fence *fence, bool *held);
pf_error *pf_pg_run_request_cancel(pf_store *s, const char *run_id);
/* Side effects' claims (store_pg_effects.c). */
pf_error *pf_pg_effect_claim(pf_store *s, const char *run_id, const char *node_id, const char *key,
                             const pf_store_fence *fence, json_t **claim_out);
pf_error *pf_pg_effect_done(pf_store *s, const char *run_id, const char *node_id, const char *key,
                            const json_t *result);
pf_error *pf_pg_listen(pf_store *s, const char *owner, pf_store_notice_fn fn, pf_store_notice_fn on_cancel, void *user);
/* A cancel request's notice: this prefix, then the run id. */
#define PF_PG_CANCEL_PREFIX "cancel:"
void pf_pg_unlisten(pf_store *s);

/* Copying (store_pg_copy.c). */
pf_error *pf_pg_dump(pf_store *s, const pf_store_table *t, pf_store_row_fn fn, void *ctx);
pf_error *pf_pg_load(pf_store *s, const pf_store_table *t, json_t *const *rows, size_t n);

#endif
