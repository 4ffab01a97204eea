/* What issue 14 found in the API, through a real `prodflow serve`: run
 * requests whose fields have the wrong type, bodies that only look like
 * JSON, and version pins that are not whole numbers; concurrent edits of
 * one revision of a file-backed document (compare-and-swap); deleting
 * what orders and output types still use; endless uploads, the disk
 * quota, a CAD file kept once and one whose intake failed collected;
 * signed, expiring links for customers. */
#include "check.h"
#include "core/json.h"

#include "api/links.h"
#include "cad/fixture.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"
#include "support/server.h"
#include "support/tmpdir.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static pf_test_server srv;

/* A request answered with want_status and a problem at pointer. */
static void expect_problem(const char *method, const char *path, const char *body, const char *content_type,
                           long want_status, const char *pointer) {
    pf_http_reply r;
    if (pf_http(&srv, method, path, body, body ? strlen(body) : 0, content_type, &r) != 0) {
        CHECK_MSG(0, "%s %s %s: no answer", method, path, body ? body : "");
        return;
    }
    CHECK_MSG(r.status == want_status, "%s %s %s: status %ld, not %ld: %s", method, path, body ? body : "", r.status,
              want_status, r.body);
    CHECK_MSG(pf_problems_have(json_object_get(r.json, "errors"), pointer), "%s %s %s: no problem at %s: %s", method,
              path, body ? body : "", pointer, r.body);
    pf_http_reply_free(&r);
}

/* Overrides of the wrong type, a body type that only starts like JSON and
 * version pins that are not whole numbers are refused, each at its pointer,
 * before any run starts. */
static void test_strict_run_requests(void) {
    static const char *const wrong[] = {"null", "true", "0", "\"x\"", "[]"};
    static const char *const fields[] = {"overrides", "line_overrides"};
    for (size_t f = 0; f < 2; f++)
        for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
            char *body = pf_asprintf("{\"workflow\":{\"id\":\"starter-cad-intake\"},\"%s\":%s}", fields[f], wrong[i]);
            char *pointer = pf_asprintf("/%s", fields[f]);
            expect_problem("POST", "/api/runs", body, NULL, 422, pointer);
            free(pointer);
            free(body);
        }
    static const char *const versions[] = {"1e308", "2.0", "0", "-1", "\"1\"", "null", "4294967297"};
    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++) {
        char *body = pf_asprintf("{\"workflow\":{\"id\":\"starter-cad-intake\",\"version\":%s}}", versions[i]);
        expect_problem("POST", "/api/runs", body, NULL, 422, "/workflow/version");
        free(body);
    }
    /* a whole version passes the shape check and is looked up */
    expect_problem("POST", "/api/runs", "{\"workflow\":{\"id\":\"no-such-workflow\",\"version\":1}}", NULL, 404,
                   "/workflow/id");

    /* only application/json itself is JSON; its parameters are allowed */
    const char *body = "{\"workflow\":{\"id\":\"no-such-workflow\"}}";
    static const char *const not_json[] = {"application/jsonx", "application/json-patch+json", "text/json",
                                           "application/x-json", "application/json5; charset=utf-8"};
    for (size_t i = 0; i < sizeof not_json / sizeof *not_json; i++)
        expect_problem("POST", "/api/runs", body, not_json[i], 415, "/headers/Content-Type");
    expect_problem("POST", "/api/runs", body, "application/json; charset=utf-8", 404, "/workflow/id");
    expect_problem("POST", "/api/runs", body, "Application/JSON", 404, "/workflow/id");
}

#define RACERS 24

/* RACERS PUTs of path, all made from the revision one GET answered, each
 * with its own description, sent at once over their own connections. The
 * check-and-write is atomic, so whatever the interleaving exactly one is
 * saved and every other is refused at /revision; the saved one is what a
 * GET answers afterwards (no lost update). Descriptions differ from round
 * to round: the revision is a digest of the content, so writing the content
 * that is already there keeps it. */
