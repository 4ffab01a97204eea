/* libFuzzer target: the API's request path in-process. The input picks a
 * route of the router's table (pf_routes) and gives path parameters, query
 * arguments, headers and a body; the target builds the path from the
 * route's pattern, matches it with pf_route_match as the server does, calls
 * the handler against a real pf_app (demo catalog, on a throwaway data
 * directory) and checks the answer.
 *
 * Input: a first line "r:METHOD PATTERN" names the route (the seeds say
 * so, and stay valid when the table changes); without it, byte 0 selects
 * one (modulo the routes below). Then lines up to the first empty line,
 * each one of
 *     p:VALUE          the next path parameter ({id}, {key}, ...)
 *     q:NAME=VALUE     a query argument
 *     h:NAME: VALUE    a header
 * and after the empty line the body. fuzz/corpus/fuzz_api has examples.
 *
 * Checked properties (a violation traps):
 *   - the path built from the route matches a route (when no value is
 *     empty or holds a "/"), and a value without "%" reaches the handler as
 *     given;
 *   - every answer has a status from 100 to 599, never a 5xx: no input is
 *     the server's fault on a healthy data directory;
 *   - a JSON or problem+json body parses; a problem's "status" is the
 *     response's status.
 *
 * Left out: routes that start long work on the runtime's threads (POST
 * /api/runs, POST /api/order-lines/{id}/dispatch) and routes whose body the
 * server streams to a file first (upload_dir: the CAD upload, which
 * fuzz_upload.c calls, and the workers' artifact uploads). The server's
 * guard checks a route's roles before its handler; here every request
 * carries an admin principal, which every route admits.
 *
 * The data directory is replaced every RESET_EVERY executions, so what the
 * inputs create (workflows, catalog items, files) stays bounded. */
#include "fuzz_app.h"

#include "api/router.h"
#include "core/hex.h"

#include <jansson.h>
#include <stdint.h>
#include <strings.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RESET_EVERY 20000
#define MAX_ARGS 8

static char *data_dir;
static pf_app *app;
static unsigned long execs;

static void close_app(void) {
    pf_app_close(app);
    app = NULL;
    fuzz_rm_tree(data_dir);
    free(data_dir);
    data_dir = NULL;
}

static void open_app(void) {
    data_dir = fuzz_temp_dir("fuzz_api");
    app = fuzz_app_open(data_dir);
}

/* Routes whose body the server streams to a file (upload_dir) get no
 * buffered body; the others named here start runs on the runtime. */
static bool excluded(const pf_route *r) {
    return r->upload_dir || r->handler == pf_handle_run_create || r->handler == pf_handle_order_line_dispatch;
}

/* The routes this target calls, in table order. */
static const pf_route *routes[128];
static size_t n_routes;

static void setup(void) {
    for (size_t i = 0; i < pf_n_routes && n_routes < sizeof routes / sizeof *routes; i++)
        if (!excluded(&pf_routes[i])) routes[n_routes++] = &pf_routes[i];
    open_app();
    atexit(close_app);
}

typedef struct {
    const char *name[MAX_ARGS], *value[MAX_ARGS];
    size_t n;
} args;

typedef struct {
    args query, headers;
} conn;

static const char *query_arg(const pf_request *req, const char *name) {
    const args *a = &((const conn *)req->conn)->query;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->name[i], name) == 0) return a->value[i];
    return NULL;
}

/* Header names are case-insensitive, as libmicrohttpd looks them up. */
static const char *header_value(const pf_request *req, const char *name) {
    const args *a = &((const conn *)req->conn)->headers;
    for (size_t i = 0; i < a->n; i++)
        if (strcasecmp(a->name[i], name) == 0) return a->value[i];
    return NULL;
}

static void check_response(const pf_response *res) {
    if (res->status < 100 || res->status > 599) __builtin_trap();
    if (res->status >= 500) __builtin_trap(); /* the handler blamed itself for an input */
    if (res->has_file || res->has_stream || !res->body || !res->content_type) return;
    bool problem = strcmp(res->content_type, "application/problem+json") == 0;
    if (!problem && strcmp(res->content_type, "application/json") != 0) return;
    if (res->status == 204) return;
    json_t *doc = json_loadb(res->body, res->body_len, JSON_DECODE_ANY, NULL);
    if (!doc) __builtin_trap();
    if (problem && json_integer_value(json_object_get(doc, "status")) != res->status) __builtin_trap();
    json_decref(doc);
}

