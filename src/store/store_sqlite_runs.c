/* Runs, their nodes, artifact metadata and the module cache in SQLite. Each
 * public call is one transaction under the connection's lock. */
#include "store/store_sqlite.h"

#include "core/json.h"
#include "core/json_text.h"
#include "core/mem.h"

#include <string.h>

/* Binds a JSON value as compact text; the statement must be stepped before
 * the returned text is freed. */
static char *bind_json(sqlite3_stmt *q, int i, const json_t *v) {
    char *text = v ? pf_json_text(v, false) : NULL;
    if (text)
        sqlite3_bind_text(q, i, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, i);
    return text;
}

/* bind_json, unless the caller already has the text. */
static char *bind_doc(sqlite3_stmt *q, int i, const json_t *v, const char *text) {
    if (!text) return bind_json(q, i, v);
    sqlite3_bind_text(q, i, text, -1, SQLITE_STATIC);
    return NULL;
}

static json_t *column_json(sqlite3_stmt *q, int i) {
    const char *t = pf_sqlite_text(q, i);
    json_t *v = *t ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;
    return v ? v : json_null();
}

static pf_error *step_done(sqlite3 *db, sqlite3_stmt *q, const char *what) {
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? NULL : pf_sqlite_db_error(db, what);
}

/* step_done for a cached statement. */
static pf_error *step_reset(sqlite3 *db, sqlite3_stmt *q, const char *what) {
    int rc = sqlite3_step(q);
    pf_error *err = rc == SQLITE_DONE ? NULL : pf_sqlite_db_error(db, what);
    sqlite3_reset(q);
    return err;
}

static const char put_node_sql[] = "INSERT INTO run_nodes (run_id, node_id, status, state) VALUES (?, ?, ?, ?) "
                                   "ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status, "
                                   "state = excluded.state";

static pf_error *put_node(sqlite_store *st, const char *run_id, const char *node_id, const char *status,
                          const json_t *state, const char *state_text) {
    sqlite3 *db = st->writer.db;
    sqlite3_stmt *q = pf_sqlite_cached(&st->writer, put_node_sql);
    sqlite3_bind_text(q, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, node_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, status, -1, SQLITE_STATIC);
    char *text = bind_doc(q, 4, state, state_text);
    pf_error *err = step_reset(db, q, "recording a run node");
    free(text);
    return err;
}

