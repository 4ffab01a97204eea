/* Observability against a real server: every answer carries a request id
 * (a well-formed X-Request-Id is kept, anything else replaced), problem
 * documents carry it too, each request leaves one access log line, and
 * GET /metrics (the metrics role or admin) serves Prometheus text whose
 * families and values follow the requests and the run made before it,
 * checked with `promtool check metrics` where Debian's prometheus package
 * is installed. */
#include "check.h"

#include "core/json.h"
#include "core/mem.h"
#include "support/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The value of the sample named exactly `series` ("name{labels}"), or -1. */
static double sample(const char *text, const char *series) {
    size_t n = strlen(series);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ') return strtod(line + n + 1, NULL);
    }
    return -1;
}

/* The sum of the samples whose series starts with prefix. */
static double sum_of(const char *text, const char *prefix) {
    double sum = 0;
    size_t n = strlen(prefix);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, prefix, n) == 0) {
            const char *sp = strchr(line, '}') ? strchr(line, '}') + 1 : strchr(line, ' ');
            if (sp) sum += strtod(sp, NULL);
        }
    return sum;
}

static bool has_family(const char *text, const char *name, const char *type) {
    char *want = pf_asprintf("# TYPE %s %s\n", name, type);
    bool ok = strstr(text, want) != NULL;
    free(want);
    return ok;
}

/* Every line is a comment or `name{labels} value` with a number. */
static void check_syntax(const char *text) {
    size_t bad = 0;
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        size_t len = strcspn(line, "\n");
        if (len == 0 || line[0] == '#') continue;
        char *copy = pf_strndup(line, len);
        char *value = strrchr(copy, ' ');
        char *end = NULL;
        if (value) strtod(value + 1, &end);
        bool ok =
            value && value > copy && end && *end == '\0' && (copy[0] == '_' || (copy[0] >= 'a' && copy[0] <= 'z'));
        if (!ok && bad++ < 3) fprintf(stderr, "not a sample: %s\n", copy);
        free(copy);
    }
    CHECK_INT(bad, 0);
}

static void promtool_check(const char *text) {
    if (system("command -v promtool >/dev/null 2>&1") != 0) {
        fprintf(stderr, "promtool is not installed (Debian's prometheus package): its check is skipped\n");
        return;
    }
    char path[] = PF_TEST_TMP "/metrics-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    char *cmd = pf_asprintf("promtool check metrics < '%s' 1>&2", path);
    CHECK_MSG(system(cmd) == 0, "promtool check metrics failed on %s", path);
    free(cmd);
    unlink(path);
}

static void request_ids(const pf_test_server *srv) {
    pf_http_reply r;
    /* A well-formed id from a proxy is kept, in the header and the problem. */
    CHECK(pf_http_as(srv, srv->token, (const char *const[]){"X-Request-Id: edge-7f3a.42", NULL}, "GET",
                     "/api/no-such-thing", NULL, 0, NULL, &r) == 0);
    CHECK_INT(r.status, 404);
    CHECK_STR(r.request_id, "edge-7f3a.42");
    CHECK_STR(pf_json_str(r.json, "request_id"), "edge-7f3a.42");
    pf_http_reply_free(&r);
    /* One that is not (spaces, too long) is replaced by a new one. */
    CHECK(pf_http_as(srv, NULL, (const char *const[]){"X-Request-Id: a b c", NULL}, "GET", "/api/workflows", NULL, 0,
                     NULL, &r) == 0);
    CHECK_INT(r.status, 401);
    CHECK(r.request_id && strncmp(r.request_id, "req_", 4) == 0);
    CHECK_STR(pf_json_str(r.json, "request_id"), r.request_id);
    pf_http_reply_free(&r);
    /* Success answers carry one too, each its own. */
    pf_http_reply a, b;
    CHECK(pf_http(srv, "GET", "/api/health", NULL, 0, NULL, &a) == 0);
    CHECK(pf_http(srv, "GET", "/api/health", NULL, 0, NULL, &b) == 0);
    CHECK(a.request_id && b.request_id && strcmp(a.request_id, b.request_id) != 0);
    /* The access log has the request: its route, status, token and id. */
    char *want = pf_asprintf("\"request_id\":\"%s\"", a.request_id ? a.request_id : "-");
    char *line = pf_test_server_log_wait(
        srv, (const char *const[]){"\"event\":\"http.access\"", want, "\"route\":\"/api/health\"", "\"status\":200",
                                   "\"token\":\"test\"", "\"method\":\"GET\"",
                                   "\"duration_ms\":", "\"bytes\":", "\"client\":\"127.0.0.1\"", NULL});
    CHECK_MSG(line != NULL, "no access log line for %s", want);
    free(line);
    free(want);
    pf_http_reply_free(&a);
    pf_http_reply_free(&b);
    /* An unknown path is logged under "unmatched", not under its path. */
    line = pf_test_server_log_wait(srv, (const char *const[]){"\"event\":\"http.access\"", "edge-7f3a.42",
                                                              "\"route\":\"unmatched\"", "\"status\":404", NULL});
    CHECK(line != NULL);
    free(line);
}

