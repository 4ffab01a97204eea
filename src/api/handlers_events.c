/* GET /api/runs/{id}/events: a run's progress as Server-Sent Events. Each
 * node's status change is an "event: node", what a running node's module
 * says is an "event: progress" (fraction, message, elapsed time and
 * estimate); the run's status is an "event: run", and the stream ends
 * when the run does. The editor's run
 * view follows it. A stream with nothing to send parks its connection in
 * the event hub (api/event_hub.h) and holds no thread until the runtime
 * says its run changed, or the hub's keep-alive comes. */
#include "api/event_hub.h"
#include "api/router.h"

#include "core/json_text.h"
#include "core/mem.h"

#include <string.h>

typedef struct {
    const pf_app *app;
    char *run_id;
    json_t *seen; /* node id -> the status last sent; "progress:" id -> the log entry */
    char *pending;
    size_t len, off;
    bool finished;
    pf_stream_parking parking; /* a copy: it lives as long as the stream */
    pf_event_waiter *waiter;
} event_stream;

static void append(event_stream *s, const char *event, json_t *data) {
    char *json = pf_json_text(data, true);
    char *chunk = pf_asprintf("event: %s\ndata: %s\n\n", event, json);
    size_t n = strlen(chunk);
    s->pending = pf_xrealloc(s->pending, s->len + n + 1);
    memcpy(s->pending + s->len, chunk, n + 1);
    s->len += n;
    free(chunk);
    free(json);
    json_decref(data);
}

/* A "progress" event when a running node's module said something new
 * since the last one: its fraction, message, latest log entry, elapsed
 * time and estimate. */
static void said(event_stream *s, const char *id, const json_t *live) {
    const json_t *log = json_object_get(live, "log");
    const json_t *last = json_array_get(log, json_array_size(log) - 1);
    if (!last) return;
    char *key = pf_asprintf("progress:%s", id);
    bool fresh = !json_equal(last, json_object_get(s->seen, key));
    if (fresh) json_object_set(s->seen, key, (json_t *)last);
    free(key);
    if (!fresh) return;
    json_t *data =
        json_pack("{s:s, s:O, s:O}", "node", id, "elapsed_s", json_object_get(live, "elapsed_s"), "entry", last);
    static const char *const optional[] = {"fraction", "eta_s", "message"};
    for (size_t i = 0; i < sizeof optional / sizeof *optional; i++)
        if (json_object_get(live, optional[i])) json_object_set(data, optional[i], json_object_get(live, optional[i]));
    append(s, "progress", data);
}

/* Queues an event for every change since the last look; true if any. */
static bool look(event_stream *s) {
    json_t *run = NULL;
    pf_error *err = pf_store_run_get(s->app->store, s->run_id, true, &run);
    if (err) {
        append(s, "error", pf_error_to_json(err));
        pf_error_free(err);
        s->finished = true;
        return true;
    }
    json_t *live = pf_runtime_live(s->app->runtime, s->run_id);
    const char *id;
    json_t *node;
    json_object_foreach(json_object_get(run, "nodes"), id, node) {
        const json_t *progress = json_object_get(live, id);
        const json_t *now = progress ? json_object_get(progress, "status") : json_object_get(node, "status");
        if (!json_equal(now, json_object_get(s->seen, id))) {
            json_object_set(s->seen, id, (json_t *)now);
            const json_t *state = json_object_get(node, "state");
            json_t *data = json_pack("{s:s, s:O}", "node", id, "status", now);
            if (json_object_get(state, "cache")) json_object_set(data, "cache", json_object_get(state, "cache"));
            if (json_object_get(state, "error")) json_object_set(data, "error", json_object_get(state, "error"));
            append(s, "node", data);
        }
        if (progress) said(s, id, progress);
    }
    json_decref(live);
    const char *status = json_string_value(json_object_get(run, "status"));
    if (!json_equal(json_object_get(run, "status"), json_object_get(s->seen, "$run"))) {
        json_object_set(s->seen, "$run", json_object_get(run, "status"));
        append(s, "run", json_pack("{s:s, s:s}", "id", s->run_id, "status", status));
    }
    if (status && strcmp(status, "running") != 0) s->finished = true;
    json_decref(run);
    return s->len > s->off;
}

static void comment(event_stream *s) {
    free(s->pending);
    s->pending = pf_strdup(":\n\n");
    s->len = 3;
}

static long next(void *user, char *buf, size_t max) {
    event_stream *s = user;
    while (s->off == s->len && !s->finished) {
        s->off = s->len = 0;
        if (look(s)) break;
        pf_wait_result w = pf_event_waiter_idle(s->waiter);
        if (w == PF_WAIT_PARKED) return PF_STREAM_PARKED;
        if (w == PF_WAIT_CLOSING) return 0;
        if (w == PF_WAIT_PING) comment(s);
    }
    if (s->off == s->len) return 0;
    size_t n = s->len - s->off < max ? s->len - s->off : max;
    memcpy(buf, s->pending + s->off, n);
    s->off += n;
    return (long)n;
}

static void done(void *user) {
    event_stream *s = user;
    pf_event_waiter_leave(s->waiter);
    json_decref(s->seen);
    free(s->pending);
    free(s->run_id);
    free(s);
}

void pf_handle_run_events(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *run = NULL;
    pf_error *err = pf_store_run_get(app->store, pf_request_param(req, "id"), false, &run);
    json_decref(run);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    event_stream *s = pf_xcalloc(1, sizeof *s);
    s->app = app;
    s->run_id = pf_strdup(pf_request_param(req, "id"));
    s->seen = json_object();
    s->parking = *req->parking;
    s->waiter = pf_event_waiter_join(app->events, s->run_id, &s->parking);
    res->status = 200;
    res->content_type = "text/event-stream";
    res->has_stream = true;
    res->stream = (pf_stream){next, done, s};
}
