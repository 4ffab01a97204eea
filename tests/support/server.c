#include "support/server.h"

#include "check.h"

#include "core/json.h"
#include "core/mem.h"
#include "support/pg.h"
#include "support/tmpdir.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int launch(pf_test_server *srv, const char *const *extra_args);

/* A server's log lines as they arrive, shared by the thread that reads
 * them and the test that waits for one; the last of the two frees it. */
struct pf_test_log {
    pthread_mutex_t lock;
    pthread_cond_t grew;
    char **lines;
    size_t n, cap;
    bool ended;
    int refs;
    FILE *from;
};

static void log_append(struct pf_test_log *log, const char *line) {
    pthread_mutex_lock(&log->lock);
    if (log->n == log->cap) {
        log->cap = log->cap ? log->cap * 2 : 64;
        log->lines = pf_xrealloc(log->lines, log->cap * sizeof *log->lines);
    }
    log->lines[log->n++] = pf_strdup(line);
    pthread_cond_broadcast(&log->grew);
    pthread_mutex_unlock(&log->lock);
}

static void log_release(struct pf_test_log *log) {
    if (!log) return;
    pthread_mutex_lock(&log->lock);
    bool last = --log->refs == 0;
    pthread_mutex_unlock(&log->lock);
    if (!last) return;
    for (size_t i = 0; i < log->n; i++)
        free(log->lines[i]);
    free(log->lines);
    pthread_cond_destroy(&log->grew);
    pthread_mutex_destroy(&log->lock);
    free(log);
}

static struct pf_test_log *log_new(void) {
    struct pf_test_log *log = pf_xcalloc(1, sizeof *log);
    pthread_mutex_init(&log->lock, NULL);
    pthread_cond_init(&log->grew, NULL);
    log->refs = 1;
    return log;
}

static void *forward(void *arg) {
    struct pf_test_log *log = arg;
    char line[16384];
    while (fgets(line, sizeof line, log->from)) {
        fputs(line, stderr);
        log_append(log, line);
    }
    fclose(log->from);
    pthread_mutex_lock(&log->lock);
    log->ended = true;
    pthread_cond_broadcast(&log->grew);
    pthread_mutex_unlock(&log->lock);
    log_release(log);
    return NULL;
}

/* Copies the rest of a server's log to the test's stderr until the server
 * ends, so a full pipe never blocks it, keeping the lines in log. */
static void pf_test_forward(FILE *from, struct pf_test_log *log) {
    pthread_t t;
    log->from = from;
    log->refs++;
    if (!from || pthread_create(&t, NULL, forward, log) != 0) {
        if (from) fclose(from);
        log->refs--;
        log->ended = true;
        return;
    }
    pthread_detach(t);
}

static bool has_all(const char *line, const char *const *needles) {
    for (size_t i = 0; needles[i]; i++)
        if (!strstr(line, needles[i])) return false;
    return true;
}

char *pf_test_server_log_wait(const pf_test_server *srv, const char *const *needles) {
    struct pf_test_log *log = srv->log;
    if (!log) return NULL;
    char *found = NULL;
    pthread_mutex_lock(&log->lock);
    for (size_t i = 0; !found;) {
        for (; i < log->n && !found; i++)
            if (has_all(log->lines[i], needles)) found = pf_strdup(log->lines[i]);
        if (found || log->ended) break;
        pthread_cond_wait(&log->grew, &log->lock);
    }
    pthread_mutex_unlock(&log->lock);
    return found;
}

/* The --store among a server's arguments, so tokens go where it looks. */
static const char *store_arg(const char *const *extra_args) {
    for (size_t i = 0; extra_args && extra_args[i]; i++)
        if (strcmp(extra_args[i], "--store") == 0 && extra_args[i + 1]) return extra_args[i + 1];
    return NULL;
}

/* PF_TEST_STORE=postgresql: one cluster per test process, a database per
 * server. */
static pf_test_pg *test_pg;
static int test_pg_databases;

