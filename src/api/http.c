#include "api/http.h"

#include "core/json_text.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

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
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 501: return "Not Implemented";
    default: return status >= 500 ? "Internal Server Error" : "Error";
    }
}

void pf_respond_problem(pf_response *res, int status, const char *title, const char *detail, const char *instance,
                        const pf_errors *errs) {
    json_t *doc = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank", "title",
                            title ? title : status_title(status), "status", status, "detail", detail ? detail : "");
    if (instance) json_object_set_new(doc, "instance", json_string(instance));
    if (errs && errs->len) {
        json_object_set_new(doc, "type", json_sprintf("urn:prodflow:problem:%s", pf_code_name(errs->items[0].code)));
        json_object_set_new(doc, "errors", pf_errors_to_json(errs));
    }
    respond_doc(res, status, "application/problem+json", doc);
}

void pf_respond_error(pf_response *res, const pf_request *req, const pf_error *err) {
    pf_errors one = {.items = (pf_error *)err, .len = 1, .cap = 1};
    pf_respond_problem(res, pf_code_http_status(err->code), NULL, err->message, req->path, &one);
}

json_t *pf_request_json(const pf_request *req, pf_response *res) {
    const char *ct = req->header(req, "Content-Type");
    if (ct && strncmp(ct, "application/json", 16) != 0 && strncmp(ct, "application/problem+json", 24) != 0) {
        pf_errors errs;
        pf_errors_init(&errs);
        pf_errors_add(&errs, PF_EINVAL, "", "the body must be application/json, not %s", ct);
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
