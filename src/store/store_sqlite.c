/* The SQLite backend: WAL, versioned migrations, one connection behind our
 * own mutex (calls are short; threads take turns), so SQLite's is off. */
#include "store/store_sqlite.h"

#include "core/mem.h"
#include "core/sha256.h"

#include <pthread.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* SQLite counts the memory it holds by default, under one mutex for the
 * whole process that every allocation of every connection takes: the
 * writer and the workers' readers queued on it (in bench_runtime, 213,000
 * futex calls a run of 120,000 nodes against 79,000 without; the wall
 * time per node fell by about a tenth). Nothing here reads the counts.
 * The setting holds for the process and is made before SQLite's first use
 * (later it is refused, and the counting stays). */
static void sqlite_without_memstatus(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

static void sqlite_configure_once(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_without_memstatus);
}

sqlite_store *pf_sqlite_impl(pf_store *s) { return s->impl; }

pf_error *pf_sqlite_db_error(sqlite3 *db, const char *what) {
    return pf_error_new(PF_EIO, "", "database error while %s: %s", what, sqlite3_errmsg(db));
}

pf_error *pf_sqlite_exec(sqlite3 *db, const char *sql, const char *what) {
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return NULL;
    pf_error *err = pf_error_new(PF_EIO, "", "database error while %s: %s", what, msg ? msg : "?");
    sqlite3_free(msg);
    return err;
}

const char pf_sqlite_begin[] = "BEGIN", pf_sqlite_begin_immediate[] = "BEGIN IMMEDIATE", pf_sqlite_commit[] = "COMMIT",
           pf_sqlite_rollback[] = "ROLLBACK";

pf_error *pf_sqlite_transaction(pf_store *s, pf_error *(*fn)(sqlite_store *st, void *arg), void *arg,
                                const char *what) {
    sqlite_store *st = pf_sqlite_impl(s);
    pthread_mutex_lock(&st->writer.lock);
    pf_error *err = pf_sqlite_step_cached(&st->writer, pf_sqlite_begin_immediate, what);
    if (!err) {
        err = fn(st, arg);
        pf_error *end = pf_sqlite_step_cached(&st->writer, err ? pf_sqlite_rollback : pf_sqlite_commit, what);
        if (end && !err)
            err = end;
        else
            pf_error_free(end);
    }
    pthread_mutex_unlock(&st->writer.lock);
    return err;
}