static void stop_test_pg(void) {
    pf_test_pg_stop(test_pg);
    test_pg = NULL;
}

static char *variant_store(void) {
    const char *want = getenv("PF_TEST_STORE");
    if (!want || !*want || strcmp(want, "sqlite") == 0) return NULL;
    if (strcmp(want, "postgresql") != 0) {
        fprintf(stderr, "PF_TEST_STORE=%s: expected sqlite or postgresql\n", want);
        exit(1);
    }
    if (!test_pg) {
        if (!(test_pg = pf_test_pg_start())) {
            bool installed = access("/usr/bin/initdb", X_OK) == 0 || system("ls /usr/lib/postgresql/*/bin/initdb "
                                                                            ">/dev/null 2>&1") == 0;
            fprintf(stderr, "PF_TEST_STORE=postgresql: %s\n",
                    installed ? "PostgreSQL did not start (see above)" : "skipped: PostgreSQL is not installed");
            exit(installed ? 1 : 77);
        }
        atexit(stop_test_pg);
    }
    char name[32];
    snprintf(name, sizeof name, "server%d", ++test_pg_databases);
    char *url = pf_test_pg_new_database(test_pg, name);
    if (!url) {
        fprintf(stderr, "PF_TEST_STORE=postgresql: could not create database %s\n", name);
        exit(1);
    }
    return url;
}

static char *make_token(const char *data_dir, const char *store, const char *const *roles) {
    char *cmd = pf_asprintf("%s token create --data-dir '%s/data' --name test", PF_BIN, data_dir);
    if (store) {
        char *with = pf_asprintf("%s --store '%s'", cmd, store);
        free(cmd);
        cmd = with;
    }
    for (size_t i = 0; roles && roles[i]; i++) {
        char *with = pf_asprintf("%s --role %s", cmd, roles[i]);
        free(cmd);
        cmd = with;
    }
    char *full = pf_asprintf("%s 2>/dev/null", cmd);
    FILE *p = popen(full, "r");
    char line[256] = "";
    if (!p || !fgets(line, sizeof line, p)) line[0] = '\0';
    if (p) pclose(p);
    free(full);
    free(cmd);
    line[strcspn(line, "\n")] = '\0';
    if (!*line) fprintf(stderr, "could not make a test token\n");
    return pf_strdup(line);
}

int pf_test_server_start(pf_test_server *srv, const char *const *extra_args) {
    memset(srv, 0, sizeof *srv);
    srv->data_dir = pf_test_tmpdir("server");
    if (!store_arg(extra_args)) srv->store = variant_store();
    const char *store = srv->store ? srv->store : store_arg(extra_args);
    char *token = make_token(srv->data_dir, store, (const char *const[]){"admin", NULL});
    snprintf(srv->token, sizeof srv->token, "%s", token);
    free(token);
    return launch(srv, extra_args);
}

char *pf_test_token(const pf_test_server *srv, const char *const *roles) {
    return make_token(srv->data_dir, srv->store, roles);
}

int pf_test_server_signal(pf_test_server *srv, int sig) {
    if (srv->pid <= 0) return -1;
    kill(srv->pid, sig);
    int status = 0;
    waitpid(srv->pid, &status, 0);
    srv->pid = 0;
    srv->port = 0;
    return status;
}

int pf_test_server_restart(pf_test_server *srv, const char *const *extra_args) {
    char *port_file = pf_asprintf("%s/port", srv->data_dir);
    unlink(port_file);
    free(port_file);
    return launch(srv, extra_args);
}

