/* The front door: what every request must pass before a handler sees it.
 * The Host must be an address the server answers for (no DNS rebinding),
 * an Origin must be the server's own (no foreign page driving the API from
 * an operator's browser), a body must declare its real type (the form and
 * text types a foreign page can send without a preflight are refused), and
 * the caller must hold a role the route admits. docs/security.md has the
 * model. */
#ifndef PF_API_GUARD_H
#define PF_API_GUARD_H

#include "api/auth.h"
#include "api/http.h"
#include "api/router.h"

typedef struct pf_guard pf_guard;

typedef struct pf_guard_config {
    const char *bind;                 /* the listening address */
    unsigned port;                    /* the bound port */
    const char *public_url;           /* "https://prodflow.example.com[:port]"; NULL: the bind address */
    const char *const *allow_origins; /* more origins a browser may call from (a dev server); may be NULL */
} pf_guard_config;

/* NULL with *out set, or an error naming what is wrong with public_url. */
pf_error *pf_guard_new(const pf_guard_config *cfg, pf_guard **out);
void pf_guard_free(pf_guard *g);
/* The origin the editor is served at: the public URL's, else http://BIND:PORT. */
const char *pf_guard_origin(const pf_guard *g);

/* Checks Host and Origin; on refusal fills res (421 or 403) and returns
 * false. Runs before a body is read. */
bool pf_guard_admit(const pf_guard *g, const pf_request *req, pf_response *res);
/* Checks that a request with a body names an acceptable type: JSON for
 * buffered routes, the file's type for uploads (checked where the upload
 * starts). Fills res with 415 and returns false otherwise. */
bool pf_guard_body_type(const pf_request *req, bool has_body, pf_response *res);
/* Authenticates the request's bearer token into req's principal and checks
 * the route's roles; fills res (401, 403, or 500 when the store does not
 * answer) and returns false on refusal. */
bool pf_guard_authorize(pf_store *store, const pf_route *route, pf_request *req, pf_response *res);

#endif
