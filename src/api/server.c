#include "api/server.h"

#include "api/audit.h"
#include "api/event_hub.h"
#include "api/guard.h"
#include "api/http_metrics.h"
#include "api/mhd_api.h"
#include "api/quota.h"
#include "api/router.h"
#include "api/static.h"
#include "api/upload.h"
#include "core/id.h"
#include "core/json_text.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/path.h"
#include "core/sha256.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct pf_server {
    struct MHD_Daemon *daemon;
    const pf_app *app;
    uint16_t port;
    pf_guard *guard;
};

/* A body streamed to a temporary file while it is hashed (routes with an
 * upload dir), raw or as the one file part of multipart/form-data. */
typedef struct {
    pf_upload pub; /* what the handler sees; its strings point at the fields below */
    char *path;
    int fd; /* -1 once the file is dropped */
    pf_sha256_ctx sha;
    struct MHD_PostProcessor *pp; /* multipart only */
    uint64_t limit;               /* file bytes */
    uint64_t quota_left;          /* bytes the disk quota leaves; UINT64_MAX without one */
    uint64_t quota;
    uint64_t received, received_limit; /* body bytes, framing included */
    char *filename, *content_type;
    size_t parts; /* file parts seen */
    char *part_key;
    uint64_t part_bytes;
    int failed; /* an HTTP status to answer once the body is in, or 0 */
    char *failure, *failure_pointer;
} streamed;

/* Per-connection state while a request body arrives. */
typedef struct {
    char *body;
    size_t len, cap;
    bool answered; /* a response went out before the body; the rest is dropped */
    streamed *file;
    pf_principal principal; /* who the guard let in */
    /* For the access log and the metrics (api/http_metrics.h). */
    char request_id[PF_REQUEST_ID_MAX];
    char method[16];
    char client[64];
    unsigned long long started_us;
    const pf_route *route; /* NULL: kind says what answered */
    pf_route_kind kind;
    int status; /* 0 until a response is queued */
    _Atomic unsigned long long bytes;
    const pf_server *srv;
} upload;

/* Multipart framing around the file: boundaries and part headers. */
#define MULTIPART_SLACK (64u << 10)