static void race_puts(const char *path, int round) {
    long status;
    json_t *doc = pf_http_json(&srv, "GET", path, NULL, &status);
    CHECK_INT(status, 200);
    CHECK_MSG(json_is_string(json_object_get(doc, "revision")), "%s has no revision", path);
    json_object_del(doc, "source");
    CURLM *multi = curl_multi_init();
    CURL *easy[RACERS];
    pf_http_reply replies[RACERS];
    char *bodies[RACERS];
    struct curl_slist *headers = NULL;
    char *auth = pf_asprintf("Authorization: Bearer %s", srv.token);
    headers = curl_slist_append(headers, auth);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    char *url = pf_asprintf("%s%s", srv.base, path);
    for (int i = 0; i < RACERS; i++) {
        char *description = pf_asprintf("round %d edit %d", round, i);
        json_object_set_new(doc, "description", json_string(description));
        free(description);
        bodies[i] = json_dumps(doc, JSON_COMPACT);
        memset(&replies[i], 0, sizeof replies[i]);
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, bodies[i]);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, pf_http_collect_body);
        curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &replies[i]);
        curl_easy_setopt(easy[i], CURLOPT_NOPROXY, "*");
        curl_easy_setopt(easy[i], CURLOPT_FORBID_REUSE, 1L);
        curl_multi_add_handle(multi, easy[i]);
    }
    for (int running = 1; running;) {
        curl_multi_perform(multi, &running);
        if (running) curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    int saved = -1, ok = 0, conflicts = 0;
    for (int i = 0; i < RACERS; i++) {
        pf_http_read_reply(easy[i], &replies[i]);
        if (replies[i].status == 200) {
            ok++;
            saved = i;
        } else if (replies[i].status == 409 &&
                   pf_problems_have(json_object_get(replies[i].json, "errors"), "/revision"))
            conflicts++;
        else
            CHECK_MSG(0, "PUT %s: %ld %s", path, replies[i].status, replies[i].body);
        curl_multi_remove_handle(multi, easy[i]);
        curl_easy_cleanup(easy[i]);
        pf_http_reply_free(&replies[i]);
        free(bodies[i]);
    }
    CHECK_MSG(ok == 1, "PUT %s: %d of %d PUTs of one revision were saved", path, ok, RACERS);
    CHECK_INT(conflicts, RACERS - 1);
    json_decref(doc);
    doc = pf_http_json(&srv, "GET", path, NULL, &status);
    char *want = pf_asprintf("round %d edit %d", round, saved);
    CHECK_STR(pf_json_str(doc, "description"), want);
    free(want);
    json_decref(doc);
    curl_multi_cleanup(multi);
    curl_slist_free_all(headers);
    free(url);
    free(auth);
}

static void test_compare_and_swap(void) {
    for (int round = 0; round < 3; round++) {
        race_puts("/api/material-libraries/default", round);
        race_puts("/api/templates/studio_white", round);
    }
}

/* A request answered with want_status; the parsed answer (new reference). */
static json_t *call(const char *method, const char *path, const char *body, long want_status) {
    long status;
    json_t *doc = pf_http_json(&srv, method, path, body, &status);
    if (status != want_status) {
        char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        CHECK_MSG(0, "%s %s: %ld, not %ld: %s", method, path, status, want_status, text ? text : "");
        free(text);
    }
    return doc;
}

/* The problem detail of a refused DELETE mentions every one of the words. */
static void expect_in_use(const char *path, const char *const *words) {
    json_t *doc = call("DELETE", path, NULL, 409);
    const char *detail = pf_json_str(doc, "detail") ? pf_json_str(doc, "detail") : "";
    for (size_t i = 0; words[i]; i++)
        CHECK_MSG(strstr(detail, words[i]) != NULL, "DELETE %s: \"%s\" does not name \"%s\"", path, detail, words[i]);
    json_decref(doc);
}

/* An output type from share/output-types/NAME.json under another key,
 * priced by tier, linked to workflow (NULL: as shipped). */
