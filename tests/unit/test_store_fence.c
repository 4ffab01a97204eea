/* Fencing in the store, on both backends: a leased run's writes carry
 * (lease_owner, lease_epoch), and one that no longer holds is refused
 * whole, or left out of a group commit; on PostgreSQL a claim raises the
 * epoch, after which the server that held the run before can neither
 * write, renew nor lease it again (docs/operations.md, "Fencing"). */
#include "check.h"
#include "core/mem.h"
#include "store/store.h"
#include "support/pg.h"
#include "support/tmpdir.h"

#include <stdlib.h>

static pf_code code_of(pf_error *err) {
    pf_code c = err ? err->code : PF_OK;
    pf_error_free(err);
    return c;
}

/* A leased run's writes carry a fence (its lease owner and epoch). On
 * any backend, a fence the run does not hold is refused whole, and a
 * group commit leaves out only that run's transitions. */
static void test_fence_refused(pf_store *s) {
    json_t *run = json_pack("{s:s, s:s, s:i, s:s, s:s, s:{}}", "id", "run-fenced", "workflow_id", "wf",
                            "workflow_version", 1, "family", "cad_file", "status", "running", "doc");
    CHECK_INT(code_of(pf_store_run_create(s, run)), PF_OK);
    json_object_set_new(run, "id", json_string("run-free"));
    CHECK_INT(code_of(pf_store_run_create(s, run)), PF_OK);
    json_decref(run);
    pf_store_fence stale = {"nobody", 1};
    bool held = true;
    CHECK_INT(code_of(pf_store_run_fence_held(s, "run-fenced", &stale, &held)), PF_OK);
    CHECK(!held);
    pf_store_transition t[2] = {
        {.run_id = "run-fenced", .node_id = "n", .node_status = "succeeded", .node_state_text = "{}", .fence = &stale},
        {.run_id = "run-fenced", .node_id = "m", .node_status = "succeeded", .node_state_text = "{}"}};
    CHECK_INT(code_of(pf_store_run_transitions(s, t, 2)), PF_ECONFLICT);
    json_t *got = NULL;
    CHECK_INT(code_of(pf_store_run_get(s, "run-fenced", true, &got)), PF_OK);
    /* nothing of the call was written (its workflow has no nodes, so none reads back as pending either) */
    CHECK(json_object_get(json_object_get(got, "nodes"), "m") == NULL);
    json_decref(got);
    /* a group: the fenced transition is left out, the unfenced one commits */
    t[1].run_id = "run-free";
    bool refused[2] = {false, true};
    CHECK_INT(code_of(pf_store_run_commit(s, t, 2, refused)), PF_OK);
    CHECK(refused[0] && !refused[1]);
    CHECK_INT(code_of(pf_store_run_get(s, "run-fenced", true, &got)), PF_OK);
    CHECK(json_object_get(json_object_get(got, "nodes"), "n") == NULL);
    json_decref(got);
}

/* Fencing across two servers on PostgreSQL: a claim raises the epoch, and
 * the server that held the run before can neither write, renew nor
 * re-lease it; the claimant can. */