static const char *query_arg(const pf_request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

static const char *header_value(const pf_request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static const char *cookie_value(const pf_request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

/* A stream and the request it answers, whose byte count it keeps. */
typedef struct {
    pf_stream s;
    upload *up;
} counted_stream;

static ssize_t stream_next(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    counted_stream *c = cls;
    pf_stream *s = &c->s;
    long n = s->next(s->user, buf, max);
    if (n > 0 && c->up) atomic_fetch_add_explicit(&c->up->bytes, (unsigned long long)n, memory_order_relaxed);
    if (n == PF_STREAM_PARKED) return 0; /* the connection is suspended until unparked */
    return n > 0 ? (ssize_t)n : n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void park(void *conn) { MHD_suspend_connection(conn); }
static void unpark(void *conn) { MHD_resume_connection(conn); }

static void stream_free(void *cls) {
    counted_stream *c = cls;
    if (c->s.done) c->s.done(c->s.user);
    free(c);
}

/* Replaces every occurrence of root (an absolute server directory) in the
 * document's strings with label: an error never shows where the server
 * keeps its files. */
static void scrub_paths(json_t *doc, const char *root, const char *label) {
    if (json_is_string(doc)) {
        char *hidden = pf_path_hide(json_string_value(doc), root, label);
        if (hidden) json_string_set(doc, hidden);
        free(hidden);
        return;
    }
    const char *key;
    json_t *value;
    size_t i;
    if (json_is_object(doc)) json_object_foreach(doc, key, value) scrub_paths(value, root, label);
    if (json_is_array(doc)) json_array_foreach(doc, i, value) scrub_paths(value, root, label);
}

/* A problem document gets the request id, loses absolute server paths, and
 * a 5xx is logged with its cause. */
static void finish_problem(const upload *up, pf_response *res) {
    json_t *doc = json_loadb(res->body, res->body_len, 0, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return;
    }
    if (res->status >= 500) {
        json_t *fields = json_pack("{s:s, s:s, s:s, s:i, s:O*}", "request_id", up->request_id, "method", up->method,
                                   "route", pf_http_route_name(up->route, up->kind), "status", res->status, "errors",
                                   json_object_get(doc, "errors"));
        pf_log_fields(PF_LOG_ERROR, "http.error", fields, "%s",
                      json_string_value(json_object_get(doc, "detail"))
                          ? json_string_value(json_object_get(doc, "detail"))
                          : "no detail");
        json_decref(fields);
    }
    if (up->srv) {
        scrub_paths(doc, up->srv->app->data_dir, "DATA");
        scrub_paths(doc, up->srv->app->share_dir, "SHARE");
    }
    json_object_set_new(doc, "request_id", json_string(up->request_id));
    char *text = pf_json_text(doc, false);
    json_decref(doc);
    if (!text) return;
    if (!res->borrowed) free(res->body);
    res->borrowed = false;
    res->body = text;
    res->body_len = strlen(text);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, upload *up, pf_response *res) {
    struct MHD_Response *r;
    if (res->content_type && strcmp(res->content_type, "application/problem+json") == 0 && res->body &&
        !res->has_stream && !res->has_file)
        finish_problem(up, res);
    up->status = res->status;
    if (res->has_stream) {
        counted_stream *c = pf_xmalloc(sizeof *c);
        c->s = res->stream;
        c->up = up;
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_next, c, stream_free);
    } else if (res->has_file)
        r = MHD_create_response_from_fd_at_offset64(res->file_length, res->file_fd, res->file_offset);
    else if (res->borrowed)
        r = MHD_create_response_from_buffer(res->body_len, res->body, MHD_RESPMEM_PERSISTENT);
    else
        r = MHD_create_response_from_buffer(res->body_len, res->body ? res->body : (char *)"",
                                            res->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!res->has_stream)
        atomic_store_explicit(&up->bytes, res->has_file ? res->file_length : res->body_len, memory_order_relaxed);
    res->body = NULL;
    if (res->content_type && res->status != 204)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    if (res->location) MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, res->location);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Request-Id", up->request_id);
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

static enum MHD_Result problem_at(struct MHD_Connection *conn, upload *up, int status, const char *path,
                                  const char *pointer, const char *msg) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_code code = status == 413 ? PF_ETOOLARGE : status == 404 ? PF_ENOTFOUND : status >= 500 ? PF_EIO : PF_EINVAL;
    pf_errors_add(&errs, code, pointer, "%s", msg);
    pf_response res = {0};
    pf_respond_problem(&res, status, NULL, msg, path, &errs);
    pf_errors_clear(&errs);
    return send_response(conn, up, &res);
}

static enum MHD_Result simple_problem(struct MHD_Connection *conn, upload *up, int status, const char *path,
                                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static enum MHD_Result simple_problem(struct MHD_Connection *conn, upload *up, int status, const char *path,
                                      const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = pf_vasprintf(fmt, ap);
    va_end(ap);
    enum MHD_Result r = problem_at(conn, up, status, path, "", msg);
    free(msg);
    return r;
}

/* A body that passed its limit mid-way (a chunked body announces no
 * length, so nothing could be refused from the headers): the answer goes
 * out at once and the connection is closed, so an endless body is not read
 * on. libmicrohttpd 0.9 takes no response while a body is arriving, so the
 * problem is written to the socket here (nothing else has been sent on
 * it but a possible "100 Continue"), the sending side is shut, what the
 * client already sent is read away so that the close does not reset the
 * answer, and MHD_NO makes libmicrohttpd close the connection. */
static enum MHD_Result answer_and_close(struct MHD_Connection *conn, upload *up, int status, const char *path,
                                        const char *pointer, const char *msg) {
    up->status = status; /* for the access log and the metrics */
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!info) return MHD_NO;
    int fd = info->connect_fd;
    pf_errors errs;
    pf_errors_init(&errs);
    pf_errors_add(&errs, status == 413 ? PF_ETOOLARGE : PF_EIO, pointer, "%s", msg);
    pf_response res = {0};
    pf_respond_problem(&res, status, NULL, msg, path, &errs);
    pf_errors_clear(&errs);
    const char *reason = MHD_get_reason_phrase_for((unsigned)status);
    char *head = pf_asprintf("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: "
                             "no-store\r\nConnection: close\r\n\r\n",
                             status, reason && *reason ? reason : "Error", res.content_type, res.body_len);
    const char *parts[2] = {head, res.body};
    size_t lens[2] = {strlen(head), res.body_len};
    for (int i = 0; i < 2; i++)
        for (size_t done = 0; done < lens[i];) {
            ssize_t w = send(fd, parts[i] + done, lens[i] - done, MSG_NOSIGNAL);
            if (w > 0) {
                done += (size_t)w;
                continue;
            }
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            if (w < 0 && (errno == EINTR || ((errno == EAGAIN || errno == EWOULDBLOCK) && poll(&pfd, 1, 1000) > 0)))
                continue;
            i = 2; /* the client is gone or does not read: close all the same */
            break;
        }
    free(head);
    free(res.body);
    json_decref(res.headers);
    free(res.location);
    shutdown(fd, SHUT_WR);
    char sink[16384];
    for (size_t drained = 0; drained < (4u << 20);) {
        ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n <= 0) break;
        drained += (size_t)n;
    }
    return MHD_NO;
}

/* Keeps the first failure; the body is still read to its end, so the
 * client gets the answer rather than a reset connection (a body over the
 * size or disk limit is answered at once instead: answer_and_close). */
static void stream_fail(streamed *f, int status, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void stream_fail(streamed *f, int status, const char *pointer, const char *fmt, ...) {
    if (f->failed) return;
    va_list ap;
    va_start(ap, fmt);
    f->failure = pf_vasprintf(fmt, ap);
    va_end(ap);
    f->failed = status;
    f->failure_pointer = pf_strdup(pointer);
}

/* Deletes the temporary file at once: a refused upload leaves nothing behind. */
static void stream_drop_file(streamed *f) {
    if (f->fd < 0) return;
    close(f->fd);
    f->fd = -1;
    unlink(f->path);
}

static void stream_write(streamed *f, const char *data, size_t n) {
    if (f->failed || n == 0) return;
    if (f->pub.size + n > f->limit) {
        stream_fail(f, 413, "/file", "the upload is over the limit of %llu bytes (prodflow serve --max-upload)",
                    (unsigned long long)f->limit);
        stream_drop_file(f);
        return;
    }
    if (f->pub.size + n > f->quota_left) {
        stream_fail(f, 507, "/file",
                    "the installation is at its disk quota of %llu bytes (prodflow serve --disk-quota): this upload "
                    "does not fit in the %llu bytes left; delete what is not needed or raise the quota",
                    (unsigned long long)f->quota, (unsigned long long)f->quota_left);
        stream_drop_file(f);
        return;
    }
    for (size_t done = 0; done < n;) {
        ssize_t w = write(f->fd, data + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            stream_fail(f, 500, "", "cannot store the upload: %s", strerror(errno));
            stream_drop_file(f);
            return;
        }
        done += (size_t)w;
    }
    pf_sha256_update(&f->sha, data, n);
    if (f->pub.head_len < sizeof f->pub.head) {
        size_t take = sizeof f->pub.head - f->pub.head_len < n ? sizeof f->pub.head - f->pub.head_len : n;
        memcpy(f->pub.head + f->pub.head_len, data, take);
        f->pub.head_len += take;
    }
    f->pub.size += n;
}

/* MHD's multipart parser calls this per chunk of each part; only the file
 * part is kept (a part with a file name, or named "file"). */
static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                               const char *content_type, const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size) {
    (void)kind;
    (void)transfer_encoding;
    streamed *f = cls;
    if (!filename && !(key && strcmp(key, "file") == 0)) return MHD_YES;
    const char *k = key ? key : "";
    if (off == 0 && (!f->part_key || f->part_bytes > 0 || strcmp(f->part_key, k) != 0)) {
        free(f->part_key);
        f->part_key = pf_strdup(k);
        f->part_bytes = 0;
        if (++f->parts == 1) {
            if (filename) {
                free(f->filename);
                f->filename = pf_strdup(filename);
            }
            free(f->content_type);
            f->content_type = content_type ? pf_strdup(content_type) : NULL;
        }
    }
    if (f->parts > 1) {
        stream_fail(f, 422, "/file", "the multipart body has several file parts; send one");
        stream_drop_file(f);
        return MHD_YES;
    }
    stream_write(f, data, size);
    f->part_bytes += size;
    return MHD_YES;
}

/* Deletes the temporary file unless the handler renamed it away (then the
 * name is gone, or names another file with another inode). */
static void streamed_close(streamed *f) {
    if (f->fd < 0) return;
    struct stat held, named;
    if (fstat(f->fd, &held) == 0 && stat(f->path, &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino)
        unlink(f->path);
    close(f->fd);
    f->fd = -1;
}

static void streamed_free(streamed *f) {
    if (!f) return;
    if (f->pp) MHD_destroy_post_processor(f->pp);
    if (f->sha.md) {
        char unused[65];
        pf_sha256_final_hex(&f->sha, unused);
    }
    streamed_close(f);
    free(f->path);
    free(f->filename);
    free(f->content_type);
    free(f->part_key);
    free(f->failure);
    free(f->failure_pointer);
    free(f);
}

/* Whether the route takes a body of media type ct (its parameters aside):
 * a .blend is no CAD file, nor a STEP file a scene. */
static bool upload_type_taken(const pf_route *route, const char *ct) {
    size_t n = strcspn(ct, "; \t");
    for (const char *t = route->upload_types; t && *t;) {
        size_t len = strcspn(t, ",");
        if (len == n && strncasecmp(ct, t, n) == 0) return true;
        t += len + (t[len] == ',');
    }
    return false;
}

/* The first call of a streamed route: refuse what can be refused from the
 * headers alone, else open the temporary file. */
static enum MHD_Result stream_start(const pf_server *srv, struct MHD_Connection *conn, const char *url,
                                    const pf_route *route, upload *up) {
    const char *dir = route->upload_dir;
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    bool multipart = ct && strncasecmp(ct, "multipart/form-data", 19) == 0;
    if (ct && !upload_type_taken(route, ct)) {
        up->answered = true;
        bool form = strstr(route->upload_types, "multipart/form-data") != NULL;
        char *msg = pf_asprintf("send the file as one of %s (curl --data-binary @FILE -H 'Content-Type: "
                                "application/octet-stream'%s), not as %s",
                                route->upload_types, form ? ", or curl -F file=@FILE" : "", ct);
        enum MHD_Result r = problem_at(conn, up, 415, url, "/headers/Content-Type", msg);
        free(msg);
        return r;
    }
    uint64_t limit = srv->app->max_upload_bytes;
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > limit + (multipart ? MULTIPART_SLACK : 0)) {
        up->answered = true;
        char *msg = pf_asprintf("the upload is over the limit of %llu bytes (prodflow serve --max-upload)",
                                (unsigned long long)limit);
        enum MHD_Result r = problem_at(conn, up, 413, url, "/file", msg);
        free(msg);
        return r;
    }
    uint64_t quota = srv->app->disk_quota_bytes, used = 0, quota_left = pf_quota_left(srv->app, &used);
    if (quota && ((cl && strtoull(cl, NULL, 10) > quota_left) || quota_left == 0)) {
        up->answered = true;
        char *msg = pf_quota_message(srv->app, used, "this upload");
        enum MHD_Result r = problem_at(conn, up, 507, url, "/file", msg);
        free(msg);
        return r;
    }
    streamed *f = pf_xcalloc(1, sizeof *f);
    f->fd = -1;
    f->limit = limit;
    f->quota = quota;
    f->quota_left = quota_left;
    f->received_limit = limit + (multipart ? MULTIPART_SLACK : 0);
    f->pub.multipart = multipart;
    const char *name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "filename");
    f->filename = name ? pf_strdup(name) : NULL;
    f->content_type = ct && !multipart ? pf_strdup(ct) : NULL;
    up->file = f;
    char *tmp_dir = pf_asprintf("%s/%s/tmp", srv->app->data_dir, dir);
    pf_error *err = pf_mkdirs(tmp_dir, 0755);
    if (err) { /* its message names the directory: log it, tell the client less */
        pf_log(PF_LOG_ERROR, "http.upload_dir", "request %s: %s", up->request_id, err->message);
        pf_error_free(err);
        err = pf_error_new(PF_EIO, "", "cannot create the upload directory %s/tmp in the data directory", dir);
    }
    f->path = pf_asprintf("%s/upload-XXXXXX", tmp_dir);
    free(tmp_dir);
    if (!err && (f->fd = mkostemp(f->path, O_CLOEXEC)) < 0)
        err = pf_error_new(PF_EIO, "", "cannot create a temporary file for the upload: %s", strerror(errno));
    if (!err && multipart && !(f->pp = MHD_create_post_processor(conn, 64u << 10, on_part, f)))
        err = pf_error_new(PF_EINVAL, "", "the multipart/form-data body needs a boundary parameter");
    if (err) {
        stream_fail(f, err->code == PF_EINVAL ? 400 : 500, err->pointer, "%s", err->message);
        pf_error_free(err);
        stream_drop_file(f);
        return MHD_YES;
    }
    pf_sha256_init(&f->sha);
    return MHD_YES;
}