static char *output_type(const char *name, const char *key, const char *tier, const char *workflow) {
    char *path = pf_asprintf("%s/share/output-types/%s.json", PF_SOURCE_DIR, name);
    json_t *doc = json_load_file(path, 0, NULL);
    free(path);
    CHECK_MSG(doc != NULL, "cannot read share/output-types/%s.json", name);
    json_object_set_new(doc, "key", json_string(key));
    json_object_set_new(doc, "pricing_tier", json_string(tier));
    if (workflow) json_object_set_new(doc, "workflow", json_pack("{s:s, s:i}", "id", workflow, "version", 1));
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

/* Deleting what something else uses is refused with 409 naming the user,
 * and allowed once nothing does. */
static void test_referenced_deletes(void) {
    json_decref(call("POST", "/api/categories", "{\"key\":\"chairs\",\"name\":\"Chairs\"}", 201));
    json_decref(call("POST", "/api/pricing-tiers",
                     "{\"key\":\"basic\",\"name\":\"Basic\",\"currency\":\"EUR\",\"prices\":{\"still_image\":10}}",
                     201));
    char *type = output_type("studio_still", "chair_still", "basic", NULL);
    json_decref(call("POST", "/api/output-types", type, 201));
    free(type);
    json_t *p1 = call("POST", "/api/products", "{\"name\":\"Stool\",\"sku\":\"ST-1\",\"category\":\"chairs\"}", 201);
    json_t *p2 = call("POST", "/api/products", "{\"name\":\"Chair\",\"sku\":\"CH-1\",\"category\":\"chairs\"}", 201);
    const char *stool = pf_json_str(p1, "id"), *chair = pf_json_str(p2, "id");
    char *body = pf_asprintf("{\"customer\":\"Acme\",\"lines\":[{\"product\":\"%s\",\"output_type\":\"chair_still\"},"
                             "{\"product\":\"%s\",\"output_type\":\"chair_still\"}]}",
                             stool ? stool : "", chair ? chair : "");
    json_t *order = call("POST", "/api/orders", body, 201);
    free(body);
    const char *order_id = pf_json_str(order, "id") ? pf_json_str(order, "id") : "(no order)";
    /* a line not yet dispatched has published nothing: its assets (with
     * their signed links once there are some) are an empty list */
    const char *line_id = pf_json_str(json_array_get(json_object_get(order, "lines"), 0), "id");
    char *line_path = pf_asprintf("/api/order-lines/%s", line_id ? line_id : "");
    json_t *line = call("GET", line_path, NULL, 200);
    CHECK(json_is_array(json_object_get(line, "assets")) && json_array_size(json_object_get(line, "assets")) == 0);
    json_decref(line);
    free(line_path);

    /* the chair is on line 2 of the order: it stays, and so does the line's product */
    char *path = pf_asprintf("/api/products/%s", chair ? chair : "");
    expect_in_use(path, (const char *const[]){"CH-1", order_id, "line 2", NULL});
    json_decref(call("GET", path, NULL, 200));
    free(path);
    /* the output type is on both lines */
    expect_in_use("/api/output-types/chair_still", (const char *const[]){order_id, "line 1", "line 2", NULL});
    expect_in_use("/api/pricing-tiers/basic", (const char *const[]){"chair_still", NULL});
    expect_in_use("/api/categories/chairs", (const char *const[]){"CH-1", "ST-1", NULL});

    /* a stored workflow an output type links to stays while the link does */
    char *wf_path = pf_asprintf("%s/share/workflows/order_still.json", PF_SOURCE_DIR);
    json_t *wf = json_load_file(wf_path, 0, NULL);
    free(wf_path);
    CHECK(wf != NULL);
    json_object_set_new(wf, "id", json_string("chair-still"));
    json_object_del(wf, "version");
    char *wf_text = json_dumps(wf, JSON_COMPACT);
    json_decref(wf);
    json_decref(call("POST", "/api/workflows", wf_text, 201));
    free(wf_text);
    type = output_type("studio_still_v2", "chair_still_graph", "basic", "chair-still");
    json_decref(call("POST", "/api/output-types", type, 201));
    free(type);
    expect_in_use("/api/workflows/chair-still", (const char *const[]){"chair_still_graph", NULL});
    json_decref(call("DELETE", "/api/output-types/chair_still_graph", NULL, 204));
    json_decref(call("DELETE", "/api/workflows/chair-still", NULL, 204));

    /* a product no order uses can go */
    path = pf_asprintf("/api/products/%s", stool ? stool : "");
    expect_in_use(path, (const char *const[]){"ST-1", order_id, "line 1", NULL});
    free(path);
    json_t *p3 = call("POST", "/api/products", "{\"name\":\"Bench\",\"sku\":\"BE-1\",\"category\":\"chairs\"}", 201);
    path = pf_asprintf("/api/products/%s", pf_json_str(p3, "id") ? pf_json_str(p3, "id") : "");
    json_decref(call("DELETE", path, NULL, 204));
    free(path);
    json_decref(p3);
    json_decref(order);
    json_decref(p1);
    json_decref(p2);
}

/* A client that sends path an endless chunked body, 64 KiB a chunk, up to
 * give_up bytes, reading whatever the server answers between chunks. What
 * it saw: the status answered (0: none), whether the server closed the
 * connection, and how much it had sent by then. */
typedef struct {
    long status;
    bool closed;
    size_t sent;
    char answer[4096];
} endless_result;

static void endless_upload(const pf_test_server *s, const char *path, const char *content_type, size_t give_up,
                           endless_result *out) {
    memset(out, 0, sizeof *out);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    /* a guard against a server that neither reads nor answers, not a measurement */
    struct timeval guard = {.tv_sec = 60};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &guard, sizeof guard);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof guard);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        CHECK_MSG(0, "connect: %s", strerror(errno));
        close(fd);
        return;
    }
    char *head = pf_asprintf("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAuthorization: Bearer %s\r\nContent-Type: "
                             "%s\r\nTransfer-Encoding: chunked\r\n\r\n",
                             path, s->port, s->token, content_type);
    bool ok = send(fd, head, strlen(head), MSG_NOSIGNAL) == (ssize_t)strlen(head);
    free(head);
    enum { CHUNK = 64 << 10 };
    static char chunk[CHUNK + 16];
    int n = snprintf(chunk, 16, "%x\r\n", CHUNK);
    memset(chunk + n, '{', CHUNK);
    memcpy(chunk + n + CHUNK, "\r\n", 2);
    size_t chunk_len = (size_t)n + CHUNK + 2, got = 0;
    while (ok && !out->closed && out->sent < give_up) {
        ssize_t w = send(fd, chunk, chunk_len, MSG_NOSIGNAL);
        if (w < 0) {
            out->closed = errno == EPIPE || errno == ECONNRESET;
            break;
        }
        out->sent += (size_t)w;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        while (!out->closed && poll(&p, 1, 0) > 0) {
            ssize_t r = recv(fd, out->answer + got, sizeof out->answer - 1 - got, 0);
            if (r <= 0) out->closed = true;
            if (r > 0) got += (size_t)r;
            if (got == sizeof out->answer - 1) break;
        }
    }
    /* the rest of the answer, if the send failed first */
    for (ssize_t r; !out->sent || out->closed || out->sent >= give_up;) {
        if (got >= sizeof out->answer - 1 || (r = recv(fd, out->answer + got, sizeof out->answer - 1 - got, 0)) <= 0)
            break;
        got += (size_t)r;
    }
    out->answer[got] = '\0';
    int code = 0;
    if (sscanf(out->answer, "HTTP/1.1 %d", &code) == 1) out->status = code;
    close(fd);
}

