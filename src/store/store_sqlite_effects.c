/* Side effects' claims in SQLite (store.h, pf_store_effect_claim): the
 * fence check, the claim and the read of the row in one transaction under
 * the writer's lock. Claims are rare (one per publish or notify), so their
 * statements are prepared each time rather than kept. */
#include "store/store_sqlite.h"

#include "core/json_text.h"
#include "core/mem.h"

#include <string.h>

typedef struct {
    const char *run_id, *node_id, *key;
    const pf_store_fence *fence;
    const json_t *result;
    json_t *claim;
} effect_args;

static const char claim_sql[] =
    "INSERT INTO effects (run_id, node_id, effect_key, owner, epoch, claims, claimed_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6) ON CONFLICT (run_id, node_id, effect_key) DO UPDATE SET "
    "owner = excluded.owner, epoch = excluded.epoch, claims = claims + 1, claimed_at = excluded.claimed_at "
    "WHERE done_at IS NULL";

static void bind_key(sqlite3_stmt *q, const effect_args *a) {
    sqlite3_bind_text(q, 1, a->run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, a->node_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, a->key, -1, SQLITE_STATIC);
}

/* The effect's row as pf_store_effect_claim describes it. */
static json_t *claim_row(sqlite3_stmt *q) {
    json_t *claim = json_pack("{s:s?, s:I, s:I, s:s}", "owner",
                              sqlite3_column_type(q, 0) == SQLITE_NULL ? NULL : pf_sqlite_text(q, 0), "epoch",
                              (json_int_t)sqlite3_column_int64(q, 1), "claims", (json_int_t)sqlite3_column_int64(q, 2),
                              "claimed_at", pf_sqlite_text(q, 3));
    if (sqlite3_column_type(q, 4) != SQLITE_NULL) {
        json_t *result = json_loads(pf_sqlite_text(q, 5), JSON_DECODE_ANY, NULL);
        json_object_set_new(claim, "done_at", json_string(pf_sqlite_text(q, 4)));
        json_object_set_new(claim, "result", result ? result : json_null());
    }
    return claim;
}

static pf_error *claim_locked(sqlite_store *st, void *arg) {
    effect_args *a = arg;
    sqlite_conn *w = &st->writer;
    pf_error *err = a->fence ? pf_sqlite_fence_check(w, a->run_id, a->fence) : NULL;
    if (err) return err;
    sqlite3_stmt *q = pf_sqlite_prepare(w->db, "SELECT 1 FROM runs WHERE id = ?");
    sqlite3_bind_text(q, 1, a->run_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc == SQLITE_DONE) return pf_error_new(PF_ENOTFOUND, "", "run \"%s\" does not exist", a->run_id);
    if (rc != SQLITE_ROW) return pf_sqlite_db_error(w->db, "claiming a side effect");
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    q = pf_sqlite_prepare(w->db, claim_sql);
    bind_key(q, a);
    if (a->fence) {
        sqlite3_bind_text(q, 4, a->fence->owner, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, a->fence->epoch);
    } else {
        sqlite3_bind_null(q, 4);
        sqlite3_bind_int64(q, 5, 0);
    }
    sqlite3_bind_text(q, 6, stamp, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) return pf_sqlite_db_error(w->db, "claiming a side effect");
    q = pf_sqlite_prepare(w->db, "SELECT owner, epoch, claims, claimed_at, done_at, result FROM effects "
                                 "WHERE run_id = ?1 AND node_id = ?2 AND effect_key = ?3");
    bind_key(q, a);
    if (sqlite3_step(q) == SQLITE_ROW)
        a->claim = claim_row(q);
    else
        err = pf_sqlite_db_error(w->db, "claiming a side effect");
    sqlite3_finalize(q);
    return err;
}

pf_error *pf_sqlite_effect_claim(pf_store *s, const char *run_id, const char *node_id, const char *key,
                                 const pf_store_fence *fence, json_t **claim_out) {
    effect_args a = {.run_id = run_id, .node_id = node_id, .key = key, .fence = fence};
    pf_error *err = pf_sqlite_transaction(s, claim_locked, &a, "claiming a side effect");
    if (err) {
        json_decref(a.claim);
        return err;
    }
    *claim_out = a.claim;
    return NULL;
}

static pf_error *done_locked(sqlite_store *st, void *arg) {
    effect_args *a = arg;
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    sqlite3_stmt *q = pf_sqlite_prepare(st->writer.db, "UPDATE effects SET done_at = ?4, result = ?5 WHERE run_id = ?1 "
                                                       "AND node_id = ?2 AND effect_key = ?3 AND done_at IS NULL");
    bind_key(q, a);
    sqlite3_bind_text(q, 4, stamp, -1, SQLITE_STATIC);
    char *text = pf_json_text(a->result ? a->result : json_null(), false);
    sqlite3_bind_text(q, 5, text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    free(text);
    return rc == SQLITE_DONE ? NULL : pf_sqlite_db_error(st->writer.db, "recording a side effect done");
}

pf_error *pf_sqlite_effect_done(pf_store *s, const char *run_id, const char *node_id, const char *key,
                                const json_t *result) {
    effect_args a = {.run_id = run_id, .node_id = node_id, .key = key, .result = result};
    return pf_sqlite_transaction(s, done_locked, &a, "recording a side effect done");
}