/* A run of one failing node: cad.resolve_step_path on a file that is not
 * there. It ends at once and counts a run, a node and a module call. */
static void run_one(const pf_test_server *srv) {
    const char *body =
        "{\"context\": {\"step_path\": \"missing.step\"}, \"workflow\": {\"schema\": \"prodflow.workflow/v1\", "
        "\"id\": \"metrics-probe\", \"name\": \"Metrics probe\", \"family\": \"cad_file\", \"version\": 1, "
        "\"nodes\": [{\"id\": \"resolve\", \"step\": \"cad.resolve_step_path\"}], \"edges\": []}}";
    long status;
    json_t *r = pf_http_json(srv, "POST", "/api/runs", body, &status);
    CHECK_MSG(status == 202, "POST /api/runs: %ld", status);
    char *path = pf_asprintf("/api/runs/%s", pf_json_str(r, "id") ? pf_json_str(r, "id") : "-");
    json_decref(r);
    json_t *run = NULL;
    for (;;) { /* until the run is final */
        json_decref(run);
        run = pf_http_json(srv, "GET", path, NULL, &status);
        const char *s = pf_json_str(run, "status");
        if (status != 200 || !s || (strcmp(s, "running") && strcmp(s, "queued"))) break;
    }
    CHECK_STR(pf_json_str(run, "status"), "failed");
    /* The module's message names the file, never where the server keeps it. */
    const char *msg = pf_json_str(
        json_object_get(json_object_get(json_object_get(json_object_get(run, "nodes"), "resolve"), "state"), "error"),
        "message");
    CHECK_MSG(msg && !strstr(msg, srv->data_dir), "node error: %s", msg ? msg : "(none)");
    json_decref(run);
    free(path);
}

