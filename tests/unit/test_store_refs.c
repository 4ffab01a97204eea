/* References between items, checked inside the store's write transaction
 * on both backends (store.h, pf_store_ref): a delete refused while an item
 * refers to the key (by a string field, an array member or a nested
 * field), a referrer's write refused when its referee is gone, and, with
 * two stores on one database (two servers) racing a delete against a
 * referrer's create round after round, never both: no referrer ever names
 * a missing item. On PostgreSQL also step by step: either side held open
 * by another session, the store's call waits for it and gives way. */
#include "check.h"
#include "core/mem.h"
#include "store/store.h"
#include "support/pg.h"
#include "support/tmpdir.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static pf_code code_of(pf_error *err) {
    pf_code c = err ? err->code : PF_OK;
    pf_error_free(err);
    return c;
}

static bool exists(pf_store *s, const char *kind, const char *key) {
    json_t *doc = NULL;
    pf_error *err = pf_store_item_get(s, kind, key, &doc);
    json_decref(doc);
    return code_of(err) == PF_OK;
}

static pf_error *put(pf_store *s, const char *kind, const char *key, json_t *doc, const pf_store_ref *refs,
                     size_t n_refs) {
    pf_store_item it = {.op = PF_ITEM_CREATE, .kind = kind, .key = key, .doc = doc, .refs = refs, .n_refs = n_refs};
    pf_error *err = pf_store_items_write(s, &it, 1);
    json_decref(doc);
    return err;
}

static pf_error *del(pf_store *s, const char *kind, const char *key, const pf_store_ref *refs, size_t n_refs) {
    pf_store_item it = {.op = PF_ITEM_DELETE, .kind = kind, .key = key, .refs = refs, .n_refs = n_refs};
    return pf_store_items_write(s, &it, 1);
}

static const pf_store_ref category_users[] = {{.kind = "product", .field = "category"},
                                              {.kind = "output_type", .field = "categories"}};
static const pf_store_ref workflow_users[] = {{.kind = "output_type", .field = "workflow.id"}};

static void test_refs(pf_store *s) {
    CHECK_INT(code_of(put(s, "category", "chairs", json_pack("{s:s}", "key", "chairs"), NULL, 0)), PF_OK);
    CHECK_INT(code_of(put(s, "category", "tables", json_pack("{s:s}", "key", "tables"), NULL, 0)), PF_OK);
    pf_store_ref needs = {.kind = "category", .field = "category", .key = "chairs"};
    CHECK_INT(code_of(put(s, "product", "p1", json_pack("{s:s, s:s}", "id", "p1", "category", "chairs"), &needs, 1)),
              PF_OK);

    /* a string field refers */
    pf_error *err = del(s, "category", "chairs", category_users, 2);
    CHECK(err && err->code == PF_ECONFLICT && strstr(err->message, "product \"p1\""));
    pf_error_free(err);
    CHECK(exists(s, "category", "chairs"));

    /* a referee that is missing refuses the write, pointing at its field */
    pf_store_ref gone = {.kind = "category", .field = "category", .key = "lamps"};
    err = put(s, "product", "p2", json_pack("{s:s, s:s}", "id", "p2", "category", "lamps"), &gone, 1);
    CHECK(err && err->code == PF_ECONFLICT && strcmp(err->pointer, "/category") == 0 && strstr(err->message, "lamps"));
    pf_error_free(err);
    CHECK(!exists(s, "product", "p2"));

    /* an array member refers; a nested field refers (to a workflow) */
    json_t *wf = json_pack("{s:s, s:s, s:s, s:s, s:[], s:[]}", "schema", "prodflow.workflow/v1", "id", "wf-refs",
                           "name", "Refs", "family", "order_line", "nodes", "edges");
    CHECK_INT(code_of(pf_store_workflow_save(s, wf, 0, true, NULL)), PF_OK);
    json_decref(wf);
    pf_store_ref type_needs[] = {{.kind = "category", .field = "categories", .key = "tables"},
                                 {.kind = "workflow", .field = "workflow.id", .key = "wf-refs"}};
    CHECK_INT(code_of(put(s, "output_type", "still",
                          json_pack("{s:s, s:[s], s:{s:s, s:i}}", "key", "still", "categories", "tables", "workflow",
                                    "id", "wf-refs", "version", 1),
                          type_needs, 2)),
              PF_OK);
    err = del(s, "category", "tables", category_users, 2);
    CHECK(err && err->code == PF_ECONFLICT && strstr(err->message, "output_type \"still\""));
    pf_error_free(err);
    err = pf_store_workflow_delete_unreferred(s, "wf-refs", workflow_users, 1);
    CHECK(err && err->code == PF_ECONFLICT && strstr(err->message, "output_type \"still\""));
    pf_error_free(err);
    json_t *doc = NULL;
    CHECK_INT(code_of(pf_store_workflow_get(s, "wf-refs", 0, &doc)), PF_OK); /* the refused delete rolled back */
    json_decref(doc);
    pf_store_ref no_wf = {.kind = "workflow", .field = "workflow.id", .key = "wf-none"};
    err = put(s, "output_type", "orphan", json_pack("{s:s, s:{s:s}}", "key", "orphan", "workflow", "id", "wf-none"),
              &no_wf, 1);
    CHECK(err && err->code == PF_ECONFLICT && strcmp(err->pointer, "/workflow/id") == 0);
    pf_error_free(err);

    /* without referrers the deletes go through; a deleted workflow is no referee */
    CHECK_INT(code_of(del(s, "output_type", "still", NULL, 0)), PF_OK);
    CHECK_INT(code_of(del(s, "category", "tables", category_users, 2)), PF_OK);
    CHECK_INT(code_of(pf_store_workflow_delete_unreferred(s, "wf-refs", workflow_users, 1)), PF_OK);
    CHECK_INT(code_of(put(s, "output_type", "late", json_pack("{s:s}", "key", "late"), &type_needs[1], 1)),
              PF_ECONFLICT);
    CHECK_INT(code_of(del(s, "product", "p1", NULL, 0)), PF_OK);
    CHECK_INT(code_of(del(s, "category", "chairs", category_users, 2)), PF_OK);
    CHECK_INT(code_of(del(s, "category", "chairs", category_users, 2)), PF_ENOTFOUND);
}