static void release(pf_response *res) {
    if (res->has_file) close(res->file_fd);
    if (res->has_stream && res->stream.done) res->stream.done(res->stream.user);
    if (!res->borrowed) free(res->body);
    free(res->location);
    json_decref(res->headers);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!app) setup();
    if (size == 0) return 0;
    if (++execs % RESET_EVERY == 0) {
        close_app();
        open_app();
    }
    const pf_route *route = routes[data[0] % n_routes];
    size_t skip = 1;
    const uint8_t *nl1 = memchr(data, '\n', size);
    if (size > 2 && data[0] == 'r' && data[1] == ':' && nl1) {
        for (size_t i = 0; i < n_routes; i++) {
            size_t m = strlen(routes[i]->method), n = strlen(routes[i]->pattern);
            if ((size_t)(nl1 - data) == 2 + m + 1 + n && !memcmp(data + 2, routes[i]->method, m) &&
                data[2 + m] == ' ' && !memcmp(data + 3 + m, routes[i]->pattern, n))
                route = routes[i];
        }
        skip = (size_t)(nl1 - data) + 1;
    }
    /* The text after the selector, NUL-terminated, split in place. */
    size_t text_len = size - skip;
    char *text = malloc(text_len + 1);
    memcpy(text, data + skip, text_len);
    text[text_len] = '\0';
    const char *params[PF_MAX_PATH_PARAMS] = {0};
    size_t n_params = 0;
    conn c = {0};
    char *line = text, *body = NULL;
    size_t body_len = 0;
    while (line < text + text_len) {
        char *nl = memchr(line, '\n', (size_t)(text + text_len - line));
        if (nl) *nl = '\0';
        if (*line == '\0' && nl) { /* the empty line: the body follows */
            body = nl + 1;
            body_len = (size_t)(text + text_len - body);
            break;
        }
        if (!strncmp(line, "p:", 2) && n_params < PF_MAX_PATH_PARAMS) {
            params[n_params++] = line + 2;
        } else if (!strncmp(line, "q:", 2) && c.query.n < MAX_ARGS) {
            char *eq = strchr(line + 2, '=');
            c.query.name[c.query.n] = line + 2;
            c.query.value[c.query.n++] = eq ? (*eq = '\0', eq + 1) : "";
        } else if (!strncmp(line, "h:", 2) && c.headers.n < MAX_ARGS) {
            char *colon = strchr(line + 2, ':');
            c.headers.name[c.headers.n] = line + 2;
            c.headers.value[c.headers.n++] = colon ? (*colon = '\0', colon[1] == ' ' ? colon + 2 : colon + 1) : "";
        }
        if (!nl) break;
        line = nl + 1;
    }

    /* The path: the pattern with each {name} replaced by the next value, as
     * bytes. libmicrohttpd hands the server the URL's path already
     * percent-decoded (any bytes but NUL), so raw values are what a client
     * can put there. */
    size_t cap = strlen(route->pattern) + 1 + PF_MAX_PATH_PARAMS * 8;
    for (size_t i = 0; i < n_params; i++)
        cap += strlen(params[i]);
    char *path = malloc(cap), *w = path;
    const char *given[PF_MAX_PATH_PARAMS] = {0};
    size_t used = 0;
    for (const char *p = route->pattern; *p;) {
        if (*p == '{') {
            const char *v = used < n_params ? params[used] : "missing";
            given[used++] = v;
            w = stpcpy(w, v);
            p = strchr(p, '}') + 1;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';

    pf_request req = {.method = route->method,
                      .path = path,
                      .body = body_len ? body : NULL,
                      .body_len = body_len,
                      .query = query_arg,
                      .header = header_value,
                      .conn = &c,
                      /* The server's guard checks roles before a handler
                       * runs; calling handlers directly, the caller is an
                       * admin, which every route admits. */
                      .principal = {.name = "fuzz", .roles = PF_ROLE_ADMIN}};
    bool known = false;
    const pf_route *matched = pf_route_match(route->method, path, &req, &known);
    bool plain = true; /* every value one non-empty segment whose %-escapes decode (core/hex.h) */
    for (size_t i = 0; i < used; i++) {
        char *decoded = *given[i] ? pf_percent_decode(given[i], strlen(given[i])) : NULL;
        plain = plain && decoded && !strchr(given[i], '/');
        free(decoded);
    }
    if (!matched && plain) __builtin_trap(); /* the table's own path does not route */
    if (matched && plain && matched->handler == route->handler) {
        if (req.n_params != used) __builtin_trap();
        for (size_t i = 0; i < used; i++)
            if (!strchr(given[i], '%') && strcmp(req.param_values[i], given[i]) != 0) __builtin_trap();
    }
    if (matched && !excluded(matched)) {
        pf_response res = {.status = 500};
        matched->handler(app, &req, &res);
        /* FUZZ_TRACE=1 shows what each input did, to check the seeds reach their handlers. */
        if (getenv("FUZZ_TRACE"))
            fprintf(stderr, "fuzz_api: %s %s -> %d %.200s\n", matched->method, path, res.status,
                    res.body && !res.has_file && !res.has_stream ? res.body : "");
        check_response(&res);
        release(&res);
    }
    pf_request_free_params(&req);
    free(path);
    free(text);
    return 0;
}
