/* Two `prodflow serve` on one PostgreSQL database and one shared data
 * directory, a webhook receiver, and many order lines dispatched through
 * both servers at once while one of them is killed with SIGKILL: every
 * line is delivered once (one run, one published asset, one notification),
 * the survivor takes over the dead server's runs when their leases run
 * out, an event stream on one server follows a run the other executes, and
 * a cancel sent to the server that does not run a run cancels it.
 * Every wait is on a state; the polls' bounds only guard against a hang.
 * Skips (77) when PostgreSQL's server binaries are not installed. */
#include "check.h"
#include "core/json.h"
#include "core/mem.h"
#include "support/pg.h"
#include "support/server.h"
#include "support/stream.h"
#include "support/webhook.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Lines dispatched; each costs a publish and a notify (the .blend export
 * is a cache hit after the first few). */
#define N_LINES 100

static json_t *get(const pf_test_server *srv, const char *path) {
    long status = 0;
    return pf_http_json(srv, "GET", path, NULL, &status);
}

typedef struct {
    const pf_test_server *srv;
    json_t *lines; /* line ids, borrowed */
    size_t count;  /* dispatch this many, then stop */
    size_t accepted, refused, unreachable;
    json_t *runs; /* line id -> run id, for those accepted */
    size_t from;  /* dispatch_all starts here */
} dispatcher;

static void dispatch_one(dispatcher *d, size_t i) {
    const char *line = json_string_value(json_array_get(d->lines, i));
    char *path = pf_asprintf("/api/order-lines/%s/dispatch", line);
    long status = 0;
    json_t *r = pf_http_json(d->srv, "POST", path, NULL, &status);
    if (status == 202) {
        d->accepted++;
        json_object_set_new(d->runs, line, json_string(pf_json_str(r, "run_id")));
    } else if (status == 409) {
        d->refused++;
    } else {
        CHECK_MSG(status == 0, "dispatch %s: %ld %s", line, status, r ? pf_json_str(r, "detail") : "");
        d->unreachable++;
    }
    json_decref(r);
    free(path);
}

/* How many of a line's runs succeeded (delivered it). */
static size_t delivering_runs(const pf_test_server *srv, const json_t *runs) {
    size_t n = 0, i;
    const json_t *run;
    json_array_foreach(runs, i, run) {
        char *path = pf_asprintf("/api/runs/%s", pf_json_str(run, "run_id") ? pf_json_str(run, "run_id") : "");
        json_t *doc = get(srv, path);
        free(path);
        n += pf_json_str(doc, "status") && strcmp(pf_json_str(doc, "status"), "succeeded") == 0;
        json_decref(doc);
    }
    return n;
}

/* Dispatches lines[from..count) in order. */
static void *dispatch_all(void *arg) {
    dispatcher *d = arg;
    for (size_t i = d->from; i < d->count; i++)
        dispatch_one(d, i);
    return NULL;
}

/* Reads the stream into *text until it contains want (or ends). */
static bool read_until(int fd, char **text, size_t *len, const char *want) {
    while (!strstr(*text, want)) {
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return false;
        *text = pf_xrealloc(*text, *len + (size_t)n + 1);
        memcpy(*text + *len, buf, (size_t)n);
        *len += (size_t)n;
        (*text)[*len] = '\0';
    }
    return true;
}

/* An event stream on a follows a run that b executes: the run is held in
 * output.notify on b (the receiver holds its POST) while the stream on a
 * opens and sees it running; once released, b's commits reach a's stream
 * only through the database's notices. */
static void test_stream_across(pf_test_server *a, pf_test_server *b, pf_test_webhook *hook, const char *line) {
    pf_test_webhook_hold(hook, true);
    json_t *earlier = pf_test_webhook_received(hook);
    size_t before = json_array_size(earlier);
    json_decref(earlier);
    char *path = pf_asprintf("/api/order-lines/%s/dispatch", line);
    long status = 0;
    json_t *d = pf_http_json(b, "POST", path, NULL, &status);
    CHECK_INT(status, 202);
    char *run_id = pf_strdup(pf_json_str(d, "run_id") ? pf_json_str(d, "run_id") : "");
    json_decref(d);
    free(path);
    /* b's notify has posted (and waits): the run is running on b */
    pf_test_webhook_wait(hook, before + 1);
    int fd = pf_test_stream_open(a, run_id);
    CHECK(fd >= 0);
    CHECK(fd >= 0);
    char *text = pf_strdup("");
    size_t len = 0;
    /* a's first look: the run is running (on b) */
    char *running = pf_asprintf("{\"id\":\"%s\",\"status\":\"running\"}", run_id);
    char *succeeded = pf_asprintf("{\"id\":\"%s\",\"status\":\"succeeded\"}", run_id);
    CHECK_MSG(read_until(fd, &text, &len, running), "the stream on the other server: %s", text);
    pf_test_webhook_hold(hook, false);
    CHECK_MSG(read_until(fd, &text, &len, succeeded), "the stream on %s never heard of run %s ending on %s: %s",
              a->base, run_id, b->base, text);
    free(running);
    free(succeeded);
    close(fd);
    free(text);
    free(run_id);
}