static void stream_data(streamed *f, const char *data, size_t n) {
    f->received += n;
    if (f->received > f->received_limit && !f->failed) {
        stream_fail(f, 413, "/file", "the upload is over the limit of %llu bytes (prodflow serve --max-upload)",
                    (unsigned long long)f->limit);
        stream_drop_file(f);
    }
    if (f->failed) return;
    if (!f->pp) {
        stream_write(f, data, n);
    } else if (MHD_post_process(f->pp, data, n) != MHD_YES) {
        stream_fail(f, 400, "", "the multipart/form-data body is malformed");
        stream_drop_file(f);
    }
}

/* The body is in: the file is complete and hashed, or the failure is told. */
static bool stream_finish(streamed *f) {
    if (f->pp) {
        bool complete = MHD_destroy_post_processor(f->pp) == MHD_YES;
        f->pp = NULL;
        if (!complete)
            stream_fail(f, 400, "", "the multipart/form-data body ends before its closing boundary");
        else if (f->parts == 0)
            stream_fail(f, 422, "/file", "the multipart/form-data body has no file part (send it as -F file=@FILE)");
    }
    if (f->failed) {
        stream_drop_file(f);
        return false;
    }
    pf_sha256_final_hex(&f->sha, f->pub.sha256);
    f->pub.path = f->path;
    f->pub.filename = f->filename;
    f->pub.content_type = f->content_type;
    return true;
}

