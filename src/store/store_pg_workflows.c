/* Versioned workflow definitions in PostgreSQL, as store_sqlite.c keeps
 * them: the same checks, in the same order, with the same messages. */
#include "store/store_pg.h"

#include "core/mem.h"
#include "core/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The latest version and deletion state, with the row locked until the
 * transaction ends; 0 when the id is unknown. */
static pf_error *lock_latest(pg_conn *c, const char *id, int *latest, bool *deleted) {
    const char *values[] = {id};
    PGresult *r;
    pf_error *err = pf_pg_exec(c, Q_WF_LOCK, 1, values, &r, "saving a workflow");
    if (err) return err;
    *latest = PQntuples(r) ? (int)pf_pg_int(r, 0, 0) : 0;
    *deleted = PQntuples(r) && pf_pg_text(r, 0, 1)[0] == 't';
    PQclear(r);
    return NULL;
}

/* Writes the workflow row and version `version` of it, whose text is the
 * doc with sorted keys (its digest is over that text, as in SQLite). */
static pf_error *write_version(pg_conn *c, const char *const row[3], int version, bool exists, const char *text) {
    char number[16], digest[65];
    snprintf(number, sizeof number, "%d", version);
    pf_sha256_hex(text, strlen(text), digest);
    const char *wf[] = {row[0], row[1], row[2], number};
    PGresult *r;
    pf_error *err = pf_pg_exec(c, exists ? Q_WF_UPDATE : Q_WF_INSERT, 4, wf, &r, "saving a workflow");
    /* A create that another server committed first (the row did not exist
     * to be locked) finds the key taken. */
    if (!err && pf_pg_changes(r) == 0)
        err = pf_error_new(PF_ECONFLICT, "/id", "workflow \"%s\" already exists", row[0]);
    PQclear(r);
    const char *ver[] = {row[0], number, text, digest};
    if (!err) err = pf_pg_exec(c, Q_WF_VERSION_INSERT, 4, ver, NULL, "saving a workflow");
    return err;
}

static pf_error *save_locked(pg_conn *c, void *arg) {
    const pf_store_save *a = arg;
    const char *row[3] = {json_string_value(json_object_get(a->doc, "id")),
                          json_string_value(json_object_get(a->doc, "name")),
                          json_string_value(json_object_get(a->doc, "family"))};
    if (!row[0] || !row[1] || !row[2])
        return pf_error_new(PF_EINVAL, "", "a workflow needs an id, a name and a family");
    int latest;
    bool deleted;
    pf_error *err = lock_latest(c, row[0], &latest, &deleted);
    if (!err) err = pf_store_save_check(a, row[0], latest, deleted);
    if (err) return err;
    json_t *stored = json_copy((json_t *)a->doc);
    json_object_set_new(stored, "version", json_integer(latest + 1));
    char *text = json_dumps(stored, JSON_COMPACT | JSON_SORT_KEYS);
    err = write_version(c, row, latest + 1, latest != 0, text);
    free(text);
    if (!err && a->stored_out)
        *a->stored_out = stored;
    else
        json_decref(stored);
    return err;
}

pf_error *pf_pg_workflow_save(pf_store *s, const json_t *doc, int expected, bool create_only, json_t **stored_out) {
    pf_store_save a = {doc, expected, create_only, stored_out};
    return pf_pg_transaction(s, save_locked, &a, "saving a workflow");
}

pf_error *pf_pg_workflow_get(pf_store *s, const char *id, int version, json_t **doc_out) {
    *doc_out = NULL;
    char number[16];
    snprintf(number, sizeof number, "%d", version);
    const char *values[] = {id, number};
    PGresult *r;
    pf_error *err = pf_pg_read(s, Q_WF_GET, 2, values, &r, "reading a workflow");
    if (err) return err;
    bool deleted = PQntuples(r) && pf_pg_text(r, 0, 1)[0] == 't';
    if (!PQntuples(r) || (version == 0 && deleted))
        err = pf_error_new(PF_ENOTFOUND, "", "workflow \"%s\" does not exist", id);
    else if (PQgetisnull(r, 0, 2))
        err = pf_error_new(PF_ENOTFOUND, "", "workflow \"%s\" has no version %d", id, version);
    else
        *doc_out = pf_pg_json(r, 0, 2);
    PQclear(r);
    return err;
}

pf_error *pf_pg_workflow_list(pf_store *s, const char *family, json_t **list_out) {
    *list_out = NULL;
    const char *values[] = {family};
    PGresult *r;
    pf_error *err =
        pf_pg_read(s, family ? Q_WF_LIST_FAMILY : Q_WF_LIST, family ? 1 : 0, values, &r, "listing workflows");
    if (err) return err;
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "id", pf_pg_text(r, i, 0), "name",
                                              pf_pg_text(r, i, 1), "family", pf_pg_text(r, i, 2), "latest_version",
                                              (json_int_t)pf_pg_int(r, i, 3), "created_at", pf_pg_text(r, i, 4),
                                              "updated_at", pf_pg_text(r, i, 5)));
    PQclear(r);
    *list_out = list;
    return NULL;
}

pf_error *pf_pg_workflow_versions(pf_store *s, const char *id, json_t **list_out) {
    *list_out = NULL;
    const char *values[] = {id};
    PGresult *r;
    pf_error *err = pf_pg_read(s, Q_WF_VERSIONS, 1, values, &r, "listing workflow versions");
    if (err) return err;
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(list, json_pack("{s:I, s:s, s:s}", "version", (json_int_t)pf_pg_int(r, i, 0),
                                              "created_at", pf_pg_text(r, i, 1), "sha256", pf_pg_text(r, i, 2)));
    PQclear(r);
    *list_out = list;
    return NULL;
}

/* The soft delete takes the row's lock first; then its referrers are
 * looked for, in a statement that sees those committed meanwhile. */
static pf_error *delete_locked(pg_conn *c, void *arg) {
    const pf_store_delete *a = arg;
    const char *values[] = {a->id};
    PGresult *r;
    pf_error *err = pf_pg_exec(c, Q_WF_DELETE, 1, values, &r, "deleting a workflow");
    if (!err && pf_pg_changes(r) == 0) err = pf_error_new(PF_ENOTFOUND, "", "workflow \"%s\" does not exist", a->id);
    PQclear(r);
    if (!err) err = pf_pg_refs_check(c, "workflow", a->id, true, a->refs, a->n_refs);
    return err;
}

pf_error *pf_pg_workflow_delete(pf_store *s, const char *id, const pf_store_ref *refs, size_t n_refs) {
    pf_store_delete a = {id, refs, n_refs};
    return pf_pg_transaction(s, delete_locked, &a, "deleting a workflow");
}