/* A run's status as srv answers it (caller frees), or NULL. */
static char *run_status(const pf_test_server *srv, const char *run_id) {
    char *path = pf_asprintf("/api/runs/%s", run_id);
    json_t *doc = get(srv, path);
    char *s = pf_json_str(doc, "status") ? pf_strdup(pf_json_str(doc, "status")) : NULL;
    json_decref(doc);
    free(path);
    return s;
}

/* A cancel sent to a for a run that b executes: a holds no lease on it,
 * records the request and answers 202; b hears of it and cancels the run,
 * which ends cancelled (its notify held by the receiver meanwhile, so the
 * run is certainly still running on b when the cancel arrives). A second
 * cancel, of the run now final, is a conflict on either server. */
static void test_cancel_across(pf_test_server *a, pf_test_server *b, pf_test_webhook *hook, const char *line) {
    pf_test_webhook_hold(hook, true);
    json_t *earlier = pf_test_webhook_received(hook);
    size_t before = json_array_size(earlier);
    json_decref(earlier);
    char *path = pf_asprintf("/api/order-lines/%s/dispatch", line);
    long status = 0;
    json_t *d = pf_http_json(b, "POST", path, NULL, &status);
    CHECK_INT(status, 202);
    char *run_id = pf_strdup(pf_json_str(d, "run_id") ? pf_json_str(d, "run_id") : "");
    json_decref(d);
    free(path);
    pf_test_webhook_wait(hook, before + 1); /* b's notify has posted and waits */
    char *cancel = pf_asprintf("/api/runs/%s/cancel", run_id);
    json_t *answer = pf_http_json(a, "POST", cancel, NULL, &status);
    CHECK_MSG(status == 202, "a cancel sent to the server that does not run %s: %ld %s", run_id, status,
              pf_json_str(answer, "detail") ? pf_json_str(answer, "detail") : "");
    CHECK_STR(pf_json_str(answer, "status"), "cancelling");
    json_decref(answer);
    pf_test_webhook_hold(hook, false);
    /* a's stream of the run ends when b's cancel does (NOTIFY) */
    json_t *ended = pf_test_run_wait(a, run_id);
    char *s = pf_test_run_status(ended) ? pf_strdup(pf_test_run_status(ended)) : NULL;
    json_decref(ended);
    CHECK_MSG(s && strcmp(s, "cancelled") == 0, "run %s cancelled through the other server ended %s", run_id,
              s ? s : "(unknown)");
    free(s);
    s = run_status(b, run_id);
    CHECK_STR(s, "cancelled");
    free(s);
    json_decref(pf_http_json(a, "POST", cancel, NULL, &status));
    CHECK_INT(status, 409);
    json_decref(pf_http_json(b, "POST", cancel, NULL, &status));
    CHECK_INT(status, 409);
    free(cancel);
    free(run_id);
}