static int bind_socket(int fd, const struct sockaddr_in *addr) {
    return bind(fd, (const struct sockaddr *)addr, sizeof *addr);
}

static bool reads_only(const char *method) { return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0; }

static enum MHD_Result dispatch(const pf_server *srv, struct MHD_Connection *conn, const char *url, const char *method,
                                upload *up) {
    pf_request req = {
        .method = method,
        .path = url,
        .body = up->body,
        .body_len = up->len,
        .query = query_arg,
        .header = header_value,
        .cookie = cookie_value,
        .conn = conn,
        .upload = up->file ? &up->file->pub : NULL,
        .principal = up->principal,
        .parking = &(pf_stream_parking){park, unpark, conn},
    };
    bool path_known;
    const pf_route *route = pf_route_match(method, url, &req, &path_known);
    up->route = route;
    if (!route) {
        pf_response res = {0};
        if (!path_known && pf_static_serve(srv->app, &req, &res)) {
            up->kind = PF_ROUTE_STATIC;
            return send_response(conn, up, &res);
        }
        if (path_known) return simple_problem(conn, up, 405, url, "%s is not allowed on %s", method, url);
        return simple_problem(conn, up, 404, url, "no such resource: %s", url);
    }
    up->kind = PF_ROUTE_API;
    pf_response res = {.status = 500};
    route->handler(srv->app, &req, &res);
    pf_request_free_params(&req);
    if (!reads_only(method) && req.principal.token_id[0] && res.status < 400)
        pf_audit_record(srv->app->store, &req.principal, method, url, res.status);
    if (up->file) streamed_close(up->file); /* before the answer, so a client never sees the temp file */
    return send_response(conn, up, &res);
}