/* An endless body is refused once it passes the limit, and the connection
 * closed while the client is still sending: on upload routes (streamed to
 * disk) and on JSON routes (held in memory). */
static void test_endless_uploads(void) {
    const size_t give_up = 64u << 20; /* 64 times the limits the server was started with */
    endless_result r;
    endless_upload(&srv, "/api/cad-files", "application/octet-stream", give_up, &r);
    CHECK_MSG(r.status == 413, "endless upload: status %ld after %zu bytes: %s", r.status, r.sent, r.answer);
    CHECK_MSG(r.closed && r.sent < give_up, "endless upload: still connected after %zu bytes", r.sent);
    CHECK_MSG(strstr(r.answer, "--max-upload") != NULL, "%s", r.answer);
    endless_upload(&srv, "/api/workflows/validate", "application/json", give_up, &r);
    CHECK_MSG(r.status == 413, "endless JSON body: status %ld after %zu bytes: %s", r.status, r.sent, r.answer);
    CHECK_MSG(r.closed && r.sent < give_up, "endless JSON body: still connected after %zu bytes", r.sent);
    /* the server answers on */
    long status;
    json_decref(pf_http_json(&srv, "GET", "/api/health", NULL, &status));
    CHECK_INT(status, 200);
    /* and nothing of the refused upload is left behind */
    char *tmp = pf_asprintf("%s/data/cad/tmp", srv.data_dir);
    DIR *d = opendir(tmp);
    size_t left = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.') left++;
    if (d) closedir(d);
    CHECK_INT(left, 0);
    free(tmp);
}