static pf_error *create_locked(sqlite_store *st, void *arg) {
    sqlite3 *db = st->writer.db;
    const json_t *run = arg;
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    sqlite3_stmt *q = pf_sqlite_prepare(db, "INSERT INTO runs (id, workflow_id, workflow_version, family, status, "
                                            "subject, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    sqlite3_bind_text(q, 1, pf_json_str(run, "id"), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, pf_json_str(run, "workflow_id"), -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, json_integer_value(json_object_get(run, "workflow_version")));
    sqlite3_bind_text(q, 4, pf_json_str(run, "family"), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, pf_json_str(run, "status"), -1, SQLITE_STATIC);
    char *subject = bind_json(q, 6, json_object_get(run, "subject"));
    sqlite3_bind_text(q, 7, stamp, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 8, stamp, -1, SQLITE_STATIC);
    pf_error *err = step_done(db, q, "creating a run");
    free(subject);
    if (err && sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_UNIQUE) {
        /* The index on live runs of an order line (migration 4). */
        const char *line = pf_json_str(json_object_get(run, "subject"), "order_line");
        pf_error_free(err);
        err = pf_error_new(PF_ECONFLICT, "", "order line %s already has a run in production or delivered",
                           line ? line : "?");
    }
    if (!err) {
        q = pf_sqlite_prepare(db, "INSERT INTO run_docs (run_id, doc) VALUES (?, ?)");
        sqlite3_bind_text(q, 1, pf_json_str(run, "id"), -1, SQLITE_STATIC);
        /* "doc_text", when given, is the doc as compact text already (the
         * runtime writes it while it still waits for validation). */
        const json_t *text = json_object_get(run, "doc_text");
        char *doc = bind_doc(q, 2, json_object_get(run, "doc"), json_string_value(text));
        err = step_done(db, q, "creating a run");
        free(doc);
    }
    return err;
}

pf_error *pf_sqlite_run_create(pf_store *s, const json_t *run) {
    return pf_sqlite_transaction(s, create_locked, (void *)run, "creating a run");
}

typedef pf_store_transition transition_args;

static pf_error *artifact_locked(sqlite_store *st, void *arg);
static pf_error *asset_row(sqlite_store *st, const json_t *asset);
static pf_error *cache_row(sqlite_store *st, const pf_store_node_extras *extras);

pf_error *pf_sqlite_fence_held(sqlite_conn *c, const char *run_id, const pf_store_fence *fence, bool *held) {
    sqlite3_stmt *q = pf_sqlite_cached(c, "SELECT 1 FROM runs WHERE id = ? AND lease_owner = ? AND lease_epoch = ?");
    sqlite3_bind_text(q, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, fence->owner, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, fence->epoch);
    int rc = sqlite3_step(q);
    *held = rc == SQLITE_ROW;
    pf_error *err = rc == SQLITE_ROW || rc == SQLITE_DONE ? NULL : pf_sqlite_db_error(c->db, "checking a run's lease");
    sqlite3_reset(q);
    return err;
}

pf_error *pf_sqlite_fence_check(sqlite_conn *c, const char *run_id, const pf_store_fence *fence) {
    bool held = false;
    pf_error *err = pf_sqlite_fence_held(c, run_id, fence, &held);
    if (!err && !held)
        err = pf_error_new(PF_ECONFLICT, "", "run %s is no longer leased to %s at epoch %lld", run_id, fence->owner,
                           fence->epoch);
    return err;
}

static pf_error *transition_locked(sqlite_store *st, void *arg) {
    sqlite3 *db = st->writer.db;
    const transition_args *a = arg;
    pf_error *err = NULL;
    /* SQLite serves one server, which leases nothing, but a fence is checked alike */
    if (a->fence) err = pf_sqlite_fence_check(&st->writer, a->run_id, a->fence);
    if (!err && a->run_status) {
        char stamp[PF_ISO_LEN];
        pf_iso_now(stamp);
        sqlite3_stmt *q = pf_sqlite_prepare(db, "UPDATE runs SET status = ?2, updated_at = ?3 WHERE id = ?1");
        sqlite3_bind_text(q, 1, a->run_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, a->run_status, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, stamp, -1, SQLITE_STATIC);
        err = step_done(db, q, "updating a run");
        if (!err && sqlite3_changes(db) == 0)
            err = pf_error_new(PF_ENOTFOUND, "", "run \"%s\" does not exist", a->run_id);
    }
    if (!err && a->run_doc) {
        sqlite3_stmt *q = pf_sqlite_prepare(db, "UPDATE run_docs SET doc = ?2 WHERE run_id = ?1");
        sqlite3_bind_text(q, 1, a->run_id, -1, SQLITE_STATIC);
        char *doc = bind_json(q, 2, a->run_doc);
        err = step_done(db, q, "updating a run");
        free(doc);
    }
    if (!err && a->node_id)
        err = put_node(st, a->run_id, a->node_id, a->node_status, a->node_state, a->node_state_text);
    size_t i;
    const json_t *artifact;
    if (a->extras) json_array_foreach(a->extras->artifacts, i, artifact) {
            if (!err) err = artifact_locked(st, (void *)artifact);
        }
    if (a->extras) json_array_foreach(a->extras->assets, i, artifact) {
            if (!err) err = asset_row(st, artifact);
        }
    if (!err && a->extras && a->extras->cache_key) err = cache_row(st, a->extras);
    return err;
}

typedef struct {
    const pf_store_transition *items;
    size_t n;
} batch_args;

static pf_error *batch_locked(sqlite_store *st, void *arg) {
    const batch_args *b = arg;
    pf_error *err = NULL;
    for (size_t i = 0; i < b->n && !err; i++)
        err = transition_locked(st, (void *)&b->items[i]);
    return err;
}

pf_error *pf_sqlite_run_transitions(pf_store *s, const pf_store_transition *items, size_t n) {
    batch_args b = {items, n};
    return pf_sqlite_transaction(s, batch_locked, &b, "recording run transitions");
}

/* Columns as RUN_COLUMNS lists them; the doc column is NULL in lists. */
static json_t *run_row(sqlite3_stmt *q, bool with_doc) {
    json_t *run = json_pack("{s:s, s:s, s:I, s:s, s:s, s:o, s:s, s:s}", "id", pf_sqlite_text(q, 0), "workflow_id",
                            pf_sqlite_text(q, 1), "workflow_version", (json_int_t)sqlite3_column_int64(q, 2), "family",
                            pf_sqlite_text(q, 3), "status", pf_sqlite_text(q, 4), "subject", column_json(q, 5),
                            "created_at", pf_sqlite_text(q, 7), "updated_at", pf_sqlite_text(q, 8));
    if (with_doc) json_object_set_new(run, "doc", column_json(q, 6));
    return run;
}

#define RUN_COLUMNS "id, workflow_id, workflow_version, family, status, subject, NULL, created_at, updated_at"

pf_error *pf_sqlite_run_get(pf_store *s, const char *run_id, bool with_nodes, json_t **run_out) {
    sqlite_store *st = pf_sqlite_impl(s);
    *run_out = NULL;
    pthread_mutex_lock(&st->writer.lock);
    sqlite3_stmt *q =
        pf_sqlite_prepare(st->writer.db, with_nodes ? "SELECT id, workflow_id, workflow_version, family, status, "
                                                      "subject, (SELECT doc FROM run_docs WHERE run_id = "
                                                      "runs.id), created_at, updated_at FROM runs WHERE id = ?"
                                                    : "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?");
    sqlite3_bind_text(q, 1, run_id, -1, SQLITE_STATIC);
    json_t *run = sqlite3_step(q) == SQLITE_ROW ? run_row(q, with_nodes) : NULL;
    sqlite3_finalize(q);
    if (run && with_nodes) {
        json_t *nodes = json_object();
        q = pf_sqlite_prepare(st->writer.db,
                              "SELECT node_id, status, state FROM run_nodes WHERE run_id = ? ORDER BY node_id");
        sqlite3_bind_text(q, 1, run_id, -1, SQLITE_STATIC);
        while (sqlite3_step(q) == SQLITE_ROW)
            json_object_set_new(nodes, pf_sqlite_text(q, 0),
                                json_pack("{s:s, s:o}", "status", pf_sqlite_text(q, 1), "state", column_json(q, 2)));
        sqlite3_finalize(q);
        /* A node without a row has not moved yet: it is pending. */
        size_t i;
        const json_t *node;
        json_array_foreach(json_object_get(json_object_get(json_object_get(run, "doc"), "workflow"), "nodes"), i,
                           node) {
            const char *id = pf_json_str(node, "id");
            if (id && !json_object_get(nodes, id))
                json_object_set_new(nodes, id, json_pack("{s:s, s:{}}", "status", "pending", "state"));
        }
        json_object_set_new(run, "nodes", nodes);
    }
    pthread_mutex_unlock(&st->writer.lock);
    if (!run) return pf_error_new(PF_ENOTFOUND, "", "run \"%s\" does not exist", run_id);
    *run_out = run;
    return NULL;
}

pf_error *pf_sqlite_run_list(pf_store *s, const char *status, json_t **list_out) {
    sqlite_store *st = pf_sqlite_impl(s);
    pthread_mutex_lock(&st->writer.lock);
    sqlite3_stmt *q =
        pf_sqlite_prepare(st->writer.db, "SELECT " RUN_COLUMNS " FROM runs WHERE ?1 IS NULL OR status = ?1 "
                                         "ORDER BY created_at DESC, id DESC");
    if (status) sqlite3_bind_text(q, 1, status, -1, SQLITE_STATIC);
    json_t *list = json_array();
    while (sqlite3_step(q) == SQLITE_ROW)
        json_array_append_new(list, run_row(q, false));
    sqlite3_finalize(q);
    pthread_mutex_unlock(&st->writer.lock);
    *list_out = list;
    return NULL;
}

static pf_error *artifact_locked(sqlite_store *st, void *arg) {
    sqlite3 *db = st->writer.db;
    const json_t *a = arg;
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    /* The id is derived from (run, node, port): writing it again is a no-op. */
    static const char sql[] = "INSERT INTO artifacts (id, sha256, run_id, node_id, role, media_type, size, doc, "
                              "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING";
    sqlite3_stmt *q = pf_sqlite_cached(&st->writer, sql);
    sqlite3_bind_text(q, 1, pf_json_str(a, "id"), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, pf_json_str(a, "sha256"), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, pf_json_str(a, "run_id"), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, pf_json_str(a, "node_id"), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, pf_json_str(a, "role"), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, pf_json_str(a, "media_type"), -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 7, json_integer_value(json_object_get(a, "size")));
    char *doc = bind_json(q, 8, a);
    sqlite3_bind_text(q, 9, stamp, -1, SQLITE_STATIC);
    pf_error *err = step_reset(db, q, "recording an artifact");
    free(doc);
    return err;
}

/* One JSON column from a single-row query with one text parameter. */
static pf_error *get_doc(pf_store *s, const char *sql, const char *param, const char *what, json_t **out) {
    sqlite_store *st = pf_sqlite_impl(s);
    *out = NULL;
    sqlite_conn *r = pf_sqlite_reader(st);
    sqlite3_stmt *q = pf_sqlite_cached(r, sql);
    sqlite3_bind_text(q, 1, param, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) *out = column_json(q, 0);
    sqlite3_reset(q);
    pf_sqlite_reader_release(r);
    return *out ? NULL : pf_error_new(PF_ENOTFOUND, "", "%s \"%s\" does not exist", what, param);
}

pf_error *pf_sqlite_artifact_get(pf_store *s, const char *id, json_t **artifact_out) {
    static const char sql[] = "SELECT doc FROM artifacts WHERE id = ?";
    return get_doc(s, sql, id, "artifact", artifact_out);
}

static pf_error *cache_row(sqlite_store *st, const pf_store_node_extras *x) {
    sqlite3 *db = st->writer.db;
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    static const char sql[] = "INSERT INTO module_cache (key, slot, doc, created_at) VALUES (?, ?, ?, ?) "
                              "ON CONFLICT (key) DO UPDATE SET slot = excluded.slot, doc = excluded.doc, "
                              "created_at = excluded.created_at";
    sqlite3_stmt *q = pf_sqlite_cached(&st->writer, sql);
    sqlite3_bind_text(q, 1, x->cache_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, x->cache_slot, -1, SQLITE_STATIC);
    char *doc = bind_doc(q, 3, x->cache_entry, x->cache_entry_text);
    sqlite3_bind_text(q, 4, stamp, -1, SQLITE_STATIC);
    pf_error *err = step_reset(db, q, "recording a cache entry");
    free(doc);
    return err;
}

static pf_error *asset_row(sqlite_store *st, const json_t *asset) {
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    /* A node that runs again after a crash publishes the same asset: the
     * first row stands. */
    static const char sql[] = "INSERT INTO assets (id, run_id, node_id, doc, created_at) VALUES (?, ?, ?, ?, ?) "
                              "ON CONFLICT DO NOTHING";
    sqlite3_stmt *q = pf_sqlite_cached(&st->writer, sql);
    sqlite3_bind_text(q, 1, pf_json_str(asset, "id"), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, pf_json_str(asset, "run_id"), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, pf_json_str(asset, "node_id"), -1, SQLITE_STATIC);
    char *doc = bind_json(q, 4, asset);
    sqlite3_bind_text(q, 5, stamp, -1, SQLITE_STATIC);
    pf_error *err = step_reset(st->writer.db, q, "recording an asset");
    free(doc);
    return err;
}

pf_error *pf_sqlite_asset_list(pf_store *s, const char *run_id, json_t **list_out) {
    sqlite_store *st = pf_sqlite_impl(s);
    sqlite_conn *r = pf_sqlite_reader(st);
    sqlite3_stmt *q = pf_sqlite_prepare(r->db, "SELECT doc, created_at FROM assets WHERE ?1 IS NULL OR run_id = ?1 "
                                               "ORDER BY created_at DESC, id");
    if (run_id) sqlite3_bind_text(q, 1, run_id, -1, SQLITE_STATIC);
    json_t *list = json_array();
    while (sqlite3_step(q) == SQLITE_ROW) {
        json_t *asset = column_json(q, 0);
        json_object_set_new(asset, "created_at", json_string(pf_sqlite_text(q, 1)));
        json_array_append_new(list, asset);
    }
    sqlite3_finalize(q);
    pf_sqlite_reader_release(r);
    *list_out = list;
    return NULL;
}

/* One look-up for a hit or, failing that, what explains the miss. */
static const char cache_find_sql[] = "SELECT key, doc FROM module_cache WHERE key = ?1 UNION ALL "
                                     "SELECT * FROM (SELECT key, doc FROM module_cache WHERE slot = ?2 "
                                     "ORDER BY created_at DESC, rowid DESC LIMIT 1) LIMIT 1";

static void cache_find_on(sqlite_conn *r, const char *key, const char *slot, json_t **entry_out, bool *exact) {
    sqlite3_stmt *q = pf_sqlite_cached(r, cache_find_sql);
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, slot, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) {
        *exact = strcmp(pf_sqlite_text(q, 0), key) == 0;
        *entry_out = column_json(q, 1);
    }
    sqlite3_reset(q);
}