/* Whether the request may come in, decided from its headers before any
 * body is read: Host and Origin, the body's type, and the caller's token
 * against the route's roles. A refusal is answered at once, so a refused
 * upload is never read. */
static bool admit(const pf_server *srv, struct MHD_Connection *conn, const char *url, const char *method, upload *up) {
    pf_request req = {.method = method,
                      .path = url,
                      .query = query_arg,
                      .header = header_value,
                      .cookie = cookie_value,
                      .conn = conn};
    pf_response res = {.status = 500};
    bool known = false, ok = pf_guard_admit(srv->guard, &req, &res);
    const pf_route *route = ok ? pf_route_match(method, url, &req, &known) : NULL;
    pf_request_free_params(&req);
    up->route = route;
    up->kind = route ? PF_ROUTE_API : PF_ROUTE_NONE;
    if (ok && route && !route->upload_dir) {
        const char *cl = header_value(&req, MHD_HTTP_HEADER_CONTENT_LENGTH);
        const char *te = header_value(&req, MHD_HTTP_HEADER_TRANSFER_ENCODING);
        ok = pf_guard_body_type(&req, (cl && strtoull(cl, NULL, 10) > 0) || te, &res);
    }
    /* Published files (/published/..., served beside the routes) take a
     * token like the API; customers use the signed links of /api/shared. */
    static const pf_route published = {.method = "GET", .pattern = "/published/...", .roles = PF_ROLE_VIEWER};
    const pf_route *guarded = route ? route : strncmp(url, "/published/", 11) == 0 ? &published : NULL;
    if (ok && guarded) ok = pf_guard_authorize(srv->app->store, guarded, &req, &res);
    if (ok) {
        up->principal = req.principal;
        return true;
    }
    up->principal = req.principal; /* the access log names a token that was refused its route */
    up->answered = true;
    send_response(conn, up, &res);
    return false;
}

