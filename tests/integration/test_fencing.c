/* Fencing: two `prodflow serve` on one PostgreSQL database, an order
 * line's run held at the Blender gate on server a, and a stopped for
 * longer than its lease (SIGSTOP, as a GC pause or a frozen VM would).
 * Server b claims the run at a new lease epoch and delivers it; then a
 * wakes up and its render is let through. Every late write of a is
 * refused by the fence: the run's record is b's (the document is the same
 * before and after a woke up, the lease is b's at epoch 2), and the line
 * has exactly one published asset and one notification.
 * Then the same race at the side effect itself: a's lease passing to b
 * while a's publish's claim waits in the database and a is stopped: a
 * never acts (effect_interleaving).
 * Every wait is on a state (the gate, the servers' log lines, the run's
 * event stream, a lock in the database). Skips (77) when PostgreSQL's
 * server binaries are not installed. */
#include "check.h"
#include "core/json.h"
#include "core/mem.h"
#include "support/gate.h"
#include "support/pg.h"
#include "support/server.h"
#include "support/tmpdir.h"
#include "support/webhook.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The run's lease as the database holds it: "owner epoch". */
static char *lease_of(const char *url, const char *run_id) {
    PGconn *c = PQconnectdb(url);
    const char *values[] = {run_id};
    PGresult *r = PQexecParams(c, "SELECT coalesce(lease_owner, '-') || ' ' || lease_epoch FROM runs WHERE id = $1", 1,
                               NULL, values, NULL, NULL, 0);
    char *v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? pf_strdup(PQgetvalue(r, 0, 0)) : NULL;
    if (!v) fprintf(stderr, "fencing: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return v;
}

static json_t *run_doc(const pf_test_server *srv, const char *run_id) {
    char *path = pf_asprintf("/api/runs/%s", run_id);
    json_t *doc = pf_http_expect(srv, "GET", path, NULL, 200);
    free(path);
    return doc;
}

/* One SQL value on url ("owner epoch claims" of an effect, say); NULL
 * when there is no row. */
static char *sql_value(const char *url, const char *sql, const char *arg) {
    PGconn *c = PQconnectdb(url);
    const char *values[] = {arg};
    PGresult *r = PQexecParams(c, sql, 1, NULL, values, NULL, NULL, 0);
    char *v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? pf_strdup(PQgetvalue(r, 0, 0)) : NULL;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) fprintf(stderr, "fencing: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return v;
}

/* Waits until a server's lease renewal waits for a row lock (the test's):
 * the database's own view of its sessions, asked again until it says so
 * (each look is a round trip; as test_store_refs waits, no clock). */
static bool renewal_waits(const char *url) {
    PGconn *c = PQconnectdb(url);
    bool waits = false;
    while (!waits && PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'prodflow' "
                                "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE runs r SET lease_until%'");
        waits = PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "0") != 0;
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "fencing: %s", PQerrorMessage(c));
            PQclear(r);
            break;
        }
        PQclear(r);
    }
    PQfinish(c);
    return waits;
}

#define EFFECT_OF "SELECT owner || ' ' || epoch || ' ' || claims FROM effects WHERE run_id = $1 AND node_id = "

/* Issue 13's race, made deterministic: a's lease passes to b at the very
 * moment a's publish claims its side effect, after every check a server
 * could make before acting. The test holds a lock on the effects table, so
 * a's claim waits in the database. Then, in this order: a's lease is taken
 * from it (its owner cleared, its time left long, so no server claims it
 * yet), and a notices at its next renewal; a is stopped (SIGSTOP), now
 * holding no lock on the run's row (stopped inside a renewal that still
 * matched the row, it would hold it, and b could never claim the run); the
 * lease runs out, b claims the run and reaches the same claim, which waits
 * too. The lock is let go: whichever claim the database runs first, a's
 * fails its fence and leaves nothing, and b's goes in. a, continued, has
 * acted on nothing: one claim of each effect (b's, at epoch 2), one asset,
 * one POST. */
