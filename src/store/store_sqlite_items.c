/* Catalog and order items in SQLite: one table keyed by (kind, key). */
#include "store/store_sqlite.h"

#include "core/json_text.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const pf_store_item *items;
    size_t n;
} write_args;

static const char *const op_sql[] = {
    [PF_ITEM_CREATE] = "INSERT INTO items (kind, key, doc, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4) "
                       "ON CONFLICT DO NOTHING",
    [PF_ITEM_REPLACE] = "UPDATE items SET doc = ?3, updated_at = ?4, revision = revision + 1 "
                        "WHERE kind = ?1 AND key = ?2 AND (?5 = 0 OR revision = ?5)",
    [PF_ITEM_UPSERT] = "INSERT INTO items (kind, key, doc, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4) "
                       "ON CONFLICT (kind, key) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at, "
                       "revision = revision + 1",
    [PF_ITEM_DELETE] = "DELETE FROM items WHERE kind = ?1 AND key = ?2",
};

/* The referee a write names, on the writer inside its transaction: BEGIN
 * IMMEDIATE holds the database's write lock, so no delete commits between
 * this look and the write. */
static pf_error *referee_exists(sqlite_conn *w, const pf_store_ref *ref, bool *found) {
    static const char item_sql[] = "SELECT 1 FROM items WHERE kind = ?1 AND key = ?2",
                      workflow_sql[] = "SELECT 1 FROM workflows WHERE id = ?2 AND deleted_at IS NULL";
    bool workflow = strcmp(ref->kind, "workflow") == 0;
    sqlite3_stmt *q = pf_sqlite_cached(w, workflow ? workflow_sql : item_sql);
    if (!workflow) sqlite3_bind_text(q, 1, ref->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, ref->key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    *found = rc == SQLITE_ROW;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? NULL : pf_sqlite_db_error(w->db, "checking a referenced item");
}

/* The key of an item of ref->kind whose ref->field is key or an array
 * holding it (json_each walks an array's members, or gives a string as
 * its one row): *found, malloc'd, or NULL for none. */
static pf_error *referrer(sqlite_conn *w, const pf_store_ref *ref, const char *key, char **found) {
    static const char sql[] = "SELECT r.key FROM items r, json_each(r.doc, '$.' || ?3) j "
                              "WHERE r.kind = ?1 AND j.type = 'text' AND j.value = ?2 ORDER BY r.key LIMIT 1";
    sqlite3_stmt *q = pf_sqlite_cached(w, sql);
    sqlite3_bind_text(q, 1, ref->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, ref->field, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    *found = rc == SQLITE_ROW ? pf_strdup(pf_sqlite_text(q, 0)) : NULL;
    sqlite3_reset(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? NULL : pf_sqlite_db_error(w->db, "checking an item's referrers");
}

pf_error *pf_sqlite_refs_check(sqlite_conn *w, const char *kind, const char *key, bool deleting,
                               const pf_store_ref *refs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const pf_store_ref *ref = &refs[i];
        if (!deleting) {
            bool found = false;
            pf_error *failed = referee_exists(w, ref, &found);
            if (failed || found) {
                if (failed) return failed;
                continue;
            }
            char *at = pf_store_ref_pointer(ref);
            pf_error *err =
                pf_error_new(PF_ECONFLICT, at, "%s \"%s\" does not exist (any longer)", ref->kind, ref->key);
            free(at);
            return err;
        }
        char *user = NULL;
        pf_error *failed = referrer(w, ref, key, &user);
        if (failed) return failed;
        if (!user) continue;
        pf_error *err = pf_error_new(PF_ECONFLICT, "", "%s \"%s\" is in use by %s \"%s\"", kind, key, ref->kind, user);
        free(user);
        return err;
    }
    return NULL;
}

static pf_error *write_locked(sqlite_store *st, void *arg) {
    const write_args *a = arg;
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    for (size_t i = 0; i < a->n; i++) {
        const pf_store_item *it = &a->items[i];
        bool deleting = it->op == PF_ITEM_DELETE;
        pf_error *refused =
            deleting ? NULL : pf_sqlite_refs_check(&st->writer, it->kind, it->key, false, it->refs, it->n_refs);
        if (refused) return refused;
        sqlite3_stmt *q = pf_sqlite_cached(&st->writer, op_sql[it->op]);
        char *text = it->doc ? pf_store_doc_text(it->doc) : NULL;
        sqlite3_bind_text(q, 1, it->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, it->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, text, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, stamp, -1, SQLITE_STATIC);
        if (it->op == PF_ITEM_REPLACE) sqlite3_bind_int64(q, 5, it->if_revision);
        int rc = sqlite3_step(q);
        sqlite3_reset(q);
        free(text);
        if (rc != SQLITE_DONE) return pf_sqlite_db_error(st->writer.db, "writing a catalog item");
        if (sqlite3_changes(st->writer.db) == 0 && it->op == PF_ITEM_REPLACE && it->if_revision)
            return pf_error_new(PF_ECONFLICT, "", "%s \"%s\" changed meanwhile (it is no longer at revision %lld)",
                                it->kind, it->key, it->if_revision);
        if (sqlite3_changes(st->writer.db) == 0) {
            bool taken = it->op == PF_ITEM_CREATE;
            if (taken || it->op != PF_ITEM_UPSERT)
                return pf_error_new(taken ? PF_ECONFLICT : PF_ENOTFOUND, "", "%s \"%s\" %s", it->kind, it->key,
                                    taken ? "already exists" : "does not exist");
        }
        /* Deleted first and then looked for referrers, as PostgreSQL does. */
        if (deleting && (refused = pf_sqlite_refs_check(&st->writer, it->kind, it->key, true, it->refs, it->n_refs)))
            return refused;
    }
    return NULL;
}

pf_error *pf_sqlite_items_write(pf_store *s, const pf_store_item *items, size_t n) {
    write_args a = {items, n};
    return pf_sqlite_transaction(s, write_locked, &a, "writing catalog items");
}

static json_t *item_row(sqlite3_stmt *q) {
    json_t *doc = json_loads(pf_sqlite_text(q, 0), 0, NULL);
    if (!doc) doc = json_object();
    json_object_set_new(doc, "created_at", json_string(pf_sqlite_text(q, 1)));
    json_object_set_new(doc, "updated_at", json_string(pf_sqlite_text(q, 2)));
    json_object_set_new(doc, "revision", json_integer(sqlite3_column_int64(q, 3)));
    return doc;
}

pf_error *pf_sqlite_item_get(pf_store *s, const char *kind, const char *key, json_t **doc_out) {
    static const char sql[] = "SELECT doc, created_at, updated_at, revision FROM items WHERE kind = ?1 AND key = ?2";
    sqlite_conn *r = pf_sqlite_reader(pf_sqlite_impl(s));
    sqlite3_stmt *q = pf_sqlite_cached(r, sql);
    sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
    *doc_out = sqlite3_step(q) == SQLITE_ROW ? item_row(q) : NULL;
    sqlite3_reset(q);
    pf_sqlite_reader_release(r);
    return *doc_out ? NULL : pf_error_new(PF_ENOTFOUND, "", "%s \"%s\" does not exist", kind, key);
}

pf_error *pf_sqlite_item_list(pf_store *s, const char *kind, json_t **list_out) {
    static const char sql[] = "SELECT doc, created_at, updated_at, revision FROM items WHERE kind = ?1 ORDER BY key";
    sqlite_conn *r = pf_sqlite_reader(pf_sqlite_impl(s));
    sqlite3_stmt *q = pf_sqlite_cached(r, sql);
    sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
    json_t *list = json_array();
    while (sqlite3_step(q) == SQLITE_ROW)
        json_array_append_new(list, item_row(q));
    sqlite3_reset(q);
    pf_sqlite_reader_release(r);
    *list_out = list;
    return NULL;
}