/* Round after round, one store creates a pricing tier and then deletes it
 * unless an output type names it, while another store creates an output
 * type naming it: the two start together (a barrier, no clock), and
 * exactly one of them may win each round. */
enum { ROUNDS = 150 };

typedef struct {
    pf_store *creator, *deleter;
    pthread_barrier_t start, end;
    /* answers, checked by the main thread (the checks' counters are not shared) */
    pf_code seeded[ROUNDS], created[ROUNDS], deleted[ROUNDS];
} race;

static void *deleter_main(void *arg) {
    race *r = arg;
    static const pf_store_ref users[] = {{.kind = "output_type", .field = "pricing_tier"}};
    for (int i = 0; i < ROUNDS; i++) {
        char key[32];
        snprintf(key, sizeof key, "tier-%d", i);
        r->seeded[i] = code_of(put(r->deleter, "pricing_tier", key, json_pack("{s:s}", "key", key), NULL, 0));
        pthread_barrier_wait(&r->start);
        r->deleted[i] = code_of(del(r->deleter, "pricing_tier", key, users, 1));
        pthread_barrier_wait(&r->end);
    }
    return NULL;
}

static void *creator_main(void *arg) {
    race *r = arg;
    for (int i = 0; i < ROUNDS; i++) {
        char tier[32], key[32];
        snprintf(tier, sizeof tier, "tier-%d", i);
        snprintf(key, sizeof key, "type-%d", i);
        pf_store_ref needs = {.kind = "pricing_tier", .field = "pricing_tier", .key = tier};
        pthread_barrier_wait(&r->start);
        r->created[i] = code_of(
            put(r->creator, "output_type", key, json_pack("{s:s, s:s}", "key", key, "pricing_tier", tier), &needs, 1));
        pthread_barrier_wait(&r->end);
    }
    return NULL;
}

static void test_race(const char *location) {
    race *r = pf_xcalloc(1, sizeof *r);
    CHECK(pf_store_open(location, &r->creator) == NULL);
    CHECK(pf_store_open(location, &r->deleter) == NULL);
    if (!r->creator || !r->deleter) goto done;
    pthread_barrier_init(&r->start, NULL, 2);
    pthread_barrier_init(&r->end, NULL, 2);
    pthread_t c, d;
    pthread_create(&d, NULL, deleter_main, r);
    pthread_create(&c, NULL, creator_main, r);
    pthread_join(c, NULL);
    pthread_join(d, NULL);
    pthread_barrier_destroy(&r->start);
    pthread_barrier_destroy(&r->end);
    int creator_won = 0, deleter_won = 0;
    for (int i = 0; i < ROUNDS; i++) {
        char tier[32], key[32];
        snprintf(tier, sizeof tier, "tier-%d", i);
        snprintf(key, sizeof key, "type-%d", i);
        CHECK_INT(r->seeded[i], PF_OK);
        bool has_tier = exists(r->creator, "pricing_tier", tier), has_type = exists(r->creator, "output_type", key);
        /* the invariant: no output type names a missing tier */
        CHECK_MSG(!has_type || has_tier, "round %d: output type %s names the deleted %s", i, key, tier);
        /* and exactly one side won, as its answer said */
        CHECK_MSG((r->created[i] == PF_OK) != (r->deleted[i] == PF_OK), "round %d: create %s, delete %s", i,
                  pf_code_name(r->created[i]), pf_code_name(r->deleted[i]));
        CHECK(has_type == (r->created[i] == PF_OK) && has_tier == (r->deleted[i] != PF_OK));
        CHECK(r->created[i] == PF_OK || r->created[i] == PF_ECONFLICT);
        CHECK(r->deleted[i] == PF_OK || r->deleted[i] == PF_ECONFLICT);
        creator_won += r->created[i] == PF_OK;
        deleter_won += r->deleted[i] == PF_OK;
    }
    printf("store_refs %s race: %d rounds, the create won %d, the delete won %d\n", pf_store_backend(r->creator),
           ROUNDS, creator_won, deleter_won);
done:
    pf_store_close(r->creator);
    pf_store_close(r->deleter);
    free(r);
}