static void effect_interleaving(pf_test_server *a, pf_test_server *b, const char *url, pf_test_webhook *hook,
                                const char *product) {
    PGconn *lock = PQconnectdb(url);
    PGresult *r = PQexec(lock, "BEGIN; LOCK TABLE effects IN SHARE MODE");
    CHECK_MSG(PQresultStatus(r) == PGRES_COMMAND_OK, "locking effects: %s", PQerrorMessage(lock));
    PQclear(r);
    json_t *body = json_pack("{s:s, s:[{s:s, s:s}]}", "customer", "fencing-effects", "lines", "product", product,
                             "output_type", "production_blend");
    char *text = json_dumps(body, JSON_COMPACT);
    json_t *order = pf_http_expect(a, "POST", "/api/orders", text, 201);
    free(text);
    json_decref(body);
    const char *line = pf_json_str(json_array_get(json_object_get(order, "lines"), 0), "id");
    char *path = pf_asprintf("/api/order-lines/%s/dispatch", line ? line : "");
    json_t *d = pf_http_expect(a, "POST", path, NULL, 202);
    free(path);
    char *run_id = pf_strdup(pf_json_str(d, "run_id") ? pf_json_str(d, "run_id") : "");
    json_decref(d);

    /* a logs its claim, which then waits for the lock */
    const char *claiming[] = {"\"event\":\"effect.claiming\"", run_id, "node publish:", NULL};
    free(pf_test_server_log_wait(a, claiming));
    char *taken = sql_value(url,
                            "UPDATE runs SET lease_owner = NULL, lease_until = now() + interval '1 hour' "
                            "WHERE id = $1 RETURNING id",
                            run_id);
    CHECK_STR(taken, run_id);
    free(taken);
    const char *noticed[] = {"\"event\":\"run.lease_lost\"", run_id, NULL};
    free(pf_test_server_log_wait(a, noticed));
    CHECK(kill(a->pid, SIGSTOP) == 0);
    char *ran_out =
        sql_value(url, "UPDATE runs SET lease_until = now() - interval '1 second' WHERE id = $1 RETURNING id", run_id);
    CHECK_STR(ran_out, run_id);
    free(ran_out);
    free(pf_test_server_log_wait(b, claiming));
    char *lease = lease_of(url, run_id);
    CHECK_STR(lease, "b 2");
    free(lease);
    r = PQexec(lock, "ROLLBACK");
    PQclear(r);
    PQfinish(lock);
    json_t *ended = pf_test_run_wait(b, run_id);
    CHECK_STR(pf_test_run_status(ended), "succeeded");
    json_decref(ended);

    /* a goes on: its claim was refused, and it ends the run here without
     * having acted */
    CHECK(kill(a->pid, SIGCONT) == 0);
    const char *lost[] = {"\"event\":\"run.lease_lost\"", run_id, "without recording its end", NULL};
    char *said = pf_test_server_log_wait(a, lost);
    CHECK_MSG(said != NULL, "server a did not say it let run %s go", run_id);
    free(said);
    char *publish = sql_value(url, EFFECT_OF "'publish'", run_id),
         *notify = sql_value(url, EFFECT_OF "'notify'", run_id);
    CHECK_STR(publish, "b 2 1"); /* a's claim left nothing: it never acted */
    CHECK_STR(notify, "b 2 1");
    free(publish);
    free(notify);
    path = pf_asprintf("/api/assets?run=%s", run_id);
    json_t *assets = pf_http_expect(b, "GET", path, NULL, 200);
    free(path);
    CHECK_INT(json_array_size(json_object_get(assets, "assets")), 1);
    json_decref(assets);
    CHECK_INT(pf_test_webhook_count_for_run(hook, run_id), 1);
    json_decref(order);
    free(run_id);
}