/* A well-formed X-Request-Id (1 to 64 of [A-Za-z0-9._:-]) is kept, so a
 * proxy's id follows the request; anything else gets a new one. */
static bool request_id_ok(const char *id) {
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n >= PF_REQUEST_ID_MAX) return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '_' || *p == '-' || *p == ':'))
            return false;
    return true;
}

static void begin_request(const pf_server *srv, struct MHD_Connection *conn, const char *method, upload *up) {
    up->srv = srv;
    up->started_us = pf_monotonic_us();
    up->kind = PF_ROUTE_NONE;
    snprintf(up->method, sizeof up->method, "%s", method);
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (request_id_ok(given))
        snprintf(up->request_id, sizeof up->request_id, "%s", given);
    else
        pf_id_new("req", up->request_id);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, up->client, sizeof up->client);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, up->client, sizeof up->client);
}

/* One access log line and the request's metrics, when it ends. */
static void end_request(upload *up, enum MHD_RequestTerminationCode code) {
    if (!up->srv) return;
    unsigned long long us = pf_monotonic_us() - up->started_us;
    unsigned long long bytes = atomic_load_explicit(&up->bytes, memory_order_relaxed);
    const char *route = pf_http_route_name(up->route, up->kind);
    pf_http_metrics_record(up->srv->app->http_metrics, up->route, up->kind, up->status, us);
    json_t *fields = json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:s, s:s}", "request_id", up->request_id, "method",
                               up->method, "route", route, "status", up->status, "duration_ms", (json_int_t)(us / 1000),
                               "duration_us", (json_int_t)us, "bytes", (json_int_t)bytes, "client", up->client, "token",
                               up->principal.token_id[0] ? up->principal.name : "");
    if (code != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        json_object_set_new(fields, "aborted",
                            json_string(code == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED   ? "timeout"
                                        : code == MHD_REQUEST_TERMINATED_CLIENT_ABORT    ? "client"
                                        : code == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "shutdown"
                                        : code == MHD_REQUEST_TERMINATED_READ_ERROR      ? "read_error"
                                                                                         : "error"));
    pf_log_fields(PF_LOG_INFO, "http.access", fields, "%s %s %d", up->method, route, up->status);
    json_decref(fields);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *data, size_t *data_size, void **state) {
    (void)version;
    const pf_server *srv = cls;
    upload *up = *state;
    if (!up) {
        up = pf_xcalloc(1, sizeof *up);
        *state = up;
        begin_request(srv, conn, method, up);
        if (!admit(srv, conn, url, method, up)) return MHD_YES;
        pf_request probe = {0};
        bool known;
        const pf_route *route = pf_route_match(method, url, &probe, &known);
        pf_request_free_params(&probe);
        if (route && route->upload_dir) return stream_start(srv, conn, url, route, up);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > srv->app->max_body_bytes) {
            up->answered = true;
            return simple_problem(conn, up, 413, url, "the request body is over the limit of %zu bytes",
                                  srv->app->max_body_bytes);
        }
        return MHD_YES;
    }
    if (up->answered) { /* the response went out with the headers; drop the rest */
        *data_size = 0;
        return MHD_YES;
    }
    if (up->file) {
        if (*data_size) {
            stream_data(up->file, data, *data_size);
            *data_size = 0;
            if (up->file->failed == 413 || up->file->failed == 507) {
                up->answered = true;
                return answer_and_close(conn, up, up->file->failed, url, up->file->failure_pointer, up->file->failure);
            }
            return MHD_YES;
        }
        if (!stream_finish(up->file)) {
            up->answered = true;
            return problem_at(conn, up, up->file->failed, url, up->file->failure_pointer, up->file->failure);
        }
        return dispatch(srv, conn, url, method, up);
    }
    if (*data_size) {
        if (up->len + *data_size > srv->app->max_body_bytes) {
            up->answered = true;
            *data_size = 0;
            char *msg = pf_asprintf("the request body is over the limit of %zu bytes", srv->app->max_body_bytes);
            enum MHD_Result r = answer_and_close(conn, up, 413, url, "", msg);
            free(msg);
            return r;
        }
        if (up->len + *data_size + 1 > up->cap) {
            up->cap = (up->len + *data_size + 1) * 2;
            if (up->cap > srv->app->max_body_bytes + 1) up->cap = srv->app->max_body_bytes + 1;
            up->body = pf_xrealloc(up->body, up->cap);
        }
        memcpy(up->body + up->len, data, *data_size);
        up->len += *data_size;
        up->body[up->len] = '\0';
        *data_size = 0;
        return MHD_YES;
    }
    return dispatch(srv, conn, url, method, up);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode code) {
    (void)cls;
    (void)conn;
    upload *up = *state;
    if (up) {
        end_request(up, code);
        streamed_free(up->file);
        free(up->body);
        free(up);
    }
    *state = NULL;
}

