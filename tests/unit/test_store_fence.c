/* Fencing in the store, on both backends: a leased run's writes carry
 * (lease_owner, lease_epoch), and one that no longer holds is refused
 * whole, or left out of a group commit; on PostgreSQL a claim raises the
 * epoch, after which the server that held the run before can neither
 * write, renew nor lease it again (docs/operations.md, "Fencing"). A side
 * effect's claim is fenced alike: after a take-over the old holder's claim
 * is refused and records nothing, the new holder's claim says whether the
 * old one claimed first (it then performs the effect again), and an effect
 * recorded done is never claimed again (docs/scale-out.md, "Side
 * effects"). */
#include "check.h"
#include "core/mem.h"
#include "store/store.h"
#include "support/pg.h"
#include "support/tmpdir.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

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
    CHECK_INT(code_of(pf_store_run_claim(b, "b", 60, false, NULL, 10, &ids)), PF_OK);
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

/* SQL on the store at location (a SQLite directory or a PostgreSQL URL). */
typedef bool (*sql_fn)(const char *location, const char *sql);

static bool sqlite_sql(const char *dir, const char *sql) {
    char *path = pf_asprintf("%s/prodflow.db", dir);
    sqlite3 *db = NULL;
    bool ok = sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    if (!ok) fprintf(stderr, "store_fence: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    free(path);
    return ok;
}

static bool pg_sql(const char *url, const char *sql) {
    PGconn *c = PQconnectdb(url);
    PGresult *r = PQexec(c, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "store_fence: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok;
}

static long long claims_of(const json_t *claim) { return json_integer_value(json_object_get(claim, "claims")); }

/* A take-over as a claim makes it: the lease to b, its epoch raised. */
#define TAKE_OVER "UPDATE runs SET lease_owner = 'b', lease_epoch = lease_epoch + 1 WHERE id = 'run-effects'"

/* The interleaving of issue 13 on either backend: a holds the run at epoch
 * 1 and claims the publish; b takes the run over (epoch 2). a's claim of
 * the notify is refused and leaves nothing; b's claim of the publish says
 * it was claimed before (b performs it again), b's of the notify that it
 * was not; once b records the publish done, neither claims it again, a's
 * late record changes nothing, and b's claim hands back the result. */
static void test_effect_claims(pf_store *s, const char *location, sql_fn sql) {
    json_t *run = json_pack("{s:s, s:s, s:i, s:s, s:s, s:{}}", "id", "run-effects", "workflow_id", "wf",
                            "workflow_version", 1, "family", "order_line", "status", "running", "doc");
    CHECK_INT(code_of(pf_store_run_create(s, run)), PF_OK);
    json_decref(run);
    CHECK(sql(location, "UPDATE runs SET lease_owner = 'a', lease_epoch = 1 WHERE id = 'run-effects'"));
    pf_store_fence a = {"a", 1}, b = {"b", 2};
    json_t *claim = NULL;
    CHECK_INT(code_of(pf_store_effect_claim(s, "run-effects", "publish", "output.publish_asset", &a, &claim)), PF_OK);
    CHECK_STR(json_string_value(json_object_get(claim, "owner")), "a");
    CHECK_INT(claims_of(claim), 1);
    CHECK(json_object_get(claim, "done_at") == NULL);
    json_decref(claim);

    CHECK(sql(location, TAKE_OVER));
    claim = NULL;
    CHECK_INT(code_of(pf_store_effect_claim(s, "run-effects", "notify", "output.notify", &a, &claim)), PF_ECONFLICT);
    CHECK(claim == NULL);
    CHECK_INT(code_of(pf_store_effect_claim(s, "run-effects", "notify", "output.notify", &b, &claim)), PF_OK);
    CHECK_INT(claims_of(claim), 1); /* a's refused claim left nothing */
    json_decref(claim);
    CHECK_INT(code_of(pf_store_effect_claim(s, "run-effects", "publish", "output.publish_asset", &b, &claim)), PF_OK);
    CHECK_STR(json_string_value(json_object_get(claim, "owner")), "b");
    CHECK_INT(json_integer_value(json_object_get(claim, "epoch")), 2);
    CHECK_INT(claims_of(claim), 2); /* a claimed it and never recorded it done: b performs it again */
    json_decref(claim);

    json_t *by_b = json_pack("{s:{s:s}}", "asset", "id", "asset_b"), *by_a = json_pack("{s:{s:s}}", "asset", "id", "a");
    CHECK_INT(code_of(pf_store_effect_done(s, "run-effects", "publish", "output.publish_asset", by_b)), PF_OK);
    CHECK_INT(code_of(pf_store_effect_claim(s, "run-effects", "publish", "output.publish_asset", &a, &claim)),
              PF_ECONFLICT);
    CHECK_INT(code_of(pf_store_effect_done(s, "run-effects", "publish", "output.publish_asset", by_a)), PF_OK);
    CHECK_INT(code_of(pf_store_effect_claim(s, "run-effects", "publish", "output.publish_asset", &b, &claim)), PF_OK);
    CHECK(json_object_get(claim, "done_at") != NULL);
    CHECK(json_equal(json_object_get(claim, "result"), by_b)); /* the first record stays */
    CHECK_INT(claims_of(claim), 2);                            /* done: not claimed again */
    json_decref(claim);
    json_decref(by_a);
    json_decref(by_b);

    /* Unfenced (one server, SQLite): a claim and a repeat after a crash. */
    CHECK_INT(code_of(pf_store_effect_claim(s, "run-effects", "other", "output.notify", NULL, &claim)), PF_OK);
    CHECK(json_string_value(json_object_get(claim, "owner")) == NULL);
    json_decref(claim);
    CHECK_INT(code_of(pf_store_effect_claim(s, "run-effects", "other", "output.notify", NULL, &claim)), PF_OK);
    CHECK_INT(claims_of(claim), 2);
    json_decref(claim);
    CHECK_INT(code_of(pf_store_effect_claim(s, "no-such-run", "n", "output.notify", NULL, &claim)), PF_ENOTFOUND);
}

typedef struct {
    pf_store *store;
    pthread_barrier_t *start;
    const char *run_id;
    pf_code code;
    json_t *claim;
} racer;

/* a claims the run's effect at epoch 1 ... */
static void *claim_effect(void *arg) {
    racer *r = arg;
    pf_store_fence a = {"a", 1};
    pthread_barrier_wait(r->start);
    pf_error *err = pf_store_effect_claim(r->store, r->run_id, "notify", "output.notify", &a, &r->claim);
    r->code = code_of(err);
    return NULL;
}

/* ... while b takes the run over. */
static void *take_run(void *arg) {
    racer *r = arg;
    pthread_barrier_wait(r->start);
    pf_error *err = pf_store_run_claim(r->store, "b", 60, false, NULL, 10, &r->claim);
    r->code = code_of(err);
    return NULL;
}

/* The race itself, on PostgreSQL: a claims the effect while b claims the
 * run, each on its own database session. Whichever comes first, no effect
 * is performed twice unknowingly: either a's claim went in (before the
 * take-over) and b's own claim then says so (claims 2: b performs it
 * again, the same way), or a's was refused and b's is the first. */
static void test_pg_effect_race(pf_test_pg *pg) {
    char *url = pf_test_pg_new_database(pg, "effect_race");
    pf_store *a = NULL, *b = NULL;
    CHECK(url && pf_store_open(url, &a) == NULL && pf_store_open(url, &b) == NULL);
    free(url);
    if (!a || !b) return;
    int refused = 0, first = 0;
    for (int i = 0; i < 20; i++) {
        char id[32];
        snprintf(id, sizeof id, "run-race-%d", i);
        json_t *run =
            json_pack("{s:s, s:s, s:i, s:s, s:s, s:{}, s:s, s:i}", "id", id, "workflow_id", "wf", "workflow_version", 1,
                      "family", "cad_file", "status", "running", "doc", "lease_owner", "a", "lease_seconds", 0);
        CHECK_INT(code_of(pf_store_run_create(a, run)), PF_OK);
        json_decref(run);
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, 2);
        racer ra = {.store = a, .start = &start, .run_id = id}, rb = {.store = b, .start = &start};
        pthread_t ta, tb;
        pthread_create(&ta, NULL, claim_effect, &ra);
        pthread_create(&tb, NULL, take_run, &rb);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        pthread_barrier_destroy(&start);
        CHECK_INT(rb.code, PF_OK);
        if (json_array_size(rb.claim) == 0) { /* the row was locked by a's claim: skipped, as at a lease tick */
            json_decref(rb.claim);
            rb.claim = NULL;
            CHECK_INT(code_of(pf_store_run_claim(b, "b", 60, false, NULL, 10, &rb.claim)), PF_OK);
        }
        CHECK_INT(json_array_size(rb.claim), 1);
        long long epoch = json_integer_value(json_object_get(json_array_get(rb.claim, 0), "epoch"));
        CHECK_INT(epoch, 2);
        json_decref(rb.claim);
        CHECK_MSG(ra.code == PF_OK || ra.code == PF_ECONFLICT, "a's claim: %s", pf_code_name(ra.code));
        pf_store_fence fb = {"b", epoch};
        json_t *claim = NULL;
        CHECK_INT(code_of(pf_store_effect_claim(b, id, "notify", "output.notify", &fb, &claim)), PF_OK);
        CHECK_INT(claims_of(claim), ra.code == PF_OK ? 2 : 1);
        refused += ra.code == PF_ECONFLICT;
        first += ra.code == PF_OK;
        json_decref(claim);
        json_decref(ra.claim);
    }
    fprintf(stderr, "store_fence: effect race: a claimed first %d times, was refused %d times\n", first, refused);
    pf_store_close(a);
    pf_store_close(b);
}

/* A claim passes over the runs the claimant is running (its own lease
 * that lapsed while it was starved is renewed, not claimed from itself),
 * and says whether the server it takes a run from still lives: that
 * server's listening session, named after it, is still open. A run taken
 * from a live server is no stop of a server (revive.c counts stops). */
static void ignore_notice(void *user, const char *run_id) {
    (void)user;
    (void)run_id;
}

static void test_pg_claim_holders(pf_test_pg *pg) {
    char *url = pf_test_pg_new_database(pg, "holders");
    pf_store *a = NULL, *b = NULL;
    CHECK(url && pf_store_open(url, &a) == NULL && pf_store_open(url, &b) == NULL);
    free(url);
    if (a && b) {
        CHECK_INT(code_of(pf_store_listen(a, "a", ignore_notice, NULL, NULL)), PF_OK);
        const char *runs[][2] = {{"run-1-from-live", "a"}, {"run-2-from-gone", "gone"}};
        for (size_t i = 0; i < 2; i++) { /* leases that have run out already (0 s) */
            json_t *run = json_pack("{s:s, s:s, s:i, s:s, s:s, s:{}, s:s, s:i}", "id", runs[i][0], "workflow_id", "wf",
                                    "workflow_version", 1, "family", "cad_file", "status", "running", "doc",
                                    "lease_owner", runs[i][1], "lease_seconds", 0);
            CHECK_INT(code_of(pf_store_run_create(a, run)), PF_OK);
            json_decref(run);
        }
        json_t *running = json_pack("[s, s]", runs[0][0], runs[1][0]), *ids = NULL;
        CHECK_INT(code_of(pf_store_run_claim(a, "a", 60, false, running, 10, &ids)), PF_OK);
        CHECK_INT(json_array_size(ids), 0);
        json_decref(ids);
        json_decref(running);
        CHECK_INT(code_of(pf_store_run_claim(b, "b", 60, false, NULL, 10, &ids)), PF_OK);
        CHECK_INT(json_array_size(ids), 2);
        for (size_t i = 0; i < json_array_size(ids) && i < 2; i++) {
            const json_t *got = json_array_get(ids, i);
            CHECK_STR(json_string_value(json_object_get(got, "id")), runs[i][0]);
            CHECK_MSG(json_is_true(json_object_get(got, "holder_alive")) == (i == 0), "%s: holder_alive wrong",
                      runs[i][0]);
        }
        json_decref(ids);
        pf_store_unlisten(a);
    }
    pf_store_close(a);
    pf_store_close(b);
}

int main(void) {
    char *dir = pf_test_tmpdir("store-fence");
    pf_store *lite = NULL;
    CHECK(pf_store_open(dir, &lite) == NULL);
    if (lite) test_fence_refused(lite);
    if (lite) test_effect_claims(lite, dir, sqlite_sql);
    pf_store_close(lite);
    pf_test_pg *pg = pf_test_pg_start();
    CHECK_MSG(pg != NULL, "PostgreSQL did not start (see above)");
    if (pg) {
        pf_store *pgs = NULL;
        CHECK(pf_store_open(pf_test_pg_url(pg), &pgs) == NULL);
        if (pgs) test_fence_refused(pgs);
        if (pgs) test_effect_claims(pgs, pf_test_pg_url(pg), pg_sql);
        pf_store_close(pgs);
        test_pg_fences(pg);
        test_pg_claim_holders(pg);
        test_pg_effect_race(pg);
        pf_test_pg_stop(pg);
    }
    free(dir);
    return pf_check_done("store_fence");
}