/* With --disk-quota, an upload that would take the data directory over it
 * is refused with 507: from its Content-Length before it is read, or once
 * it passes the quota when it announces no length. */
static void test_disk_quota(void) {
    pf_test_server q;
    const char *const args[] = {"--no-demo-data", "--disk-quota", "16777216", NULL};
    if (pf_test_server_start(&q, args) != 0) {
        CHECK_MSG(0, "server start with --disk-quota");
        return;
    }
    size_t big_len = 17u << 20;
    char *big = pf_xmalloc(big_len);
    memset(big, 'x', big_len);
    pf_http_reply reply;
    CHECK(pf_http(&q, "POST", "/api/cad-files", big, big_len, "application/octet-stream", &reply) == 0);
    CHECK_MSG(reply.status == 507, "over the quota: %ld %s", reply.status, reply.body);
    CHECK_MSG(reply.body && strstr(reply.body, "disk quota") && strstr(reply.body, "--disk-quota"), "%s", reply.body);
    CHECK_MSG(reply.body && !strstr(reply.body, q.data_dir), "the answer shows a server path: %s", reply.body);
    pf_http_reply_free(&reply);
    free(big);
    endless_result r;
    endless_upload(&q, "/api/cad-files", "application/octet-stream", 64u << 20, &r);
    CHECK_MSG(r.status == 507, "endless upload over the quota: status %ld: %s", r.status, r.answer);
    CHECK(r.closed && r.sent < (64u << 20));
    /* what fits is taken (and refused for what it is, not for its size) */
    CHECK(pf_http(&q, "POST", "/api/cad-files", "not a STEP file", 15, "application/octet-stream", &reply) == 0);
    CHECK_MSG(reply.status == 422, "a small upload: %ld %s", reply.status, reply.body);
    pf_http_reply_free(&reply);
    pf_test_server_stop(&q);

    /* At the quota (a byte: the data directory holds at least the server's
     * secrets, whatever the store), new work is refused too, since runs
     * write artifacts; a cancel is not new work. */
    const char *const full_args[] = {"--no-demo-data", "--disk-quota", "1", NULL};
    if (pf_test_server_start(&q, full_args) != 0) {
        CHECK_MSG(0, "server start with a full quota");
        return;
    }
    static const struct {
        const char *path, *body;
    } work[] = {
        {"/api/runs", "{\"workflow\": {\"id\": \"starter-cad-intake\"}, \"context\": {\"step_path\": \"x.step\"}}"},
        {"/api/runs/run_none/rerun", NULL},
        {"/api/order-lines/line_none/dispatch", NULL},
    };
    for (size_t i = 0; i < sizeof work / sizeof *work; i++) {
        CHECK(pf_http(&q, "POST", work[i].path, work[i].body, work[i].body ? strlen(work[i].body) : 0, NULL, &reply) ==
              0);
        CHECK_MSG(reply.status == 507 && reply.body && strstr(reply.body, "--disk-quota") &&
                      !strstr(reply.body, q.data_dir),
                  "%s at the quota: %ld %s", work[i].path, reply.status, reply.body);
        pf_http_reply_free(&reply);
    }
    CHECK(pf_http(&q, "POST", "/api/runs/run_none/cancel", NULL, 0, NULL, &reply) == 0);
    CHECK_MSG(reply.status == 404, "a cancel at the quota: %ld %s", reply.status, reply.body);
    pf_http_reply_free(&reply);
    pf_test_server_stop(&q);
}