static void metrics(const pf_test_server *srv) {
    pf_http_reply r;
    /* Who may read it: not anonymous, not a viewer; the metrics role and admin. */
    CHECK(pf_http_as(srv, NULL, NULL, "GET", "/metrics", NULL, 0, NULL, &r) == 0);
    CHECK_INT(r.status, 401);
    pf_http_reply_free(&r);
    char *viewer = pf_test_token(srv, (const char *const[]){"viewer", NULL});
    char *scraper = pf_test_token(srv, (const char *const[]){"metrics", NULL});
    CHECK(pf_http_as(srv, viewer, NULL, "GET", "/metrics", NULL, 0, NULL, &r) == 0);
    CHECK_INT(r.status, 403);
    pf_http_reply_free(&r);
    /* The metrics role reads nothing else. */
    CHECK(pf_http_as(srv, scraper, NULL, "GET", "/api/runs", NULL, 0, NULL, &r) == 0);
    CHECK_INT(r.status, 403);
    pf_http_reply_free(&r);
    CHECK(pf_http(srv, "GET", "/metrics", NULL, 0, NULL, &r) == 0); /* admin */
    CHECK_INT(r.status, 200);
    pf_http_reply_free(&r);

    CHECK(pf_http_as(srv, scraper, NULL, "GET", "/metrics", NULL, 0, NULL, &r) == 0);
    CHECK_INT(r.status, 200);
    CHECK(r.content_type && strncmp(r.content_type, "text/plain; version=0.0.4", 25) == 0);
    const char *text = r.body ? r.body : "";
    check_syntax(text);
    static const char *const families[][2] = {
        {"prodflow_build_info", "gauge"},
        {"prodflow_http_requests_total", "counter"},
        {"prodflow_http_request_duration_seconds", "histogram"},
        {"prodflow_runs_finished_total", "counter"},
        {"prodflow_nodes_finished_total", "counter"},
        {"prodflow_runs_active", "gauge"},
        {"prodflow_nodes_running", "gauge"},
        {"prodflow_runtime_queue_depth", "gauge"},
        {"prodflow_module_duration_seconds", "histogram"},
        {"prodflow_blender_workers", "gauge"},
        {"prodflow_store_errors_total", "counter"},
        {"prodflow_data_dir_disk_size_bytes", "gauge"},
        {"prodflow_data_dir_disk_free_bytes", "gauge"},
        {"prodflow_data_dir_disk_used_bytes", "gauge"},
        {"prodflow_event_streams", "gauge"},
    };
    for (size_t i = 0; i < sizeof families / sizeof *families; i++)
        CHECK_MSG(has_family(text, families[i][0], families[i][1]), "no %s %s family", families[i][1], families[i][0]);
    /* Requests made above, by route pattern and status. */
    CHECK(sample(text, "prodflow_http_requests_total{method=\"GET\",route=\"/api/health\",status=\"200\"}") >= 2);
    CHECK(sample(text, "prodflow_http_requests_total{method=\"POST\",route=\"/api/runs\",status=\"202\"}") == 1);
    CHECK(sample(text, "prodflow_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"403\"}") == 1);
    CHECK(sample(text, "prodflow_http_requests_total{method=\"\",route=\"unmatched\",status=\"404\"}") >= 1);
    CHECK(sample(text, "prodflow_http_request_duration_seconds_count{method=\"GET\",route=\"/api/health\"}") >= 2);
    CHECK(sample(text,
                 "prodflow_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/health\",le=\"+Inf\"}") >=
          2);
    /* The run: one finished (failed), its node, one call of its module. */
    CHECK(sample(text, "prodflow_runs_finished_total{status=\"failed\"}") == 1);
    CHECK(sum_of(text, "prodflow_runs_finished_total{") == 1);
    CHECK(sample(text, "prodflow_nodes_finished_total{status=\"failed\"}") == 1);
    CHECK(sample(text, "prodflow_module_duration_seconds_count{module=\"cad.resolve_step_path\"}") >= 1);
    CHECK(sample(text, "prodflow_runs_active") == 0);
    CHECK(sample(text, "prodflow_runtime_queue_depth") == 0);
    /* One slot, never started (--blender-workers 1, no render yet). */
    CHECK(sample(text, "prodflow_blender_workers{state=\"stopped\"}") == 1);
    CHECK(sample(text, "prodflow_blender_workers{state=\"busy\"}") == 0);
    CHECK(sample(text, srv->store ? "prodflow_store_errors_total{backend=\"postgresql\",code=\"io\"}"
                                  : "prodflow_store_errors_total{backend=\"sqlite\",code=\"io\"}") == 0);
    double size = sample(text, "prodflow_data_dir_disk_size_bytes"),
           free_bytes = sample(text, "prodflow_data_dir_disk_free_bytes");
    CHECK(size > 0 && free_bytes > 0 && free_bytes <= size);
    promtool_check(text);
    pf_http_reply_free(&r);
    free(viewer);
    free(scraper);
}

int main(void) {
    pf_test_server srv;
    if (pf_test_server_start(&srv, (const char *const[]){"--no-demo-data", "--blender-workers", "1", NULL}) != 0)
        return pf_check_done("api_metrics");
    request_ids(&srv);
    run_one(&srv);
    metrics(&srv);
    pf_test_server_stop(&srv);
    return pf_check_done("api_metrics");
}
