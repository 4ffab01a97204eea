/* Event streams and connection limits, tested by structure rather than by
 * the clock: forty event streams of a run held at a gate leave the
 * server's thread count where it was and health answering; the held
 * render's progress shows in the run and in the streams; when the run
 * ends, every stream receives its end. Connections past the per-client
 * limit are refused while others still get in. */
#include "check.h"

#include "cad/fixture.h"
#include "core/json.h"
#include "core/mem.h"
#include "support/gate.h"
#include "support/procs.h"
#include "support/server.h"
#include "support/stream.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STREAMS 40

/* Everything the server sends until it closes the connection. */
static char *read_all(int fd) {
    size_t len = 0, cap = 4096;
    char *buf = pf_xmalloc(cap);
    ssize_t n;
    while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 1024) buf = pf_xrealloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    return buf;
}

/* health's event_streams.open, or .waiting (parked, holding no thread). */
static long health_streams(const pf_test_server *srv, const char *which) {
    long status;
    json_t *h = pf_http_json(srv, "GET", "/api/health", NULL, &status);
    long n = status == 200 ? (long)json_integer_value(json_object_get(json_object_get(h, "event_streams"), which)) : -1;
    json_decref(h);
    return n;
}

static char *start_intake(const pf_test_server *srv) {
    long status;
    json_t *r = pf_http_json(srv, "POST", "/api/runs",
                             "{\"workflow\": {\"id\": \"starter-cad-intake\"}, \"context\": {\"step_path\": "
                             "\"gearbox.step\"}}",
                             &status);
    CHECK_INT(status, 202);
    char *id = pf_json_str(r, "id") ? pf_strdup(pf_json_str(r, "id")) : NULL;
    json_decref(r);
    return id;
}

/* Polls the run until its thumbnail is running, held at the gate, and
 * says so: its live progress is what the held render reported. False when
 * the run ended first or the server stopped answering. */
static bool wait_thumbnail_held(const pf_test_server *srv, const char *id) {
    char *path = pf_asprintf("/api/runs/%s", id);
    for (;;) {
        long status;
        json_t *run = pf_http_json(srv, "GET", path, NULL, &status);
        const json_t *node = json_object_get(json_object_get(run, "nodes"), "thumbnail");
        const json_t *progress = json_object_get(node, "progress");
        const char *said = pf_json_str(progress, "message");
        bool held = said && strcmp(said, "sample 1 of 4") == 0;
        if (held) {
            CHECK_STR(pf_json_str(node, "status"), "running");
            CHECK(json_number_value(json_object_get(progress, "fraction")) == 0.25);
            CHECK(json_is_number(json_object_get(progress, "elapsed_s")));
            CHECK(pf_json_str(progress, "started_at") != NULL);
            const json_t *log = json_object_get(progress, "log");
            CHECK_STR(pf_json_str(json_array_get(log, json_array_size(log) - 1), "message"), "sample 1 of 4");
        }
        /* A run that ended without holding its thumbnail fails the test here,
         * saying why, instead of polling it forever. */
        const char *state = pf_json_str(run, "status");
        bool ended = state && strcmp(state, "queued") != 0 && strcmp(state, "running") != 0;
        char *said_run = ended ? json_dumps(run, JSON_COMPACT) : NULL;
        CHECK_MSG(!ended, "run %s ended %s before its thumbnail was held: %.2000s", id, state, said_run);
        free(said_run);
        json_decref(run);
        CHECK_MSG(status == 200, "GET %s: %ld (the server is gone?)", path, status);
        if (held || ended || status != 200) {
            free(path);
            return held;
        }
    }
}

static void test_streams_hold_no_thread(void) {
    char *dir = pf_test_tmpdir("streams-gate");
    pf_test_gate gate;
    pf_test_gate_make(&gate, dir);
    pf_test_gate_close(&gate);
    setenv("PRODFLOW_BLENDER", gate.blender, 1);
    pf_test_server srv;
    if (pf_test_server_start(&srv, (const char *const[]){"--no-demo-data", "--blender-workers", "0", NULL}) != 0)
        return;
    unsetenv("PRODFLOW_BLENDER");
    char *step = pf_asprintf("%s/data/gearbox.step", srv.data_dir);
    pf_fixture_opts fo = {.bolts = 2};
    pf_error_free(pf_cad_make_fixture(step, &fo));
    char *run = start_intake(&srv);
    if (!run || !wait_thumbnail_held(&srv, run)) {
        pf_test_gate_open(&gate);
        free(run);
        free(step);
        pf_test_server_stop(&srv);
        pf_test_gate_free(&gate);
        free(dir);
        return;
    }
    long before = pf_test_threads_of(srv.pid);
    int fds[STREAMS];
    for (int i = 0; i < STREAMS; i++) {
        fds[i] = pf_test_stream_open(&srv, run);
        CHECK(fds[i] >= 0);
    }
    while (health_streams(&srv, "waiting") < STREAMS) /* every stream is open, and parked */
        ;
    CHECK_INT(health_streams(&srv, "open"), STREAMS);
    long during = pf_test_threads_of(srv.pid);
    CHECK_MSG(during == before, "threads went from %ld to %ld with %d event streams open", before, during, STREAMS);
    pf_test_gate_open(&gate);
    size_t ended = 0;
    for (int i = 0; i < STREAMS; i++) {
        char *got = read_all(fds[i]);
        ended += strstr(got, "event: run") && strstr(got, "\"succeeded\"");
        if (i == 0) CHECK_MSG(strstr(got, "text/event-stream") != NULL, "%s", got);
        /* What the running thumbnail said reaches every stream. */
        if (i == 0) CHECK_MSG(strstr(got, "event: progress") && strstr(got, "sample 1 of 4"), "%s", got);
        free(got);
        close(fds[i]);
    }
    CHECK_INT(ended, STREAMS);
    while (health_streams(&srv, "open") != 0)
        ;
    free(run);
    free(step);
    pf_test_server_stop(&srv);
    pf_test_gate_free(&gate);
    free(dir);
}

static void test_connection_limit(void) {
    pf_test_server srv;
    if (pf_test_server_start(&srv, (const char *const[]){"--no-demo-data", "--max-per-client", "8", NULL}) != 0) return;
    int fds[8];
    for (int i = 0; i < 8; i++)
        fds[i] = pf_test_connect(&srv, "127.0.0.1");
    int extra = pf_test_connect(&srv, "127.0.0.1");
    char byte;
    /* The ninth is accepted by the kernel and closed by the server at once. */
    CHECK_MSG(extra < 0 || read(extra, &byte, 1) <= 0, "a ninth connection from one address was served");
    if (extra >= 0) close(extra);
    /* Another address is not held back by the first one's connections. */
    int other = pf_test_connect(&srv, "127.0.0.2");
    char *req = pf_asprintf("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n\r\n", srv.port);
    CHECK(other >= 0 && write(other, req, strlen(req)) == (ssize_t)strlen(req));
    char *got = other >= 0 ? read_all(other) : pf_strdup("");
    CHECK_MSG(strncmp(got, "HTTP/1.1 200", 12) == 0, "health from another address: %.80s", got);
    free(got);
    free(req);
    if (other >= 0) close(other);
    for (int i = 0; i < 8; i++)
        close(fds[i]);
    pf_test_server_stop(&srv);
}

int main(void) {
    test_streams_hold_no_thread();
    test_connection_limit();
    return pf_check_done("api_streams");
}
