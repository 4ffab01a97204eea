/* Request and response as the handlers see them, independent of
 * libmicrohttpd. A handler fills the response; the server sends it. */
#ifndef PF_API_HTTP_H
#define PF_API_HTTP_H

#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define PF_MAX_PATH_PARAMS 4

typedef struct pf_request {
    const char *method;
    const char *path;
    const char *body; /* NUL-terminated; NULL when there is none */
    size_t body_len;
    const char *param_names[PF_MAX_PATH_PARAMS];
    char *param_values[PF_MAX_PATH_PARAMS]; /* owned by the server, decoded */
    size_t n_params;
    /* Looks up a query argument or header; borrowed from the connection. */
    const char *(*query)(const struct pf_request *req, const char *name);
    const char *(*header)(const struct pf_request *req, const char *name);
    void *conn; /* the server's connection handle */
} pf_request;

typedef struct pf_response {
    int status;
    const char *content_type; /* static string */
    char *body;               /* malloc'd and owned, unless borrowed */
    size_t body_len;
    bool borrowed;  /* body outlives the server (pre-built at start-up) */
    char *location; /* optional Location header, owned */
} pf_response;

const char *pf_request_param(const pf_request *req, const char *name);

/* Body helpers: each takes ownership of what it is given. */
void pf_respond_static(pf_response *res, int status, const char *content_type, const char *body, size_t len);
void pf_respond_json(pf_response *res, int status, json_t *doc);
void pf_respond_text(pf_response *res, int status, const char *content_type, char *body, size_t len);
/* RFC 9457 problem details; errs (borrowed, may be NULL) becomes "errors". */
void pf_respond_problem(pf_response *res, int status, const char *title, const char *detail, const char *instance,
                        const pf_errors *errs);
/* One error: status from its code, its pointer and message in "errors". */
void pf_respond_error(pf_response *res, const pf_request *req, const pf_error *err);

/* Parses the request body as JSON. On failure responds 400 (or 415/422)
 * itself and returns NULL. New reference. */
json_t *pf_request_json(const pf_request *req, pf_response *res);

#endif