int main(void) {
    if (!pf_test_pg_installed()) {
        fprintf(stderr, "two_servers: skipped: PostgreSQL's server binaries (initdb) are not installed\n");
        return 77;
    }
    pf_test_pg *pg = pf_test_pg_start();
    CHECK_MSG(pg != NULL, "PostgreSQL did not start (see above)");
    pf_test_webhook *hook = pf_test_webhook_start();
    CHECK(hook != NULL);
    if (!pg || !hook) {
        pf_test_pg_stop(pg);
        pf_test_webhook_stop(hook);
        return pf_check_done("two_servers");
    }
    char *allow = pf_asprintf("http://127.0.0.1:%u/", pf_test_webhook_port(hook));
    char *hook_url = pf_asprintf("http://127.0.0.1:%u/hooks/two", pf_test_webhook_port(hook));
    const char *url = pf_test_pg_url(pg);
    /* a seeds the demo data, whose intake runs on a */
    const char *args_a[] = {
        "--store", url, "--lease-seconds", "2", "--webhook-allow", allow, "--webhook-url", hook_url, "--server-id",
        "a",       NULL};
    pf_test_server a, b;
    memset(&b, 0, sizeof b);
    if (pf_test_server_start(&a, args_a) != 0) {
        CHECK(!"server a starts");
        pf_test_pg_stop(pg);
        pf_test_webhook_stop(hook);
        return pf_check_done("two_servers");
    }
    char *product = pf_test_demo_product_ready(&a);
    CHECK(product != NULL);
    char *shared = pf_asprintf("%s/data", a.data_dir);
    const char *args_b[] = {"--store",        url,      "--lease-seconds", "2", "--webhook-allow", allow,
                            "--webhook-url",  hook_url, "--server-id",     "b", "--data-dir",      shared,
                            "--no-demo-data", NULL};
    CHECK(pf_test_server_start(&b, args_b) == 0);

    /* one order of N_LINES + 2 lines of the demo product as production
     * .blend: the last two for the stream and the cancel */
    json_t *lines = json_array();
    for (int i = 0; i <= N_LINES + 1; i++)
        json_array_append_new(
            lines, json_pack("{s:s, s:s}", "product", product ? product : "", "output_type", "production_blend"));
    json_t *body = json_pack("{s:s, s:o}", "customer", "two servers", "lines", lines);
    char *text = json_dumps(body, JSON_COMPACT);
    long status = 0;
    json_t *order = pf_http_json(&a, "POST", "/api/orders", text, &status);
    CHECK_INT(status, 201);
    free(text);
    json_decref(body);
    json_t *ids = json_array();
    size_t i;
    const json_t *line;
    json_array_foreach(json_object_get(order, "lines"), i, line)
        json_array_append_new(ids, json_string(pf_json_str(line, "id")));
    json_t *stream_line = json_incref(json_array_get(ids, N_LINES));
    json_t *cancel_line = json_incref(json_array_get(ids, N_LINES + 1));
    json_array_remove(ids, N_LINES + 1);
    json_array_remove(ids, N_LINES);

    if (b.pid > 0 && json_array_size(ids) == N_LINES) {
        /* the stream test first, while both servers live */
        test_stream_across(&a, &b, hook, json_string_value(stream_line));
        test_cancel_across(&a, &b, hook, json_string_value(cancel_line));

        /* both dispatch every line at once; b stops halfway and is killed
         * while its runs are in flight: the receiver holds the POSTs
         * meanwhile, so none of b's runs can get past output.notify before
         * the kill, and a must take every one of them over */
        pf_test_webhook_hold(hook, true);
        /* a goes through the lines from the first, b from the last, so
         * they meet and contend in the middle; b takes its first line
         * before a starts, so b certainly has runs to lose. */
        json_t *reversed = json_array();
        for (size_t k = N_LINES; k-- > 0;)
            json_array_append(reversed, json_array_get(ids, k));
        dispatcher da = {.srv = &a, .lines = ids, .count = N_LINES, .runs = json_object()};
        dispatcher db = {.srv = &b, .lines = reversed, .count = N_LINES / 2, .runs = json_object(), .from = 1};
        dispatch_one(&db, 0);
        pthread_t ta, tb;
        pthread_create(&ta, NULL, dispatch_all, &da);
        pthread_create(&tb, NULL, dispatch_all, &db);
        pthread_join(tb, NULL);
        pf_test_server_signal(&b, SIGKILL);
        pf_test_webhook_hold(hook, false);
        pthread_join(ta, NULL);
        fprintf(stderr, "two_servers: a accepted %zu, refused %zu; b accepted %zu, refused %zu before it was killed\n",
                da.accepted, da.refused, db.accepted, db.refused);
        CHECK(db.accepted > 0);
        /* A line both servers dispatched is one whose first run ended
         * without delivering it (under load, a run whose lease passed to
         * the other server can fail there), which a dispatch may take up
         * again; below, each line is delivered by exactly one run. */
        size_t both = 0;
        json_array_foreach(ids, i, line) {
            const char *id = json_string_value(line);
            both += json_object_get(da.runs, id) && json_object_get(db.runs, id);
        }
        fprintf(stderr, "two_servers: %zu lines dispatched by both servers\n", both);

        /* every line ends delivered: b's runs are taken over by a when
         * their leases run out. A line b recorded but had not started when
         * it died reads failed, and an operator dispatches it again. */
        size_t redispatched = 0;
        json_array_foreach(ids, i, line) {
            const char *id = json_string_value(line);
            for (int dispatches = 0;;) {
                char *path = pf_asprintf("/api/order-lines/%s", id);
                json_t *doc = get(&a, path);
                free(path);
                const char *s = pf_json_str(doc, "status");
                const json_t *runs = json_object_get(doc, "runs");
                const char *last = pf_json_str(json_array_get(runs, json_array_size(runs) - 1), "run_id");
                bool delivered = s && !strcmp(s, "delivered"), again = s && (!strcmp(s, "failed") || !strcmp(s, "new"));
                char *run_id = !delivered && !again && last ? pf_strdup(last) : NULL;
                json_decref(doc);
                if (delivered) break;
                if (again && dispatches == 3) {
                    CHECK_MSG(false, "line %s is still not delivered after %d dispatches", id, dispatches);
                    break;
                }
                if (again) {
                    dispatches++;
                    path = pf_asprintf("/api/order-lines/%s/dispatch", id);
                    json_decref(pf_http_json(&a, "POST", path, NULL, &status));
                    free(path);
                    redispatched++;
                    continue;
                }
                CHECK_MSG(run_id != NULL, "line %s is %s without a run", id, s ? s : "unreadable");
                if (!run_id) break;
                /* b's runs end on a once their leases run out; a run b
                 * recorded on the line but did not create before it died
                 * does not exist, and the line reads failed once that
                 * dispatch's lease runs out */
                path = pf_asprintf("/api/runs/%s", run_id);
                json_t *run = pf_http_json(&a, "GET", path, NULL, &status);
                free(path);
                json_decref(run);
                if (status == 200) json_decref(pf_test_run_wait(&a, run_id));
                free(run_id);
            }
        }
        fprintf(stderr, "two_servers: %zu lines dispatched again after the kill\n", redispatched);

        /* one delivered run per line, one published asset, one notification */
        json_t *received = pf_test_webhook_received(hook);
        size_t posts_total = 0;
        json_array_foreach(ids, i, line) {
            char *path = pf_asprintf("/api/order-lines/%s", json_string_value(line));
            json_t *doc = get(&a, path);
            free(path);
            CHECK_STR(pf_json_str(doc, "status"), "delivered");
            const json_t *runs = json_object_get(doc, "runs");
            CHECK_MSG(delivering_runs(&a, runs) == 1, "line %s was delivered by %zu runs", json_string_value(line),
                      delivering_runs(&a, runs));
            const char *run_id = pf_json_str(json_array_get(runs, json_array_size(runs) - 1), "run_id");
            path = pf_asprintf("/api/assets?run=%s", run_id ? run_id : "");
            json_t *assets = get(&a, path);
            free(path);
            CHECK_MSG(json_array_size(json_object_get(assets, "assets")) == 1, "line %s: %zu assets",
                      json_string_value(line), json_array_size(json_object_get(assets, "assets")));
            json_decref(assets);
            /* notifications of this line's runs, by idempotency key: a
             * repeat (a notify cut by the kill, run again by a) carries
             * the same key, which the receiver drops */
            json_t *keys = json_object();
            size_t k;
            const json_t *entry;
            json_array_foreach(received, k, entry) {
                json_t *b2 = json_loads(pf_json_str(entry, "body"), 0, NULL);
                size_t r;
                const json_t *run;
                json_array_foreach(runs, r, run) {
                    if (pf_json_str(b2, "run_id") && pf_json_str(run, "run_id") &&
                        strcmp(pf_json_str(b2, "run_id"), pf_json_str(run, "run_id")) == 0) {
                        json_object_set_new(keys, pf_json_str(entry, "idempotency_key"), json_true());
                        posts_total++;
                    }
                }
                json_decref(b2);
            }
            CHECK_MSG(json_object_size(keys) == 1, "line %s: %zu notifications", json_string_value(line),
                      json_object_size(keys));
            json_decref(keys);
            json_decref(doc);
        }
        fprintf(stderr, "two_servers: %zu notification POSTs for %d lines\n", posts_total, N_LINES);
        json_decref(received);
        json_decref(da.runs);
        json_decref(db.runs);
        json_decref(reversed);
    }
    json_decref(stream_line);
    json_decref(cancel_line);
    json_decref(ids);
    json_decref(order);
    pf_test_server_stop(&b); /* stops it if it still runs; frees what it holds either way */
    pf_test_server_stop(&a);
    pf_test_webhook_stop(hook);
    pf_test_pg_stop(pg);
    free(shared);
    free(product);
    free(allow);
    free(hook_url);
    return pf_check_done("two_servers");
}