/* PostgreSQL, step by step: another session (a raw connection standing in
 * for a second server) holds one side's transaction open while the store
 * runs the other side, which must wait for it and then see its commit. */
typedef struct {
    pf_store *s;
    pf_code answer;
    bool deleting;
    atomic_bool done; /* the call returned (it did not wait: a failure, checked below) */
} blocked_call;

static void *blocked_main(void *arg) {
    blocked_call *b = arg;
    static const pf_store_ref users[] = {{.kind = "output_type", .field = "pricing_tier"}};
    pf_store_ref needs = {.kind = "pricing_tier", .field = "pricing_tier", .key = "tier-held"};
    b->answer = b->deleting
                    ? code_of(del(b->s, "pricing_tier", "tier-held", users, 1))
                    : code_of(put(b->s, "output_type", "type-late",
                                  json_pack("{s:s, s:s}", "key", "type-late", "pricing_tier", "tier-held"), &needs, 1));
    atomic_store(&b->done, true);
    return NULL;
}

static bool exec_ok(PGconn *c, const char *sql) {
    PGresult *r = PQexec(c, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    return ok;
}

/* Until a session of the database waits for a lock (a state the server
 * reports, not a clock), or the call returned without waiting. */
static void await_lock_wait(PGconn *c, const blocked_call *b) {
    for (bool waiting = false; !waiting && !atomic_load(&b->done);) {
        PGresult *r = PQexec(c, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                "AND wait_event_type = 'Lock'");
        waiting = PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) > 0;
        PQclear(r);
    }
}

static void test_pg_steps(const char *url) {
    pf_store *s = NULL;
    CHECK(pf_store_open(url, &s) == NULL);
    PGconn *other = PQconnectdb(url), *watch = PQconnectdb(url);
    CHECK(PQstatus(other) == CONNECTION_OK && PQstatus(watch) == CONNECTION_OK);
    for (int deleting = 1; s && deleting >= 0; deleting--) {
        CHECK_INT(code_of(put(s, "pricing_tier", "tier-held", json_pack("{s:s}", "key", "tier-held"), NULL, 0)), PF_OK);
        CHECK(exec_ok(other, "BEGIN"));
        if (deleting) /* a referrer's write is under way: it holds the tier FOR SHARE and has written */
            CHECK(exec_ok(other, "SELECT 1 FROM items WHERE kind = 'pricing_tier' AND key = 'tier-held' FOR SHARE") &&
                  exec_ok(other, "INSERT INTO items (kind, key, doc, created_at, updated_at) VALUES ('output_type', "
                                 "'type-held', '{\"key\": \"type-held\", \"pricing_tier\": \"tier-held\"}', "
                                 "now(), now())"));
        else /* a delete is under way: the row is deleted, not yet committed */
            CHECK(exec_ok(other, "DELETE FROM items WHERE kind = 'pricing_tier' AND key = 'tier-held'"));
        blocked_call b = {.s = s, .deleting = deleting};
        atomic_init(&b.done, false);
        pthread_t t;
        pthread_create(&t, NULL, blocked_main, &b);
        await_lock_wait(watch, &b);
        CHECK(exec_ok(other, "COMMIT"));
        pthread_join(t, NULL);
        /* the store's call waited, then saw the other's commit and gave way */
        CHECK_INT(b.answer, PF_ECONFLICT);
        if (deleting) {
            CHECK(exists(s, "pricing_tier", "tier-held"));
            CHECK_INT(code_of(del(s, "output_type", "type-held", NULL, 0)), PF_OK);
            CHECK_INT(code_of(del(s, "pricing_tier", "tier-held", NULL, 0)), PF_OK);
        } else {
            CHECK(!exists(s, "output_type", "type-late"));
        }
    }
    PQfinish(other);
    PQfinish(watch);
    pf_store_close(s);
}

int main(void) {
    char *dir = pf_test_tmpdir("store-refs");
    pf_store *lite = NULL;
    CHECK(pf_store_open(dir, &lite) == NULL);
    if (lite) test_refs(lite);
    pf_store_close(lite);
    test_race(dir);
    pf_test_pg *pg = pf_test_pg_start();
    CHECK_MSG(pg != NULL, "PostgreSQL did not start (see above)");
    if (pg) {
        pf_store *pgs = NULL;
        CHECK(pf_store_open(pf_test_pg_url(pg), &pgs) == NULL);
        if (pgs) test_refs(pgs);
        pf_store_close(pgs);
        test_race(pf_test_pg_url(pg));
        test_pg_steps(pf_test_pg_url(pg));
        pf_test_pg_stop(pg);
    }
    free(dir);
    return pf_check_done("store_refs");
}