/* Binds and listens before the daemon starts, so the bound port (0 picks
 * one) is known to the guard before any request can arrive. */
static pf_error *listen_on(const char *bind, uint16_t port, int *fd_out, uint16_t *port_out) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, bind, &addr.sin_addr) != 1)
        return pf_error_new(PF_EINVAL, "/bind", "\"%s\" is not an IPv4 address", bind);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t len = sizeof addr;
    if (fd < 0 || bind_socket(fd, &addr) != 0 || listen(fd, 512) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        return pf_error_new(PF_EIO, "/port", "cannot listen on %s:%u: %s", bind, (unsigned)port, strerror(e));
    }
    *fd_out = fd;
    *port_out = ntohs(addr.sin_port);
    return NULL;
}

pf_error *pf_server_start(const pf_server_opts *opts, const pf_app *app, pf_server **out) {
    const char *bind = opts->bind ? opts->bind : "127.0.0.1";
    int fd = -1;
    uint16_t port = 0;
    pf_error *err = listen_on(bind, opts->port, &fd, &port);
    if (err) return err;
    pf_server *srv = pf_xcalloc(1, sizeof *srv);
    srv->app = app;
    srv->port = port;
    pf_guard_config gc = {
        .bind = bind, .port = port, .public_url = opts->public_url, .allow_origins = opts->allow_origins};
    if ((err = pf_guard_new(&gc, &srv->guard))) {
        close(fd);
        free(srv);
        return err;
    }
    unsigned threads = opts->threads ? opts->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    unsigned limit = opts->max_connections ? opts->max_connections : 1024;
    unsigned per_client = opts->max_per_client ? opts->max_per_client : 128;
    unsigned timeout = opts->client_timeout_s ? opts->client_timeout_s : 15;
    srv->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL,
        on_request, srv, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, timeout,
        MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_client, MHD_OPTION_END);
    if (!srv->daemon) {
        close(fd);
        pf_guard_free(srv->guard);
        free(srv);
        return pf_error_new(PF_EIO, "/port", "cannot serve on %s:%u", bind, (unsigned)port);
    }
    *out = srv;
    return NULL;
}

uint16_t pf_server_port(const pf_server *srv) { return srv->port; }
const char *pf_server_origin(const pf_server *srv) { return pf_guard_origin(srv->guard); }

void pf_server_stop(pf_server *srv) {
    if (!srv) return;
    pf_event_hub_close(srv->app->events); /* parked event streams end, so the daemon can stop */
    MHD_stop_daemon(srv->daemon);
    pf_guard_free(srv->guard);
    free(srv);
}
