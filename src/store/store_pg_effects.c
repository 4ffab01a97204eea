/* Side effects' claims on PostgreSQL (store.h, pf_store_effect_claim).
 * Each call is one statement on a session of its own (a reader's),
 * autocommitted rather than inside BEGIN ... COMMIT on the writer: a claim
 * refused by its fence is rolled back by the database the moment it fails,
 * so it leaves no lock behind for another server's claim to wait on, even
 * when this server is paused right then (SIGSTOP, a frozen VM). Both are
 * safe to send again on a new session: a claim finds its own claim and
 * takes it again, and done is recorded once. */
#include "store/store_pg.h"

#include "core/json_text.h"
#include "core/mem.h"

#include <stdio.h>
#include <string.h>

pf_error *pf_pg_effect_claim(pf_store *s, const char *run_id, const char *node_id, const char *key,
                             const pf_store_fence *fence, json_t **claim_out) {
    char epoch[24];
    snprintf(epoch, sizeof epoch, "%lld", fence ? fence->epoch : 0);
    const char *values[] = {run_id, node_id, key, fence ? fence->owner : NULL, epoch};
    PGresult *r = NULL;
    pf_error *err = pf_pg_read(s, Q_EFFECT_CLAIM, 5, values, &r, "claiming a side effect");
    if (err) return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return pf_error_new(PF_EIO, "", "claiming a side effect of run %s node %s gave no row", run_id, node_id);
    }
    json_t *claim = json_pack("{s:s?, s:I, s:I, s:s}", "owner", PQgetisnull(r, 0, 0) ? NULL : pf_pg_text(r, 0, 0),
                              "epoch", (json_int_t)pf_pg_int(r, 0, 1), "claims", (json_int_t)pf_pg_int(r, 0, 2),
                              "claimed_at", pf_pg_text(r, 0, 3));
    if (!PQgetisnull(r, 0, 4)) {
        json_object_set_new(claim, "done_at", json_string(pf_pg_text(r, 0, 4)));
        json_object_set_new(claim, "result", pf_pg_json(r, 0, 5));
    }
    PQclear(r);
    *claim_out = claim;
    return NULL;
}

pf_error *pf_pg_effect_done(pf_store *s, const char *run_id, const char *node_id, const char *key,
                            const json_t *result) {
    char *text = pf_json_text(result ? result : json_null(), false);
    const char *values[] = {run_id, node_id, key, text};
    pf_error *err = pf_pg_read(s, Q_EFFECT_DONE, 4, values, NULL, "recording a side effect done");
    free(text);
    return err;
}
