/* Catalog and order items in PostgreSQL: one table keyed by (kind, key),
 * with the SQLite backend's answers. */
#include "store/store_pg.h"

#include "core/json_text.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const pf_store_item *items;
    size_t n;
} write_args;

static const pg_query op_query[] = {
    [PF_ITEM_CREATE] = Q_ITEM_CREATE,
    [PF_ITEM_REPLACE] = Q_ITEM_REPLACE,
    [PF_ITEM_UPSERT] = Q_ITEM_UPSERT,
    [PF_ITEM_DELETE] = Q_ITEM_DELETE,
};

/* Why a write that changed no row failed, or NULL when that is fine. */
static pf_error *unchanged(const pf_store_item *it) {
    if (it->op == PF_ITEM_REPLACE && it->if_revision)
        return pf_error_new(PF_ECONFLICT, "", "%s \"%s\" changed meanwhile (it is no longer at revision %lld)",
                            it->kind, it->key, it->if_revision);
    if (it->op == PF_ITEM_UPSERT) return NULL;
    bool taken = it->op == PF_ITEM_CREATE;
    return pf_error_new(taken ? PF_ECONFLICT : PF_ENOTFOUND, "", "%s \"%s\" %s", it->kind, it->key,
                        taken ? "already exists" : "does not exist");
}

/* A field as a PostgreSQL path: "a.b" is '{a,b}'. */
static char *field_path(const char *field) {
    char *path = pf_asprintf("{%s}", field);
    for (char *p = path; *p; p++)
        if (*p == '.') *p = ',';
    return path;
}

pf_error *pf_pg_refs_check(pg_conn *c, const char *kind, const char *key, bool deleting, const pf_store_ref *refs,
                           size_t n) {
    pf_error *err = NULL;
    for (size_t i = 0; i < n && !err; i++) {
        const pf_store_ref *ref = &refs[i];
        PGresult *r = NULL;
        if (!deleting) {
            bool workflow = strcmp(ref->kind, "workflow") == 0;
            const char *item[] = {ref->kind, ref->key}, *wf[] = {ref->key};
            err = workflow ? pf_pg_exec(c, Q_WF_SHARE, 1, wf, &r, "checking a referenced item")
                           : pf_pg_exec(c, Q_ITEM_SHARE, 2, item, &r, "checking a referenced item");
            if (!err && PQntuples(r) == 0) {
                char *at = pf_store_ref_pointer(ref);
                err = pf_error_new(PF_ECONFLICT, at, "%s \"%s\" does not exist (any longer)", ref->kind, ref->key);
                free(at);
            }
        } else {
            char *path = field_path(ref->field);
            const char *values[] = {ref->kind, key, path};
            err = pf_pg_exec(c, Q_ITEM_REFERRER, 3, values, &r, "checking an item's referrers");
            free(path);
            if (!err && PQntuples(r))
                err = pf_error_new(PF_ECONFLICT, "", "%s \"%s\" is in use by %s \"%s\"", kind, key, ref->kind,
                                   pf_pg_text(r, 0, 0));
        }
        PQclear(r);
    }
    return err;
}

static pf_error *write_one(pg_conn *c, const pf_store_item *it) {
    bool deleting = it->op == PF_ITEM_DELETE;
    pf_error *refused = deleting ? NULL : pf_pg_refs_check(c, it->kind, it->key, false, it->refs, it->n_refs);
    if (refused) return refused;
    char *text = pf_store_doc_text(it->doc), revision[24];
    snprintf(revision, sizeof revision, "%lld", it->if_revision);
    const char *row[] = {it->kind, it->key, text, revision};
    int n = it->op == PF_ITEM_DELETE ? 2 : it->op == PF_ITEM_REPLACE ? 4 : 3;
    PGresult *r;
    pf_error *err = pf_pg_exec(c, op_query[it->op], n, row, &r, "writing a catalog item");
    free(text);
    if (!err && pf_pg_changes(r) == 0) err = unchanged(it);
    PQclear(r);
    /* The DELETE holds the row's lock now: a referrer's write that locked
     * it first has committed, and this statement's snapshot sees it. */
    if (!err && deleting) err = pf_pg_refs_check(c, it->kind, it->key, true, it->refs, it->n_refs);
    return err;
}

static pf_error *write_locked(pg_conn *c, void *arg) {
    const write_args *a = arg;
    pf_error *err = NULL;
    for (size_t i = 0; i < a->n && !err; i++)
        err = write_one(c, &a->items[i]);
    return err;
}

pf_error *pf_pg_items_write(pf_store *s, const pf_store_item *items, size_t n) {
    write_args a = {items, n};
    return pf_pg_transaction(s, write_locked, &a, "writing catalog items");
}

static json_t *item_row(const PGresult *r, int i) {
    json_t *doc = json_loads(pf_pg_text(r, i, 0), 0, NULL);
    if (!doc) doc = json_object();
    json_object_set_new(doc, "created_at", json_string(pf_pg_text(r, i, 1)));
    json_object_set_new(doc, "updated_at", json_string(pf_pg_text(r, i, 2)));
    json_object_set_new(doc, "revision", json_integer(pf_pg_int(r, i, 3)));
    return doc;
}

pf_error *pf_pg_item_get(pf_store *s, const char *kind, const char *key, json_t **doc_out) {
    *doc_out = NULL;
    const char *values[] = {kind, key};
    PGresult *r;
    pf_error *err = pf_pg_read(s, Q_ITEM_GET, 2, values, &r, "reading a catalog item");
    if (err) return err;
    if (PQntuples(r)) *doc_out = item_row(r, 0);
    PQclear(r);
    return *doc_out ? NULL : pf_error_new(PF_ENOTFOUND, "", "%s \"%s\" does not exist", kind, key);
}

pf_error *pf_pg_item_list(pf_store *s, const char *kind, json_t **list_out) {
    *list_out = NULL;
    const char *values[] = {kind};
    PGresult *r;
    pf_error *err = pf_pg_read(s, Q_ITEM_LIST, 1, values, &r, "listing catalog items");
    if (err) return err;
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(list, item_row(r, i));
    PQclear(r);
    *list_out = list;
    return NULL;
}