/* An uploaded STEP file is kept once: the intake's step artifact is the
 * same file as DATA/cad/<digest>.step, not a second copy in artifacts/. */
static char uploaded_sha[65]; /* the STEP file test_cad_file_stored_once kept */
static char *uploaded_bytes;
static size_t uploaded_len;

static void test_cad_file_stored_once(void) {
    char *dir = pf_test_tmpdir("hardening"), *step = pf_asprintf("%s/part.step", dir);
    pf_fixture_opts fo = {.bolts = 2};
    pf_error *err = pf_cad_make_fixture(step, &fo);
    CHECK(err == NULL);
    pf_error_free(err);
    char *bytes = NULL;
    size_t len = 0;
    err = pf_read_file(step, 1u << 20, &bytes, &len);
    CHECK_MSG(err == NULL, "the fixture is over 1 MiB");
    pf_error_free(err);
    pf_http_reply r;
    CHECK(pf_http(&srv, "POST", "/api/cad-files?filename=part.step", bytes, len, "application/octet-stream", &r) == 0);
    CHECK_MSG(r.status == 201, "upload: %ld %s", r.status, r.body);
    char *sha = pf_strdup(pf_json_str(r.json, "sha256") ? pf_json_str(r.json, "sha256") : "");
    pf_http_reply_free(&r);
    /* wait for the intake to end, however it ends */
    char *path = pf_asprintf("/api/cad-files/%s", sha);
    json_decref(pf_test_intake_wait(&srv, path));
    char *kept = pf_asprintf("%s/data/cad/%s.step", srv.data_dir, sha);
    char *artifact = pf_asprintf("%s/data/artifacts/sha256/%.2s/%s", srv.data_dir, sha, sha);
    struct stat a, b;
    CHECK_MSG(stat(kept, &a) == 0, "no %s", kept);
    CHECK_MSG(stat(artifact, &b) == 0, "the intake stored no step artifact");
    CHECK_MSG(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "the upload is stored twice: cad/ and artifacts/");
    snprintf(uploaded_sha, sizeof uploaded_sha, "%s", sha);
    uploaded_bytes = bytes;
    uploaded_len = len;
    free(artifact);
    free(kept);
    free(path);
    free(sha);
    free(step);
    free(dir);
}

/* An anonymous GET: the status and body. */
static long anonymous_get(const char *path, pf_http_reply *r) {
    if (pf_http_as(&srv, NULL, NULL, "GET", path, NULL, 0, NULL, r) != 0) return 0;
    return r->status;
}

static void expect_anonymous(const char *path, long want, const char *pointer) {
    pf_http_reply r;
    long status = anonymous_get(path, &r);
    CHECK_MSG(status == want, "GET %s without a token: %ld, not %ld: %s", path, status, want, r.body);
    if (pointer)
        CHECK_MSG(pf_problems_have(json_object_get(r.json, "errors"), pointer), "GET %s: no problem at %s: %s", path,
                  pointer, r.body);
    pf_http_reply_free(&r);
}

/* A run publishes the GLB of the uploaded STEP file; /api/assets hands out a signed,
 * expiring link to it that works without a token, and stops working when
 * any part of it is changed or it has expired. The stable /published/ URL
 * takes a token. */