static int launch(pf_test_server *srv, const char *const *extra_args) {
    char *port_file = pf_asprintf("%s/port", srv->data_dir);
    char *data = pf_asprintf("%s/data", srv->data_dir);
    const char *argv[32] = {PF_BIN,        "serve",
                            "--port",      "0",
                            "--port-file", port_file,
                            "--data-dir",  data,
                            "--share-dir", PF_SOURCE_DIR "/share",
                            "--threads",   "2",
                            "--web-dir",   ""};
    size_t n = 14; /* the API alone: tests of the editor pass --web-dir again */
    if (srv->store && !store_arg(extra_args)) {
        argv[n++] = "--store";
        argv[n++] = srv->store;
    }
    for (size_t i = 0; extra_args && extra_args[i] && n < 31; i++)
        argv[n++] = extra_args[i];
    argv[n] = NULL;
    /* The server's stderr goes to a pipe, read until the sign-in link: it
     * is printed once the server listens, so reading it waits for that
     * state (or for the server to end), however long start-up takes. */
    int out[2];
    if (pipe(out) != 0) return -1;
    srv->pid = fork();
    if (srv->pid == 0) {
        dup2(out[1], 2);
        close(out[0]);
        close(out[1]);
        execv(PF_BIN, (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    FILE *err = fdopen(out[0], "r");
    char line[4096];
    free(srv->login);
    srv->login = NULL;
    log_release(srv->log);
    srv->log = log_new();
    while (!srv->login && err && fgets(line, sizeof line, err)) {
        fputs(line, stderr);
        log_append(srv->log, line);
        const char *mark = strstr(line, "#login=");
        if (mark) srv->login = pf_strndup(mark + 7, strcspn(mark + 7, "\r\n"));
    }
    /* Pass the rest of the server's log through, off the test's thread. */
    pf_test_forward(err, srv->log);
    FILE *f = fopen(port_file, "r");
    if (f) {
        if (fscanf(f, "%u", &srv->port) != 1) srv->port = 0;
        fclose(f);
    }
    free(port_file);
    free(data);
    if (!srv->port) {
        fprintf(stderr, "server did not start\n");
        pf_test_server_stop(srv);
        return -1;
    }
    snprintf(srv->base, sizeof srv->base, "http://127.0.0.1:%u", srv->port);
    return 0;
}

void pf_test_server_stop(pf_test_server *srv) {
    if (srv->pid > 0) {
        kill(srv->pid, SIGTERM);
        int status = 0;
        waitpid(srv->pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fprintf(stderr, "server %d ended badly (status %d)\n", (int)srv->pid, status);
        srv->pid = 0;
    }
    free(srv->data_dir);
    srv->data_dir = NULL;
    free(srv->login);
    srv->login = NULL;
    free(srv->store);
    srv->store = NULL;
    log_release(srv->log);
    srv->log = NULL;
}

size_t pf_http_collect_body(char *ptr, size_t size, size_t nmemb, void *reply) {
    pf_http_reply *r = reply;
    size_t n = size * nmemb;
    r->body = pf_xrealloc(r->body, r->len + n + 1);
    memcpy(r->body + r->len, ptr, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

/* The value of header name in a header line, malloc'd; NULL otherwise. */
static char *header_named(const char *line, size_t n, const char *name) {
    size_t len = strlen(name);
    if (n <= len + 1 || strncasecmp(line, name, len) != 0 || line[len] != ':') return NULL;
    size_t start = len + 1, end = n;
    while (start < n && line[start] == ' ')
        start++;
    while (end > start && (line[end - 1] == '\r' || line[end - 1] == '\n'))
        end--;
    return pf_strndup(line + start, end - start);
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *user) {
    pf_http_reply *r = user;
    size_t n = size * nmemb;
    char *v;
    if ((v = header_named(ptr, n, "Location"))) {
        free(r->location);
        r->location = v;
    } else if ((v = header_named(ptr, n, "Set-Cookie"))) {
        free(r->set_cookie);
        r->set_cookie = v;
    } else if ((v = header_named(ptr, n, "X-Request-Id"))) {
        free(r->request_id);
        r->request_id = v;
    }
    return n;
}

typedef struct {
    const char *token;          /* NULL: anonymous */
    const char *const *headers; /* extra lines; may be NULL */
    const char *range;
} request_opts;

static int request(const pf_test_server *srv, const char *method, const char *path, const char *body, size_t body_len,
                   const char *content_type, const request_opts *o, pf_http_reply *reply);

int pf_http(const pf_test_server *srv, const char *method, const char *path, const char *body, size_t body_len,
            const char *content_type, pf_http_reply *reply) {
    request_opts o = {.token = srv->token};
    return request(srv, method, path, body, body_len, content_type, &o, reply);
}

int pf_http_as(const pf_test_server *srv, const char *token, const char *const *headers, const char *method,
               const char *path, const char *body, size_t body_len, const char *content_type, pf_http_reply *reply) {
    request_opts o = {.token = token, .headers = headers};
    return request(srv, method, path, body, body_len, content_type, &o, reply);
}

int pf_http_range(const pf_test_server *srv, const char *path, const char *range, pf_http_reply *reply) {
    request_opts o = {.token = srv->token, .range = range};
    return request(srv, "GET", path, NULL, 0, NULL, &o, reply);
}

static int request(const pf_test_server *srv, const char *method, const char *path, const char *body, size_t body_len,
                   const char *content_type, const request_opts *o, pf_http_reply *reply) {
    memset(reply, 0, sizeof *reply);
    CURL *curl = curl_easy_init();
    char *url = pf_asprintf("%s%s", srv->base, path);
    struct curl_slist *headers = NULL;
    if (o->token && *o->token) {
        char *h = pf_asprintf("Authorization: Bearer %s", o->token);
        headers = curl_slist_append(headers, h);
        free(h);
    }
    for (size_t i = 0; o->headers && o->headers[i]; i++)
        headers = curl_slist_append(headers, o->headers[i]);
    if (body) {
        char *h = pf_asprintf("Content-Type: %s", content_type ? content_type : "application/json");
        headers = curl_slist_append(headers, h);
        free(h);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    /* A large body waits for the server's go-ahead (100 Continue), as curl
     * does by default: a server refusing it from its headers answers
     * before any of it is sent, so the answer cannot be lost to a reset
     * while the body is still going out. The wait ends on the server's
     * answer, not on curl's one-second guess. Small bodies go at once. */
    bool large = body && body_len > (64u << 10);
    headers = curl_slist_append(headers, large ? "Expect: 100-continue" : "Expect:");
    if (large) curl_easy_setopt(curl, CURLOPT_EXPECT_100_TIMEOUT_MS, 3600000L);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (o->range) curl_easy_setopt(curl, CURLOPT_RANGE, o->range);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, pf_http_collect_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, reply);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    if (strcmp(method, "HEAD") == 0) curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    CURLcode rc = curl_easy_perform(curl);
    /* A server may answer before it has read the whole body (a 413 from
     * Content-Length, as HTTP allows) and close; the send then fails, but
     * the answer came and is what the test asks about. */
    long answered = 0;
    if (rc == CURLE_SEND_ERROR) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answered);
    if (answered) rc = CURLE_OK;
    if (rc == CURLE_OK) {
        pf_http_read_reply(curl, reply);
    } else {
        free(reply->body);
        reply->body = NULL;
        reply->len = 0;
        fprintf(stderr, "%s %s: %s\n", method, path, curl_easy_strerror(rc));
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(url);
    return rc == CURLE_OK ? 0 : -1;
}

void pf_http_read_reply(void *curl, pf_http_reply *reply) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply->status);
    char *ct = NULL;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
    if (ct) reply->content_type = pf_strdup(ct);
    if (!reply->body) reply->body = pf_strdup("");
    reply->json = json_loadb(reply->body, reply->len, 0, NULL);
}

bool pf_problems_have(const json_t *problems, const char *pointer) {
    size_t i;
    const json_t *e;
    json_array_foreach(problems, i, e) {
        const char *at = json_string_value(json_object_get(e, "pointer"));
        if (at && strcmp(at, pointer) == 0) return true;
    }
    return false;
}

void pf_http_reply_free(pf_http_reply *reply) {
    free(reply->body);
    free(reply->set_cookie);
    free(reply->request_id);
    free(reply->content_type);
    free(reply->location);
    json_decref(reply->json);
    memset(reply, 0, sizeof *reply);
}

json_t *pf_http_json(const pf_test_server *srv, const char *method, const char *path, const char *body, long *status) {
    pf_http_reply r;
    json_t *doc = NULL;
    *status = 0;
    if (pf_http(srv, method, path, body, body ? strlen(body) : 0, NULL, &r) == 0) {
        *status = r.status;
        doc = json_incref(r.json);
        pf_http_reply_free(&r);
    }
    return doc;
}

json_t *pf_http_expect(const pf_test_server *srv, const char *method, const char *path, const char *body, long want) {
    long status;
    json_t *doc = pf_http_json(srv, method, path, body, &status);
    const char *detail = pf_json_str(doc, "detail");
    CHECK_MSG(status == want, "%s %s: %ld, not %ld: %s", method, path, status, want, detail ? detail : "");
    return doc;
}

json_t *pf_http_post_expect(const pf_test_server *srv, const char *path, const char *body, long want) {
    return pf_http_expect(srv, "POST", path, body, want);
}

json_t *pf_test_run_wait(const pf_test_server *srv, const char *run_id) {
    char *events = pf_asprintf("/api/runs/%s/events", run_id), *path = pf_asprintf("/api/runs/%s", run_id);
    pf_http_reply r;
    if (pf_http(srv, "GET", events, NULL, 0, NULL, &r) == 0) pf_http_reply_free(&r);
    long status;
    json_t *run = pf_http_json(srv, "GET", path, NULL, &status);
    CHECK_MSG(status == 200, "GET %s: %ld", path, status);
    free(events);
    free(path);
    if (status == 200) return run;
    json_decref(run);
    return NULL;
}

const char *pf_test_intake_status(const json_t *cad) { return pf_json_str(json_object_get(cad, "intake"), "status"); }

static bool intake_busy(const json_t *cad) {
    const char *s = pf_test_intake_status(cad);
    return s && (strcmp(s, "running") == 0 || strcmp(s, "queued") == 0);
}

json_t *pf_test_intake_wait(const pf_test_server *srv, const char *path) {
    long status;
    json_t *cad = pf_http_json(srv, "GET", path, NULL, &status);
    while (status == 200 && intake_busy(cad)) {
        const char *run_id = pf_json_str(json_object_get(cad, "intake"), "run_id");
        if (!run_id) run_id = pf_json_str(cad, "intake_run_id");
        CHECK_MSG(run_id != NULL, "%s: a running intake without a run id", path);
        if (!run_id) break;
        json_decref(pf_test_run_wait(srv, run_id));
        json_decref(cad);
        cad = pf_http_json(srv, "GET", path, NULL, &status);
    }
    if (status == 200) return cad;
    json_decref(cad);
    return NULL;
}

char *pf_test_demo_product_ready(const pf_test_server *srv) {
    json_t *products = pf_http_expect(srv, "GET", "/api/products", NULL, 200);
    const json_t *p = json_array_get(json_object_get(products, "products"), 0);
    char *id = pf_json_str(p, "id") ? pf_strdup(pf_json_str(p, "id")) : NULL;
    char *cad = pf_json_str(p, "cad_file") ? pf_asprintf("/api/cad-files/%s", pf_json_str(p, "cad_file")) : NULL;
    json_decref(products);
    json_t *doc = cad ? pf_test_intake_wait(srv, cad) : NULL;
    const char *status = pf_test_intake_status(doc);
    CHECK_MSG(status && strcmp(status, "succeeded") == 0, "the demo intake %s", status ? status : "(none)");
    json_decref(doc);
    free(cad);
    return id;
}

const char *pf_test_run_status(const json_t *run) { return pf_json_str(run, "status"); }