pf_error *pf_sqlite_cache_find(pf_store *s, const char *key, const char *slot, json_t **entry_out, bool *exact) {
    sqlite_store *st = pf_sqlite_impl(s);
    *entry_out = NULL;
    *exact = false;
    sqlite_conn *r = pf_sqlite_reader(st);
    cache_find_on(r, key, slot, entry_out, exact);
    pf_sqlite_reader_release(r);
    return NULL;
}

/* The look-ups in one read transaction: each statement on its own would
 * start one, which takes the WAL's read lock (a system call) and, when the
 * writer committed meanwhile (as it does all the time while a run goes
 * on), drops the connection's page cache and reads the pages again. */
pf_error *pf_sqlite_cache_find_many(pf_store *s, size_t n, const char *const *keys, const char *const *slots,
                                    json_t **entries_out, bool *exact) {
    sqlite_store *st = pf_sqlite_impl(s);
    sqlite_conn *r = pf_sqlite_reader(st);
    pf_error *begun = n > 1 ? pf_sqlite_step_cached(r, pf_sqlite_begin, "reading the cache") : NULL;
    bool in_txn = n > 1 && !begun;
    pf_error_free(begun);
    for (size_t i = 0; i < n; i++)
        cache_find_on(r, keys[i], slots[i], &entries_out[i], &exact[i]);
    if (in_txn) pf_error_free(pf_sqlite_step_cached(r, pf_sqlite_commit, "reading the cache"));
    pf_sqlite_reader_release(r);
    return NULL;
}

pf_error *pf_sqlite_run_fence_held(pf_store *s, const char *run_id, const pf_store_fence *fence, bool *held) {
    sqlite_conn *r = pf_sqlite_reader(pf_sqlite_impl(s));
    pf_error *err = pf_sqlite_fence_held(r, run_id, fence, held);
    pf_sqlite_reader_release(r);
    return err;
}