static void test_signed_links(void) {
    if (!uploaded_bytes) return;
    char *body = pf_asprintf(
        "{\"workflow\":{\"schema\":\"prodflow.workflow/v1\",\"id\":\"publish-glb\",\"name\":\"Publish the "
        "GLB\",\"family\":\"cad_file\",\"nodes\":[{\"id\":\"resolve\",\"step\":\"cad.resolve_step_path\"},"
        "{\"id\":\"glb\",\"step\":\"cad.export_glb\"},{\"id\":\"publish\",\"step\":\"output.publish_asset\"}],"
        "\"edges\":[{\"from\":{\"node\":\"resolve\",\"port\":\"step\"},\"to\":{\"node\":\"glb\",\"port\":"
        "\"step\"}},{\"from\":{\"node\":\"glb\",\"port\":\"glb\"},\"to\":{\"node\":\"publish\",\"port\":"
        "\"artifact\"}}]},\"context\":{\"step_path\":\"cad/%s.step\"}}",
        uploaded_sha);
    json_t *started = call("POST", "/api/runs", body, 202);
    free(body);
    json_t *run = pf_test_run_wait(&srv, pf_json_str(started, "id") ? pf_json_str(started, "id") : "-");
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    char *list_path = pf_asprintf("/api/assets?run=%s", pf_json_str(started, "id"));
    json_t *list = call("GET", list_path, NULL, 200);
    const json_t *asset = json_array_get(json_object_get(list, "assets"), 0);
    const char *signed_url = pf_json_str(asset, "url_signed"), *url = pf_json_str(asset, "url");
    const char *id = pf_json_str(asset, "id");
    CHECK_MSG(signed_url && id && !strncmp(signed_url, "/api/shared/", 12), "no signed link: %s",
              signed_url ? signed_url : "(none)");
    CHECK(pf_json_str(asset, "expires_at") != NULL);
    if (signed_url && url && id) {
        /* the link works without a token, with byte ranges as artifacts do */
        pf_http_reply r;
        CHECK_INT(anonymous_get(signed_url, &r), 200);
        char digest[65] = "";
        if (r.body) pf_sha256_hex(r.body, r.len, digest);
        CHECK_STR(digest, pf_json_str(asset, "sha256"));
        pf_http_reply_free(&r);
        /* the stable URL takes a token */
        expect_anonymous(url, 401, "/headers/Authorization");
        pf_http_reply ok;
        CHECK(pf_http(&srv, "GET", url, NULL, 0, NULL, &ok) == 0 && ok.status == 200);
        pf_http_reply_free(&ok);

        /* any change breaks it */
        char *tampered = pf_strdup(signed_url);
        char *last = tampered + strlen(tampered) - 1;
        *last = *last == '0' ? '1' : '0';
        expect_anonymous(tampered, 403, "/query/sig");
        free(tampered);
        const char *e = strstr(signed_url, "expires=");
        long long expires = e ? atoll(e + 8) : 0;
        const char *sig = strstr(signed_url, "sig=");
        char *later = pf_asprintf("/api/shared/%s?expires=%lld&%s", id, expires + 1, sig ? sig : "");
        expect_anonymous(later, 403, "/query/sig");
        free(later);
        char *other = pf_asprintf("/api/shared/%sx?expires=%lld&%s", id, expires, sig ? sig : "");
        expect_anonymous(other, 403, "/query/sig");
        free(other);
        char *unsigned_link = pf_asprintf("/api/shared/%s", id);
        expect_anonymous(unsigned_link, 403, "/query/sig");
        free(unsigned_link);

        /* a link the server signed that has expired is gone */
        char *key_path = pf_asprintf("%s/data/secrets/links.key", srv.data_dir), *key = NULL;
        size_t key_len = 0;
        pf_error *err = pf_read_file(key_path, 4096, &key, &key_len);
        CHECK_MSG(err == NULL, "no link key at DATA/secrets/links.key");
        pf_error_free(err);
        while (key && key_len && (key[key_len - 1] == '\n' || key[key_len - 1] == '\r'))
            key[--key_len] = '\0';
        char *path = pf_asprintf("/api/shared/%s", id);
        char *expired = key ? pf_link_sign(key, path, 1000000000) : NULL; /* 2001 */
        if (expired) expect_anonymous(expired, 410, "/query/expires");
        free(expired);
        free(path);
        free(key);
        free(key_path);
    }
    json_decref(list);
    free(list_path);
    json_decref(run);
    json_decref(started);
}