static void test_pg_fences(pf_test_pg *pg) {
    char *url = pf_test_pg_new_database(pg, "fences"); /* no other run to claim */
    pf_store *a = NULL, *b = NULL;
    CHECK(url && pf_store_open(url, &a) == NULL && pf_store_open(url, &b) == NULL);
    free(url);
    if (!a || !b) return;
    /* a creates the run with a lease that has run out already (0 s) */
    json_t *run = json_pack("{s:s, s:s, s:i, s:s, s:s, s:{}, s:s, s:i}", "id", "run-claimed", "workflow_id", "wf",
                            "workflow_version", 1, "family", "cad_file", "status", "running", "doc", "lease_owner", "a",
                            "lease_seconds", 0);
    CHECK_INT(code_of(pf_store_run_create(a, run)), PF_OK);
    json_decref(run);
    pf_store_fence fa = {"a", 1}, fb = {"b", 2};
    pf_store_transition t = {.run_id = "run-claimed",
                             .node_id = "n",
                             .node_status = "succeeded",
                             .node_state_text = "{\"by\":\"a\"}",
                             .fence = &fa};
    CHECK_INT(code_of(pf_store_run_transitions(a, &t, 1)), PF_OK); /* a holds it at epoch 1 */
    json_t *ids = NULL;
    CHECK_INT(code_of(pf_store_run_claim(b, "b", 60, false, 10, &ids)), PF_OK);
    CHECK_INT(json_array_size(ids), 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(ids, 0), "id")), "run-claimed");
    CHECK_INT(json_integer_value(json_object_get(json_array_get(ids, 0), "epoch")), 2);
    json_decref(ids);
    bool held = true;
    CHECK_INT(code_of(pf_store_run_fence_held(a, "run-claimed", &fa, &held)), PF_OK);
    CHECK(!held);
    CHECK_INT(code_of(pf_store_run_fence_held(a, "run-claimed", &fb, &held)), PF_OK);
    CHECK(held);
    /* a's late write is refused; b's goes in */
    t.node_state_text = "{\"by\":\"a, late\"}";
    CHECK_INT(code_of(pf_store_run_transitions(a, &t, 1)), PF_ECONFLICT);
    t.fence = &fb;
    t.node_state_text = "{\"by\":\"b\"}";
    CHECK_INT(code_of(pf_store_run_transitions(b, &t, 1)), PF_OK);
    json_t *got = NULL;
    CHECK_INT(code_of(pf_store_run_get(a, "run-claimed", true, &got)), PF_OK);
    CHECK_STR(json_string_value(
                  json_object_get(json_object_get(json_object_get(json_object_get(got, "nodes"), "n"), "state"), "by")),
              "b");
    json_decref(got);
    /* a's renewal at its old epoch holds nothing; b's holds the run */
    json_t *mine = json_pack("[{s:s, s:i}]", "id", "run-claimed", "epoch", 1), *kept = NULL;
    CHECK_INT(code_of(pf_store_run_renew(a, "a", 60, mine, &kept)), PF_OK);
    CHECK_INT(json_array_size(kept), 0);
    json_decref(kept);
    json_decref(mine);
    mine = json_pack("[{s:s, s:i}]", "id", "run-claimed", "epoch", 2);
    CHECK_INT(code_of(pf_store_run_renew(b, "b", 60, mine, &kept)), PF_OK);
    CHECK_INT(json_array_size(kept), 1);
    json_decref(kept);
    json_decref(mine);
    long long epoch = 0;
    CHECK_INT(code_of(pf_store_run_lease(a, "a", 60, "run-claimed", &epoch)), PF_ECONFLICT);
    CHECK_INT(code_of(pf_store_run_lease(b, "b", 60, "run-claimed", &epoch)), PF_OK);
    CHECK_INT(epoch, 3);
    CHECK_INT(code_of(pf_store_run_lease(b, "b", 60, "no-such-run", &epoch)), PF_ENOTFOUND);
    pf_store_close(a);
    pf_store_close(b);
}

int main(void) {
    char *dir = pf_test_tmpdir("store-fence");
    pf_store *lite = NULL;
    CHECK(pf_store_open(dir, &lite) == NULL);
    if (lite) test_fence_refused(lite);
    pf_store_close(lite);
    pf_test_pg *pg = pf_test_pg_start();
    CHECK_MSG(pg != NULL, "PostgreSQL did not start (see above)");
    if (pg) {
        pf_store *pgs = NULL;
        CHECK(pf_store_open(pf_test_pg_url(pg), &pgs) == NULL);
        if (pgs) test_fence_refused(pgs);
        pf_store_close(pgs);
        test_pg_fences(pg);
        pf_test_pg_stop(pg);
    }
    free(dir);
    return pf_check_done("store_fence");
}