static int query_int(sqlite3 *db, const char *sql, int fallback) {
    sqlite3_stmt *st;
    int v = fallback;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return fallback;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Applies the migrations after the database's version up to target, each
 * in its own transaction, and lists them in report (when not NULL); with
 * dry_run it only lists them. *version is the schema's version after. */
static pf_error *migrate_to(sqlite3 *db, int target, bool dry_run, json_t *report, int *version) {
    pf_error *err = dry_run ? NULL
                            : pf_sqlite_exec(db,
                                             "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
                                             "PRIMARY KEY, applied_at TEXT NOT NULL)",
                                             "creating schema_migrations");
    if (err) return err;
    *version = query_int(db, "SELECT MAX(version) FROM schema_migrations", 0);
    if (report) {
        json_object_set_new(report, "current_version", json_integer(*version));
        json_object_set_new(report, "target_version", json_integer(target));
        json_object_set_new(report, "statements", json_array());
    }
    if (*version > pf_sqlite_n_migrations)
        return pf_error_new(PF_ECONFLICT, "",
                            "the database is at schema version %d, newer than this Prodflow knows (%d); "
                            "upgrade Prodflow instead of downgrading the data",
                            *version, pf_sqlite_n_migrations);
    for (int v = *version + 1; v <= target; v++) {
        if (report)
            json_array_append_new(json_object_get(report, "statements"),
                                  json_pack("{s:i, s:s}", "version", v, "sql", pf_sqlite_migrations[v - 1]));
        if (dry_run) continue;
        char stamp[PF_ISO_LEN];
        pf_iso_now(stamp);
        char *record = pf_asprintf("INSERT INTO schema_migrations VALUES (%d, '%s')", v, stamp);
        if (!(err = pf_sqlite_exec(db, "BEGIN IMMEDIATE", "starting a migration")) &&
            !(err = pf_sqlite_exec(db, pf_sqlite_migrations[v - 1], "applying a migration")) &&
            !(err = pf_sqlite_exec(db, record, "recording a migration")))
            err = pf_sqlite_exec(db, "COMMIT", "committing a migration");
        free(record);
        if (err) {
            pf_sqlite_exec(db, "ROLLBACK", "rolling back");
            return err;
        }
        *version = v;
    }
    return NULL;
}

static pf_error *migrate(sqlite_store *st) {
    return migrate_to(st->writer.db, pf_sqlite_n_migrations, false, NULL, &st->version);
}

pf_error *pf_store_sqlite_migrate(const char *path, int target, bool dry_run, json_t **report) {
    sqlite_configure_once();
    *report = json_pack("{s:s, s:b}", "backend", "sqlite", "dry_run", dry_run);
    if (target < 0 || target > pf_sqlite_n_migrations)
        return pf_error_new(PF_EINVAL, "", "there is no schema version %d (this Prodflow knows 1 to %d)", target,
                            pf_sqlite_n_migrations);
    /* A dry run creates nothing: with no database yet, it reads an empty one. */
    struct stat info;
    bool absent = dry_run && stat(path, &info) != 0;
    sqlite3 *db = NULL;
    int flags = dry_run ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, version = 0;
    pf_error *err = NULL;
    if (sqlite3_open_v2(absent ? ":memory:" : path, &db, flags, NULL) != SQLITE_OK)
        err = pf_error_new(PF_EIO, "/store", "cannot open the database %s: %s", path, sqlite3_errmsg(db));
    sqlite3_busy_timeout(db, 10000);
    if (!err) err = migrate_to(db, target ? target : pf_sqlite_n_migrations, dry_run, *report, &version);
    sqlite3_close(db);
    return err;
}

void pf_sqlite_conn_close_db(sqlite_conn *c) {
    for (size_t i = 0; i < c->n_cached; i++)
        sqlite3_finalize(c->cached[i].stmt);
    free(c->cached);
    c->cached = NULL, c->n_cached = 0;
    sqlite3_close(c->db);
    c->db = NULL;
}

static void conn_close(sqlite_conn *c) {
    pf_sqlite_conn_close_db(c);
    pthread_mutex_destroy(&c->lock);
}

static void sqlite_close(pf_store *s) {
    sqlite_store *st = pf_sqlite_impl(s);
    for (int i = 0; i < PF_SQLITE_READERS; i++)
        conn_close(&st->readers[i]);
    conn_close(&st->writer);
    free(st);
    free(s);
}

static int sqlite_schema_version(pf_store *s) { return pf_sqlite_impl(s)->version; }

/* Takes the write lock and gives it back: a read-only database, a file
 * another process keeps locked or a lost file answer here. The wait for a
 * lock is short, so health answers promptly. */
static pf_error *sqlite_probe_write(pf_store *s) {
    sqlite_store *st = pf_sqlite_impl(s);
    pthread_mutex_lock(&st->writer.lock);
    sqlite3_busy_timeout(st->writer.db, 1000);
    pf_error *err = pf_sqlite_exec(st->writer.db, "BEGIN IMMEDIATE", "taking the write lock");
    if (!err) err = pf_sqlite_exec(st->writer.db, "ROLLBACK", "taking the write lock");
    sqlite3_busy_timeout(st->writer.db, 10000);
    pthread_mutex_unlock(&st->writer.lock);
    return err;
}

sqlite3_stmt *pf_sqlite_prepare(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    return st;
}

sqlite3_stmt *pf_sqlite_cached(sqlite_conn *c, const char *sql) {
    for (size_t i = 0; i < c->n_cached; i++)
        if (c->cached[i].sql == sql) {
            sqlite3_clear_bindings(c->cached[i].stmt);
            return c->cached[i].stmt;
        }
    sqlite3_stmt *stmt = NULL;
    sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    /* Not kept when it failed (a table gone from under the store): the
     * caller's step fails with SQLITE_MISUSE and says the database's error,
     * and the next call tries again. */
    if (!stmt) return NULL;
    c->cached = pf_xrealloc(c->cached, (c->n_cached + 1) * sizeof *c->cached);
    c->cached[c->n_cached++] = (struct pf_sqlite_cached_stmt){sql, stmt};
    return stmt;
}

pf_error *pf_sqlite_step_cached(sqlite_conn *c, const char *sql, const char *what) {
    sqlite3_stmt *q = pf_sqlite_cached(c, sql);
    int rc = q ? sqlite3_step(q) : SQLITE_ERROR;
    pf_error *err = rc == SQLITE_DONE || rc == SQLITE_ROW ? NULL : pf_sqlite_db_error(c->db, what);
    sqlite3_reset(q);
    return err;
}

/* Tries each reader without waiting, then waits for the first. */
sqlite_conn *pf_sqlite_reader(sqlite_store *st) {
    for (int i = 0; i < PF_SQLITE_READERS; i++)
        if (pthread_mutex_trylock(&st->readers[i].lock) == 0) return &st->readers[i];
    pthread_mutex_lock(&st->readers[0].lock);
    return &st->readers[0];
}

void pf_sqlite_reader_release(sqlite_conn *c) { pthread_mutex_unlock(&c->lock); }

const char *pf_sqlite_text(sqlite3_stmt *st, int i) {
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* Reads the latest version and deletion state; 0 when the id is unknown. */
static int latest_of(sqlite3 *db, const char *id, bool *deleted) {
    sqlite3_stmt *st =
        pf_sqlite_prepare(db, "SELECT latest_version, deleted_at IS NOT NULL FROM workflows WHERE id = ?");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int latest = 0;
    *deleted = false;
    if (sqlite3_step(st) == SQLITE_ROW) {
        latest = sqlite3_column_int(st, 0);
        *deleted = sqlite3_column_int(st, 1) != 0;
    }
    sqlite3_finalize(st);
    return latest;
}

static pf_error *save_locked(sqlite3 *db, const pf_store_save *a) {
    const json_t *doc = a->doc;
    const char *id = json_string_value(json_object_get(doc, "id"));
    const char *name = json_string_value(json_object_get(doc, "name"));
    const char *family = json_string_value(json_object_get(doc, "family"));
    if (!id || !name || !family) return pf_error_new(PF_EINVAL, "", "a workflow needs an id, a name and a family");
    bool deleted;
    int latest = latest_of(db, id, &deleted);
    pf_error *refused = pf_store_save_check(a, id, latest, deleted);
    if (refused) return refused;
    int version = latest + 1;
    json_t *stored = json_copy((json_t *)doc);
    json_object_set_new(stored, "version", json_integer(version));
    char *text = json_dumps(stored, JSON_COMPACT | JSON_SORT_KEYS);
    char digest[65], stamp[32];
    pf_sha256_hex(text, strlen(text), digest);
    pf_iso_now(stamp);
    sqlite3_stmt *up =
        pf_sqlite_prepare(db, latest ? "UPDATE workflows SET name=?2, family=?3, latest_version=?4, updated_at=?5, "
                                       "deleted_at=NULL WHERE id=?1"
                                     : "INSERT INTO workflows (id, name, family, latest_version, created_at, "
                                       "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
    sqlite3_bind_text(up, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(up, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(up, 3, family, -1, SQLITE_STATIC);
    sqlite3_bind_int(up, 4, version);
    sqlite3_bind_text(up, 5, stamp, -1, SQLITE_STATIC);
    int rc = sqlite3_step(up);
    sqlite3_finalize(up);
    if (rc == SQLITE_DONE) {
        sqlite3_stmt *ins = pf_sqlite_prepare(db, "INSERT INTO workflow_versions VALUES (?, ?, ?, ?, ?)");
        sqlite3_bind_text(ins, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int(ins, 2, version);
        sqlite3_bind_text(ins, 3, text, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, digest, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, stamp, -1, SQLITE_STATIC);
        rc = sqlite3_step(ins);
        sqlite3_finalize(ins);
    }
    free(text);
    if (rc != SQLITE_DONE) {
        json_decref(stored);
        return pf_sqlite_db_error(db, "saving a workflow");
    }
    if (a->stored_out)
        *a->stored_out = stored;
    else
        json_decref(stored);
    return NULL;
}

static pf_error *save_in_transaction(sqlite_store *st, void *arg) { return save_locked(st->writer.db, arg); }

static pf_error *sqlite_workflow_save(pf_store *s, const json_t *doc, int expected, bool create_only,
                                      json_t **stored_out) {
    pf_store_save a = {doc, expected, create_only, stored_out};
    return pf_sqlite_transaction(s, save_in_transaction, &a, "saving a workflow");
}

static pf_error *sqlite_workflow_get(pf_store *s, const char *id, int version, json_t **doc_out) {
    sqlite_store *st = pf_sqlite_impl(s);
    *doc_out = NULL;
    pthread_mutex_lock(&st->writer.lock);
    bool deleted;
    int latest = latest_of(st->writer.db, id, &deleted);
    pf_error *err = NULL;
    if (!latest || (version == 0 && deleted)) {
        err = pf_error_new(PF_ENOTFOUND, "", "workflow \"%s\" does not exist", id);
    } else {
        sqlite3_stmt *q =
            pf_sqlite_prepare(st->writer.db, "SELECT doc FROM workflow_versions WHERE workflow_id = ? AND version = ?");
        sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, version ? version : latest);
        if (sqlite3_step(q) == SQLITE_ROW)
            *doc_out = json_loads(pf_sqlite_text(q, 0), 0, NULL);
        else
            err = pf_error_new(PF_ENOTFOUND, "", "workflow \"%s\" has no version %d", id, version);
        sqlite3_finalize(q);
    }
    pthread_mutex_unlock(&st->writer.lock);
    return err;
}

static pf_error *sqlite_workflow_list(pf_store *s, const char *family, json_t **list_out) {
    sqlite_store *st = pf_sqlite_impl(s);
    pthread_mutex_lock(&st->writer.lock);
    sqlite3_stmt *q = pf_sqlite_prepare(
        st->writer.db, "SELECT id, name, family, latest_version, created_at, updated_at FROM workflows "
                       "WHERE deleted_at IS NULL AND (?1 IS NULL OR family = ?1) ORDER BY id");
    if (family) sqlite3_bind_text(q, 1, family, -1, SQLITE_STATIC);
    json_t *list = json_array();
    while (sqlite3_step(q) == SQLITE_ROW)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "id", pf_sqlite_text(q, 0), "name",
                                              pf_sqlite_text(q, 1), "family", pf_sqlite_text(q, 2), "latest_version",
                                              sqlite3_column_int(q, 3), "created_at", pf_sqlite_text(q, 4),
                                              "updated_at", pf_sqlite_text(q, 5)));
    sqlite3_finalize(q);
    pthread_mutex_unlock(&st->writer.lock);
    *list_out = list;
    return NULL;
}

static pf_error *sqlite_workflow_versions(pf_store *s, const char *id, json_t **list_out) {
    sqlite_store *st = pf_sqlite_impl(s);
    *list_out = NULL;
    pthread_mutex_lock(&st->writer.lock);
    sqlite3_stmt *q = pf_sqlite_prepare(st->writer.db, "SELECT version, created_at, sha256 FROM workflow_versions "
                                                       "WHERE workflow_id = ? ORDER BY version");
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    json_t *list = json_array();
    while (sqlite3_step(q) == SQLITE_ROW)
        json_array_append_new(list, json_pack("{s:i, s:s, s:s}", "version", sqlite3_column_int(q, 0), "created_at",
                                              pf_sqlite_text(q, 1), "sha256", pf_sqlite_text(q, 2)));
    sqlite3_finalize(q);
    pthread_mutex_unlock(&st->writer.lock);
    *list_out = list;
    return NULL;
}

/* Marked deleted, then its referrers looked for in the same transaction:
 * one of them rolls the delete back. */
static pf_error *delete_in_transaction(sqlite_store *st, void *arg) {
    const pf_store_delete *a = arg;
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    sqlite3_stmt *q =
        pf_sqlite_prepare(st->writer.db, "UPDATE workflows SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL");
    sqlite3_bind_text(q, 1, stamp, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, a->id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) return pf_sqlite_db_error(st->writer.db, "deleting a workflow");
    if (sqlite3_changes(st->writer.db) == 0)
        return pf_error_new(PF_ENOTFOUND, "", "workflow \"%s\" does not exist", a->id);
    return pf_sqlite_refs_check(&st->writer, "workflow", a->id, true, a->refs, a->n_refs);
}

static pf_error *sqlite_workflow_delete(pf_store *s, const char *id, const pf_store_ref *refs, size_t n_refs) {
    pf_store_delete a = {id, refs, n_refs};
    return pf_sqlite_transaction(s, delete_in_transaction, &a, "deleting a workflow");
}

static const pf_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .probe_write = sqlite_probe_write,
    .schema_version = sqlite_schema_version,
    .workflow_save = sqlite_workflow_save,
    .workflow_get = sqlite_workflow_get,
    .workflow_list = sqlite_workflow_list,
    .workflow_versions = sqlite_workflow_versions,
    .workflow_delete = sqlite_workflow_delete,
    .run_create = pf_sqlite_run_create,
    .run_transitions = pf_sqlite_run_transitions,
    .run_fence_held = pf_sqlite_run_fence_held,
    .effect_claim = pf_sqlite_effect_claim,
    .effect_done = pf_sqlite_effect_done,
    .run_get = pf_sqlite_run_get,
    .run_list = pf_sqlite_run_list,
    .asset_list = pf_sqlite_asset_list,
    .artifact_get = pf_sqlite_artifact_get,
    .cache_find = pf_sqlite_cache_find,
    .cache_find_many = pf_sqlite_cache_find_many,
    .items_write = pf_sqlite_items_write,
    .item_get = pf_sqlite_item_get,
    .item_list = pf_sqlite_item_list,
    .dump = pf_sqlite_dump,
    .load = pf_sqlite_load,
};

pf_error *pf_store_sqlite_open(const char *path, pf_store **out) {
    sqlite_configure_once();
    sqlite_store *st = pf_xcalloc(1, sizeof *st);
    if (sqlite3_open_v2(path, &st->writer.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        pf_error *err =
            pf_error_new(PF_EIO, "/store", "cannot open the database %s: %s", path, sqlite3_errmsg(st->writer.db));
        sqlite3_close(st->writer.db);
        free(st);
        return err;
    }
    sqlite3_busy_timeout(st->writer.db, 10000);
    /* Checkpoints every 8000 WAL pages (32 MB), not SQLite's 1000: a run
     * rewrites the same pages in many small commits, and a checkpoint sits
     * on the writer's path. */
    pf_error *err = pf_sqlite_exec(st->writer.db,
                                   "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; "
                                   "PRAGMA wal_autocheckpoint=8000",
                                   "configuring the database");
    if (!err) err = migrate(st);
    for (int i = 0; i < PF_SQLITE_READERS && !err; i++) {
        sqlite_conn *r = &st->readers[i];
        if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
            err = pf_error_new(PF_EIO, "/store", "cannot open the database %s for reading: %s", path,
                               sqlite3_errmsg(r->db));
        sqlite3_busy_timeout(r->db, 10000);
    }
    if (err) {
        for (int i = 0; i < PF_SQLITE_READERS; i++)
            pf_sqlite_conn_close_db(&st->readers[i]);
        pf_sqlite_conn_close_db(&st->writer);
        free(st);
        return err;
    }
    pthread_mutex_init(&st->writer.lock, NULL);
    for (int i = 0; i < PF_SQLITE_READERS; i++)
        pthread_mutex_init(&st->readers[i].lock, NULL);
    pf_store *s = pf_xcalloc(1, sizeof *s);
    s->ops = &sqlite_ops;
    s->impl = st;
    *out = s;
    return NULL;
}