static const char *const args[] = {"--no-demo-data", "--threads",  "8",       "--max-upload",
                                   "1048576",        "--max-body", "1048576", NULL};

/* The intake status of a CAD file once it has ended (NULL: no such file). */
static char *intake_outcome(const char *sha) {
    char *path = pf_asprintf("/api/cad-files/%s", sha);
    json_t *cad = pf_test_intake_wait(&srv, path);
    char *outcome = pf_test_intake_status(cad) ? pf_strdup(pf_test_intake_status(cad)) : NULL;
    json_decref(cad);
    free(path);
    return outcome;
}

/* A STEP file whose intake failed, that no product uses, is collected when
 * the server starts: its item and its file go, and the same bytes uploaded
 * again start a new intake. */
static void test_failed_intake_collected(void) {
    const char *broken = "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('broken'),'2;1');\nENDSEC;\nDATA;\n#1=NOT_A_"
                         "SHAPE(;\nENDSEC;\nEND-ISO-10303-21;\n";
    pf_http_reply r;
    CHECK(pf_http(&srv, "POST", "/api/cad-files?filename=broken.step", broken, strlen(broken),
                  "application/octet-stream", &r) == 0);
    CHECK_MSG(r.status == 201, "upload: %ld %s", r.status, r.body);
    char *sha = pf_strdup(pf_json_str(r.json, "sha256") ? pf_json_str(r.json, "sha256") : "");
    pf_http_reply_free(&r);
    char *outcome = intake_outcome(sha);
    CHECK_STR(outcome, "failed");
    free(outcome);
    char *kept = pf_asprintf("%s/data/cad/%s.step", srv.data_dir, sha);
    CHECK(access(kept, F_OK) == 0);
    pf_test_server_signal(&srv, SIGTERM);
    CHECK(pf_test_server_restart(&srv, args) == 0);
    CHECK_MSG(access(kept, F_OK) != 0, "the file of a failed intake is still there");
    char *path = pf_asprintf("/api/cad-files/%s", sha);
    json_decref(call("GET", path, NULL, 404));
    /* the same bytes again: a new CAD file with a new intake */
    CHECK(pf_http(&srv, "POST", "/api/cad-files?filename=broken.step", broken, strlen(broken),
                  "application/octet-stream", &r) == 0);
    CHECK_MSG(r.status == 201, "upload again: %ld %s", r.status, r.body);
    pf_http_reply_free(&r);
    outcome = intake_outcome(sha);
    CHECK_STR(outcome, "failed");
    free(outcome);
    /* the kept STEP file of the succeeded intake stays */
    char *good = pf_asprintf("%s/data/cad/%s.step", srv.data_dir, uploaded_sha);
    CHECK(!uploaded_sha[0] || access(good, F_OK) == 0);
    free(good);
    free(path);
    free(kept);
    free(sha);
}

int main(void) {
    if (pf_test_server_start(&srv, args) != 0) {
        CHECK_MSG(0, "server start");
        return pf_check_done("api_hardening");
    }
    test_strict_run_requests();
    test_compare_and_swap();
    test_referenced_deletes();
    test_endless_uploads();
    test_cad_file_stored_once();
    test_signed_links();
    test_failed_intake_collected();
    test_disk_quota();
    pf_test_server_stop(&srv);
    free(uploaded_bytes);
    return pf_check_done("api_hardening");
}
