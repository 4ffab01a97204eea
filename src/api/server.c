#include "api/server.h"

#include "api/router.h"
#include "api/static.h"
#include "core/log.h"
#include "core/mem.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pf_server {
    struct MHD_Daemon *daemon;
    const pf_app *app;
    uint16_t port;
};

/* Per-connection state while a request body arrives. */
typedef struct {
    char *body;
    size_t len, cap;
    bool too_large;
} upload;

static const char *query_arg(const pf_request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

static const char *header_value(const pf_request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static ssize_t stream_next(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    pf_stream *s = cls;
    long n = s->next(s->user, buf, max);
    return n > 0 ? (ssize_t)n : n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls) {
    pf_stream *s = cls;
    if (s->done) s->done(s->user);
    free(s);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, pf_response *res) {
    struct MHD_Response *r;
    if (res->has_stream) {
        pf_stream *s = pf_xmalloc(sizeof *s);
        *s = res->stream;
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_next, s, stream_free);
    } else if (res->has_file)
        r = MHD_create_response_from_fd_at_offset64(res->file_length, res->file_fd, res->file_offset);
    else if (res->borrowed)
        r = MHD_create_response_from_buffer(res->body_len, res->body, MHD_RESPMEM_PERSISTENT);
    else
        r = MHD_create_response_from_buffer(res->body_len, res->body ? res->body : (char *)"",
                                            res->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    res->body = NULL;
    if (res->content_type && res->status != 204)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    if (res->location) MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, res->location);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    const char *name;
    const json_t *value;
    json_object_foreach(res->headers, name, value) MHD_add_response_header(r, name, json_string_value(value));
    json_decref(res->headers);
    res->headers = NULL;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    free(res->location);
    return ret;
}

static enum MHD_Result simple_problem(struct MHD_Connection *conn, int status, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static enum MHD_Result simple_problem(struct MHD_Connection *conn, int status, const char *path, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = pf_vasprintf(fmt, ap);
    va_end(ap);
    pf_errors errs;
    pf_errors_init(&errs);
    pf_code code = status == 413 ? PF_ETOOLARGE : status == 404 ? PF_ENOTFOUND : PF_EINVAL;
    pf_errors_add(&errs, code, "", "%s", msg);
    pf_response res = {0};
    pf_respond_problem(&res, status, NULL, msg, path, &errs);
    pf_errors_clear(&errs);
    free(msg);
    return send_response(conn, &res);
}

static enum MHD_Result dispatch(const pf_server *srv, struct MHD_Connection *conn, const char *url, const char *method,
                                upload *up) {
    pf_request req = {
        .method = method,
        .path = url,
        .body = up->body,
        .body_len = up->len,
        .query = query_arg,
        .header = header_value,
        .conn = conn,
    };
    bool path_known;
    const pf_route *route = pf_route_match(method, url, &req, &path_known);
    if (!route) {
        pf_response res = {0};
        if (!path_known && pf_static_serve(srv->app, &req, &res)) return send_response(conn, &res);
        if (path_known) return simple_problem(conn, 405, url, "%s is not allowed on %s", method, url);
        return simple_problem(conn, 404, url, "no such resource: %s", url);
    }
    pf_response res = {.status = 500};
    route->handler(srv->app, &req, &res);
    pf_request_free_params(&req);
    return send_response(conn, &res);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *data, size_t *data_size, void **state) {
    (void)version;
    const pf_server *srv = cls;
    upload *up = *state;
    if (!up) {
        up = pf_xcalloc(1, sizeof *up);
        *state = up;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > srv->app->max_body_bytes) {
            up->too_large = true;
            return simple_problem(conn, 413, url, "the request body is over the limit of %zu bytes",
                                  srv->app->max_body_bytes);
        }
        return MHD_YES;
    }
    if (*data_size) {
        if (!up->too_large && up->len + *data_size > srv->app->max_body_bytes) {
            up->too_large = true;
            free(up->body);
            up->body = NULL;
            up->len = 0;
        }
        if (!up->too_large) {
            if (up->len + *data_size + 1 > up->cap) {
                up->cap = (up->len + *data_size + 1) * 2;
                if (up->cap > srv->app->max_body_bytes + 1) up->cap = srv->app->max_body_bytes + 1;
                up->body = pf_xrealloc(up->body, up->cap);
            }
            memcpy(up->body + up->len, data, *data_size);
            up->len += *data_size;
            up->body[up->len] = '\0';
        }
        *data_size = 0;
        return MHD_YES;
    }
    if (up->too_large)
        return simple_problem(conn, 413, url, "the request body is over the limit of %zu bytes",
                              srv->app->max_body_bytes);
    return dispatch(srv, conn, url, method, up);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode code) {
    (void)cls;
    (void)conn;
    (void)code;
    upload *up = *state;
    if (up) {
        free(up->body);
        free(up);
    }
    *state = NULL;
}

pf_error *pf_server_start(const pf_server_opts *opts, const pf_app *app, pf_server **out) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(opts->port)};
    const char *bind = opts->bind ? opts->bind : "127.0.0.1";
    if (inet_pton(AF_INET, bind, &addr.sin_addr) != 1)
        return pf_error_new(PF_EINVAL, "/bind", "\"%s\" is not an IPv4 address", bind);
    unsigned threads = opts->threads ? opts->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    pf_server *srv = pf_xcalloc(1, sizeof *srv);
    srv->app = app;
    srv->daemon =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO, opts->port, NULL, NULL,
                         on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
                         threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
                         MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_END);
    if (!srv->daemon) {
        free(srv);
        return pf_error_new(PF_EIO, "/port", "cannot listen on %s:%u (in use, or not permitted)", bind,
                            (unsigned)opts->port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : opts->port;
    *out = srv;
    return NULL;
}

uint16_t pf_server_port(const pf_server *srv) { return srv->port; }

void pf_server_stop(pf_server *srv) {
    if (!srv) return;
    MHD_stop_daemon(srv->daemon);
    free(srv);
}
