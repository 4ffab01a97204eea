/* Request and response as the handlers see them, independent of
 * libmicrohttpd. A handler fills the response; the server sends it. */
#ifndef PF_API_HTTP_H
#define PF_API_HTTP_H

#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PF_MAX_PATH_PARAMS 4

/* Who sent a request: the token it carried (api/auth.h), or nobody. */
typedef struct pf_principal {
    char token_id[40]; /* "" for an anonymous caller */
    char name[128];
    unsigned roles; /* PF_ROLE_* bits (api/router.h) */
    bool by_cookie; /* the editor's session cookie carried the token */
    char csrf[33];  /* with by_cookie: what writes must echo in X-CSRF-Token */
} pf_principal;

/* How a streamed answer waits without holding a thread: with nothing to
 * send, its next() calls park(conn) and returns PF_STREAM_PARKED (the
 * server sets the connection aside); whoever has news for it calls
 * unpark(conn), from any thread, and next() is called again. */
typedef struct pf_stream_parking {
    void (*park)(void *conn);
    void (*unpark)(void *conn);
    void *conn;
} pf_stream_parking;

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
    const char *(*cookie)(const struct pf_request *req, const char *name); /* may be NULL: no cookies */
    void *conn;                                                            /* the server's connection handle */
    /* The body streamed to a file (api/upload.h) on upload routes, else NULL. */
    const struct pf_upload *upload;
    pf_principal principal;           /* filled by the guard (api/guard.h) */
    const pf_stream_parking *parking; /* for streamed answers (pf_stream); borrowed for the connection's life */
} pf_request;

#define PF_STREAM_PARKED (-2L)

/* A body produced piece by piece (Server-Sent Events): next fills buf with
 * up to max bytes and returns how many, 0 at the end, -1 on error, or
 * PF_STREAM_PARKED; it must not block. done frees user. */
typedef struct pf_stream {
    long (*next)(void *user, char *buf, size_t max);
    void (*done)(void *user);
    void *user;
} pf_stream;

typedef struct pf_response {
    int status;
    const char *content_type; /* static string */
    char *body;               /* malloc'd and owned, unless borrowed */
    size_t body_len;
    bool borrowed;   /* body outlives the server (pre-built at start-up) */
    char *location;  /* optional Location header, owned */
    json_t *headers; /* more headers, name -> value; owned, may be NULL */
    /* A file body instead of body: file_fd (owned, closed by the server)
     * from file_offset for file_length bytes. */
    bool has_file;
    int file_fd;
    uint64_t file_offset, file_length;
    bool has_stream; /* stream replaces body */
    pf_stream stream;
} pf_response;

const char *pf_request_param(const pf_request *req, const char *name);

/* Body helpers: each takes ownership of what it is given. */
void pf_respond_static(pf_response *res, int status, const char *content_type, const char *body, size_t len);
void pf_respond_json(pf_response *res, int status, json_t *doc);
void pf_respond_text(pf_response *res, int status, const char *content_type, char *body, size_t len);
/* RFC 9457 problem details; errs (borrowed, may be NULL) becomes "errors". */
void pf_respond_problem(pf_response *res, int status, const char *title, const char *detail, const char *instance,
                        const pf_errors *errs);
/* A problem document built by the caller (taken), e.g. with extension members. */
void pf_respond_problem_doc(pf_response *res, int status, json_t *doc);
/* One error: status from its code, its pointer and message in "errors". */
void pf_respond_error(pf_response *res, const pf_request *req, const pf_error *err);
/* As pf_respond_error, and frees err: the common ending of a handler. */
void pf_respond_error_take(pf_response *res, const pf_request *req, pf_error *err);

/* A file body (fd owned from here on) of size bytes, honouring a Range
 * header with 206 or 416; content_type is kept when it is a known media
 * type, else application/octet-stream. etag may be NULL. */
void pf_respond_file(pf_response *res, const pf_request *req, int fd, uint64_t size, const char *content_type,
                     const char *etag);

/* Whether a Content-Type names exactly type (case aside), parameters such
 * as "; charset=utf-8" allowed: "application/jsonx" is not application/json. */
bool pf_media_type_is(const char *content_type, const char *type);

/* Parses the request body as JSON. On failure responds 400 (or 415/422)
 * itself and returns NULL. New reference. */
json_t *pf_request_json(const pf_request *req, pf_response *res);

#endif