int main(void) {
    if (!pf_test_pg_installed()) {
        fprintf(stderr, "fencing: skipped: PostgreSQL's server binaries (initdb) are not installed\n");
        return 77;
    }
    pf_test_pg *pg = pf_test_pg_start();
    CHECK_MSG(pg != NULL, "PostgreSQL did not start (see above)");
    pf_test_webhook *hook = pf_test_webhook_start();
    CHECK(hook != NULL);
    if (!pg || !hook) {
        pf_test_pg_stop(pg);
        pf_test_webhook_stop(hook);
        return pf_check_done("fencing");
    }
    char *gate_dir = pf_test_tmpdir("fencing-gate");
    pf_test_gate gate;
    pf_test_gate_make(&gate, gate_dir);
    char *allow = pf_asprintf("http://127.0.0.1:%u/", pf_test_webhook_port(hook));
    char *hook_url = pf_asprintf("http://127.0.0.1:%u/hooks/fencing", pf_test_webhook_port(hook));
    const char *url = pf_test_pg_url(pg);

    /* a renders through the gate (a cold Blender per render, so each one
     * passes it); b renders with Blender itself. A short lease, so b takes
     * over soon after a stops. */
    setenv("PRODFLOW_BLENDER", gate.blender, 1);
    const char *args_a[] = {"--store",
                            url,
                            "--lease-seconds",
                            "2",
                            "--webhook-allow",
                            allow,
                            "--webhook-url",
                            hook_url,
                            "--server-id",
                            "a",
                            "--blender-workers",
                            "0",
                            NULL};
    pf_test_server a, b;
    memset(&b, 0, sizeof b);
    int started = pf_test_server_start(&a, args_a);
    unsetenv("PRODFLOW_BLENDER");
    if (started != 0) {
        CHECK(!"server a starts");
        pf_test_pg_stop(pg);
        pf_test_webhook_stop(hook);
        return pf_check_done("fencing");
    }
    char *product = pf_test_demo_product_ready(&a);
    CHECK(product != NULL);
    char *shared = pf_asprintf("%s/data", a.data_dir);
    const char *args_b[] = {"--store",       url,      "--lease-seconds", "2", "--webhook-allow",   allow,
                            "--webhook-url", hook_url, "--server-id",     "b", "--blender-workers", "0",
                            "--data-dir",    shared,   "--no-demo-data",  NULL};
    CHECK(pf_test_server_start(&b, args_b) == 0);

    json_t *body = json_pack("{s:s, s:[{s:s, s:s}]}", "customer", "fencing", "lines", "product", product ? product : "",
                             "output_type", "production_blend");
    char *text = json_dumps(body, JSON_COMPACT);
    json_t *order = pf_http_expect(&a, "POST", "/api/orders", text, 201);
    free(text);
    json_decref(body);
    const char *line = pf_json_str(json_array_get(json_object_get(order, "lines"), 0), "id");

    if (b.pid > 0 && line) {
        /* the line's run starts on a, which holds its lease at epoch 1, and
         * its Blender step waits at the gate */
        pf_test_gate_close(&gate);
        char *path = pf_asprintf("/api/order-lines/%s/dispatch", line);
        json_t *d = pf_http_expect(&a, "POST", path, NULL, 202);
        free(path);
        char *run_id = pf_strdup(pf_json_str(d, "run_id") ? pf_json_str(d, "run_id") : "");
        json_decref(d);
        pf_test_gate_wait(&gate, 1);
        char *lease = lease_of(url, run_id);
        CHECK_STR(lease, "a 1");
        free(lease);

        /* a stops past its lease, and at the worst moment: inside its
         * renewal, which waits for the run's row (the test holds it). Let
         * go, the renewal still matches the row and renews it; had it been
         * a step of an open transaction, a stopped a would keep the row
         * locked and no other server could claim the run. b claims the run
         * (a new epoch) once the lease runs out and delivers it, rendering
         * with its own Blender */
        PGconn *row = PQconnectdb(url);
        const char *values[] = {run_id};
        PGresult *r = PQexec(row, "BEGIN");
        PQclear(r);
        r = PQexecParams(row, "SELECT id FROM runs WHERE id = $1 FOR UPDATE", 1, NULL, values, NULL, NULL, 0);
        CHECK_MSG(PQresultStatus(r) == PGRES_TUPLES_OK, "locking the run's row: %s", PQerrorMessage(row));
        PQclear(r);
        CHECK(renewal_waits(url));
        CHECK(kill(a.pid, SIGSTOP) == 0);
        r = PQexecParams(row, "UPDATE runs SET lease_until = now() - interval '1 second' WHERE id = $1", 1, NULL,
                         values, NULL, NULL, 0);
        PQclear(r);
        r = PQexec(row, "COMMIT");
        CHECK_MSG(PQresultStatus(r) == PGRES_COMMAND_OK, "letting the row go: %s", PQerrorMessage(row));
        PQclear(r);
        PQfinish(row);
        const char *took_over[] = {"runtime.took_over", NULL};
        free(pf_test_server_log_wait(&b, took_over));
        json_t *ended = pf_test_run_wait(&b, run_id);
        CHECK_STR(pf_test_run_status(ended), "succeeded");
        json_decref(ended);
        lease = lease_of(url, run_id);
        CHECK_STR(lease, "b 2");
        free(lease);
        /* b took it from a live server (a's session is still open), which
         * counts as no stop of a server toward the stalled-run rule */
        char *alive =
            sql_value(url, "SELECT doc->'resumes'->-1->>'holder_alive' FROM run_docs WHERE run_id = $1", run_id);
        CHECK_STR(alive, "true");
        free(alive);
        json_t *before = run_doc(&b, run_id);

        /* a wakes up, its render goes through: whichever comes first, its
         * lease renewal or its commit of the render, finds the run taken
         * and a stops it without recording anything */
        CHECK(kill(a.pid, SIGCONT) == 0);
        pf_test_gate_open(&gate);
        /* a's first word on the run since it woke: that it lost it (were
         * the fence broken, it would be run.finished, or a store error) */
        const char *woke[] = {"\"event\":\"run.", run_id, NULL};
        char *said = pf_test_server_log_wait(&a, woke);
        bool lost = said && strstr(said, "\"event\":\"run.lease_lost\"");
        CHECK_MSG(lost, "server a went on with run %s after it woke: %s", run_id, said ? said : "(nothing)");
        fprintf(stderr, "fencing: a said: %s\n", said ? said : "(nothing)");
        free(said);
        const char *forgot[] = {"run.lease_lost", run_id, "without recording its end", NULL};
        if (lost) free(pf_test_server_log_wait(&a, forgot));

        /* the record is b's: nothing of a's got in, on either server */
        json_t *after_a = run_doc(&a, run_id), *after_b = run_doc(&b, run_id);
        CHECK_MSG(json_equal(before, after_a) && json_equal(before, after_b),
                  "run %s changed after a woke up (updated_at %s, then %s)", run_id,
                  pf_json_str(before, "updated_at") ? pf_json_str(before, "updated_at") : "?",
                  pf_json_str(after_a, "updated_at") ? pf_json_str(after_a, "updated_at") : "?");
        json_decref(after_a);
        json_decref(after_b);
        json_decref(before);
        lease = lease_of(url, run_id);
        CHECK_STR(lease, "b 2");
        free(lease);

        /* one published asset, one notification */
        path = pf_asprintf("/api/assets?run=%s", run_id);
        json_t *assets = pf_http_expect(&a, "GET", path, NULL, 200);
        free(path);
        CHECK_INT(json_array_size(json_object_get(assets, "assets")), 1);
        json_decref(assets);
        json_t *received = pf_test_webhook_received(hook);
        json_t *keys = json_object();
        size_t posts = 0, i;
        const json_t *entry;
        json_array_foreach(received, i, entry) {
            json_t *sent = json_loads(pf_json_str(entry, "body"), 0, NULL);
            if (pf_json_str(sent, "run_id") && strcmp(pf_json_str(sent, "run_id"), run_id) == 0) {
                posts++;
                json_object_set_new(keys, pf_json_str(entry, "idempotency_key"), json_true());
            }
            json_decref(sent);
        }
        CHECK_INT(posts, 1);
        CHECK_INT(json_object_size(keys), 1);
        json_decref(keys);
        json_decref(received);

        /* the line reads delivered on both servers */
        path = pf_asprintf("/api/order-lines/%s", line);
        json_t *doc = pf_http_expect(&a, "GET", path, NULL, 200);
        CHECK_STR(pf_json_str(doc, "status"), "delivered");
        json_decref(doc);
        free(path);
        free(run_id);

        effect_interleaving(&a, &b, url, hook, product);
    }
    json_decref(order);
    pf_test_server_stop(&b);
    pf_test_server_stop(&a);
    pf_test_webhook_stop(hook);
    pf_test_pg_stop(pg);
    pf_test_gate_free(&gate);
    free(gate_dir);
    free(shared);
    free(product);
    free(allow);
    free(hook_url);
    return pf_check_done("fencing");
}
