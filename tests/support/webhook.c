#include "support/webhook.h"

#include "core/mem.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct pf_test_webhook {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    json_t *received;
    unsigned status;
    char *location;
    bool held; /* POSTs are recorded, then wait to be answered */
    pthread_cond_t release;
    pthread_cond_t arrived; /* a POST was recorded */
};

typedef struct {
    char *data;
    size_t len;
} body_buf;

static json_t *header(struct MHD_Connection *c, const char *name) {
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    return v ? json_string(v) : json_null();
}

static enum MHD_Result keep_header(void *cls, enum MHD_ValueKind kind, const char *name, const char *value) {
    (void)kind;
    json_object_set_new(cls, name, json_string(value ? value : ""));
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state) {
    (void)url, (void)version;
    pf_test_webhook *w = cls;
    body_buf *b = *state;
    if (!b) {
        *state = pf_xcalloc(1, sizeof *b);
        return MHD_YES;
    }
    if (*upload_size) {
        b->data = pf_xrealloc(b->data, b->len + *upload_size + 1);
        memcpy(b->data + b->len, upload, *upload_size);
        b->len += *upload_size;
        b->data[b->len] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") == 0) {
        json_t *headers = json_object();
        MHD_get_connection_values(c, MHD_HEADER_KIND, keep_header, headers);
        json_t *entry =
            json_pack("{s:s#, s:o, s:o, s:o}", "body", b->data ? b->data : "", b->len, "idempotency_key",
                      header(c, "Idempotency-Key"), "signature", header(c, "X-Prodflow-Signature"), "headers", headers);
        pthread_mutex_lock(&w->lock);
        json_array_append_new(w->received, entry);
        pthread_cond_broadcast(&w->arrived);
        while (w->held)
            pthread_cond_wait(&w->release, &w->lock);
        pthread_mutex_unlock(&w->lock);
    }
    pthread_mutex_lock(&w->lock);
    unsigned status = w->status;
    char *location = w->location ? pf_strdup(w->location) : NULL;
    pthread_mutex_unlock(&w->lock);
    struct MHD_Response *r = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    if (location) MHD_add_response_header(r, "Location", location);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    free(location);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode code) {
    (void)cls, (void)c, (void)code;
    body_buf *b = *state;
    if (b) free(b->data);
    free(b);
    *state = NULL;
}

pf_test_webhook *pf_test_webhook_start(void) {
    pf_test_webhook *w = pf_xcalloc(1, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->release, NULL);
    pthread_cond_init(&w->arrived, NULL);
    w->received = json_array();
    w->status = MHD_HTTP_OK;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    w->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, w, MHD_OPTION_SOCK_ADDR,
                                 &addr, MHD_OPTION_NOTIFY_COMPLETED, on_done, w, MHD_OPTION_END);
    if (!w->daemon) {
        pf_test_webhook_stop(w);
        return NULL;
    }
    return w;
}

unsigned pf_test_webhook_port(const pf_test_webhook *w) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

void pf_test_webhook_answer(pf_test_webhook *w, unsigned status, const char *location) {
    pthread_mutex_lock(&w->lock);
    w->status = status;
    free(w->location);
    w->location = location ? pf_strdup(location) : NULL;
    pthread_mutex_unlock(&w->lock);
}

json_t *pf_test_webhook_received(pf_test_webhook *w) {
    pthread_mutex_lock(&w->lock);
    json_t *copy = json_deep_copy(w->received);
    pthread_mutex_unlock(&w->lock);
    return copy;
}

void pf_test_webhook_hold(pf_test_webhook *w, bool held) {
    pthread_mutex_lock(&w->lock);
    w->held = held;
    pthread_cond_broadcast(&w->release);
    pthread_mutex_unlock(&w->lock);
}

void pf_test_webhook_stop(pf_test_webhook *w) {
    if (!w) return;
    pf_test_webhook_hold(w, false);
    if (w->daemon) MHD_stop_daemon(w->daemon);
    json_decref(w->received);
    free(w->location);
    pthread_cond_destroy(&w->release);
    pthread_cond_destroy(&w->arrived);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

size_t pf_test_webhook_count_for_run(pf_test_webhook *w, const char *run_id) {
    json_t *all = pf_test_webhook_received(w);
    size_t n = 0, i;
    json_t *entry;
    json_array_foreach(all, i, entry) {
        json_t *body = json_loads(json_string_value(json_object_get(entry, "body")), 0, NULL);
        const char *id = json_string_value(json_object_get(body, "run_id"));
        if (id && strcmp(id, run_id) == 0) n++;
        json_decref(body);
    }
    json_decref(all);
    return n;
}

void pf_test_webhook_wait(pf_test_webhook *w, size_t n) {
    pthread_mutex_lock(&w->lock);
    while (json_array_size(w->received) < n)
        pthread_cond_wait(&w->arrived, &w->lock);
    pthread_mutex_unlock(&w->lock);
}
