#include "api/http.h"

#include "core/json_text.h"
#include "core/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *pf_request_param(const pf_request *req, const char *name) {
    for (size_t i = 0; i < req->n_params; i++)
        if (strcmp(req->param_names[i], name) == 0) return req->param_values[i];
    return NULL;
}

static void drop_body(pf_response *res) {
    if (!res->borrowed) free(res->body);
    res->body = NULL;
    res->borrowed = false;
}

void pf_respond_static(pf_response *res, int status, const char *content_type, const char *body, size_t len) {
    drop_body(res);
    res->status = status;
    res->content_type = content_type;
    res->body = (char *)body;
    res->body_len = len;
    res->borrowed = true;
}

void pf_respond_text(pf_response *res, int status, const char *content_type, char *body, size_t len) {
    drop_body(res);
    res->status = status;
    res->content_type = content_type;
    res->body = body;
    res->body_len = len;
}

static void respond_doc(pf_response *res, int status, const char *content_type, json_t *doc) {
    char *text = pf_json_text(doc, false);
    json_decref(doc);
    if (!text) abort();
    pf_respond_text(res, status, content_type, text, strlen(text));
}

void pf_respond_json(pf_response *res, int status, json_t *doc) { respond_doc(res, status, "application/json", doc); }

static const char *status_title(int status) {
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 421: return "Misdirected Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Error";
    }
}

/* Text that may quote the request (the decoded path, a header) as a JSON
 * string: json_pack refuses bytes that are not UTF-8, which left no document
 * and aborted in respond_doc. */
static json_t *text_json(const char *s) {
    char *ok = pf_utf8_repair(pf_strdup(s));
    json_t *v = json_string(ok);
    free(ok);
    return v;
}

void pf_respond_problem(pf_response *res, int status, const char *title, const char *detail, const char *instance,
                        const pf_errors *errs) {
    json_t *doc = json_pack("{s:s, s:o, s:i, s:o}", "type", "about:blank", "title",
                            text_json(title ? title : status_title(status)), "status", status, "detail",
                            text_json(detail ? detail : ""));
    if (instance) json_object_set_new(doc, "instance", text_json(instance));
    if (errs && errs->len) {
        json_object_set_new(doc, "type", json_sprintf("urn:prodflow:problem:%s", pf_code_name(errs->items[0].code)));
        json_object_set_new(doc, "errors", pf_errors_to_json(errs));
    }
    respond_doc(res, status, "application/problem+json", doc);
}

void pf_respond_problem_doc(pf_response *res, int status, json_t *doc) {
    respond_doc(res, status, "application/problem+json", doc);
}

void pf_respond_error(pf_response *res, const pf_request *req, const pf_error *err) {
    pf_errors one = {.items = (pf_error *)err, .len = 1, .cap = 1};
    pf_respond_problem(res, pf_code_http_status(err->code), NULL, err->message, req->path, &one);
}

void pf_respond_error_take(pf_response *res, const pf_request *req, pf_error *err) {
    pf_respond_error(res, req, err);
    pf_error_free(err);
}

bool pf_media_type_is(const char *content_type, const char *type) {
    size_t n = strcspn(content_type, "; \t"), want = strlen(type);
    return n == want && strncasecmp(content_type, type, n) == 0;
}

json_t *pf_request_json(const pf_request *req, pf_response *res) {
    const char *ct = req->header(req, "Content-Type");
    if (ct && !pf_media_type_is(ct, "application/json")) {
        pf_errors errs;
        pf_errors_init(&errs);
        pf_errors_add(&errs, PF_EINVAL, "/headers/Content-Type", "the body must be application/json, not %s", ct);
        pf_respond_problem(res, 415, NULL, errs.items[0].message, req->path, &errs);
        pf_errors_clear(&errs);
        return NULL;
    }
    if (!req->body || req->body_len == 0) {
        pf_error *err = pf_error_new(PF_EINVAL, "", "the request needs a JSON body");
        pf_respond_problem(res, 400, NULL, err->message, req->path, &(pf_errors){err, 1, 1});
        pf_error_free(err);
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        pf_error *err =
            pf_error_new(PF_EINVAL, "", "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        pf_respond_problem(res, 400, NULL, err->message, req->path, &(pf_errors){err, 1, 1});
        pf_error_free(err);
    }
    return doc;
}

/* Parses "bytes=a-b", "bytes=a-" or "bytes=-n" against size; false when the
 * range cannot be satisfied. Several ranges are not offered. */
static bool parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *len) {
    unsigned long long a = 0, b = 0;
    if (strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') || size == 0) return false;
    h += 6;
    if (*h == '-') {
        if (sscanf(h + 1, "%llu", &b) != 1 || b == 0) return false;
        *from = b >= size ? 0 : size - b;
        *len = size - *from;
        return true;
    }
    int n = sscanf(h, "%llu-%llu", &a, &b);
    if (n < 1 || a >= size || (n == 2 && b < a)) return false;
    uint64_t last = n == 2 && b < size ? b : size - 1;
    *from = a;
    *len = last - a + 1;
    return true;
}

void pf_respond_file(pf_response *res, const pf_request *req, int fd, uint64_t size, const char *content_type,
                     const char *etag) {
    static const char *const known[] = {"image/png",         "image/webp",       "video/mp4",
                                        "model/gltf-binary", "application/json", "application/x-blender",
                                        "text/plain",        "model/step"};
    res->content_type = "application/octet-stream";
    for (size_t i = 0; content_type && i < sizeof known / sizeof *known; i++)
        if (strcmp(content_type, known[i]) == 0) res->content_type = known[i];
    uint64_t from = 0, len = size;
    const char *range = req->header(req, "Range");
    res->headers = json_pack("{s:s}", "Accept-Ranges", "bytes");
    if (etag) json_object_set_new(res->headers, "ETag", json_string(etag));
    if (range && !parse_range(range, size, &from, &len)) {
        close(fd);
        json_object_set_new(res->headers, "Content-Range", json_sprintf("bytes */%" PRIu64, size));
        pf_respond_text(res, 416, "text/plain", pf_strdup("range not satisfiable\n"), 22);
        return;
    }
    if (range)
        json_object_set_new(res->headers, "Content-Range",
                            json_sprintf("bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, from, from + len - 1, size));
    res->status = range ? 206 : 200;
    res->has_file = true;
    res->file_fd = fd;
    res->file_offset = from;
    res->file_length = len;
}
