/* Who may call the API: tokens with roles, and the principal a request
 * carries. A token is "pft_<id>_<secret>"; the store keeps its id, name,
 * roles, expiry and the SHA-256 of the whole token (never the token), as
 * an item of kind "token" keyed by id. The secret has 160 random bits, so
 * a plain digest is as strong as a password hash would be, and cheap to
 * check on every request. docs/security.md has the model. */
#ifndef PF_API_AUTH_H
#define PF_API_AUTH_H

#include "api/http.h"
#include "store/store.h"

#include <stdbool.h>

/* The roles, as bits (api/router.h's PF_ROLE_* name the same bits). */
unsigned pf_role_bit(const char *name);
/* {"viewer", ...} for the bits in roles; new reference. */
json_t *pf_roles_json(unsigned roles);
/* Whether a holder of roles may call a route open to allowed (0: anyone):
 * admin may call anything; editor and operator include viewer. */
bool pf_roles_allow(unsigned roles, unsigned allowed);

typedef struct pf_token_spec {
    const char *name;       /* shown in the audit log; 1-100 characters */
    unsigned roles;         /* at least one */
    long long expires_at_s; /* seconds since the epoch; 0: never */
    const char *created_by; /* the creating token's name, or "cli" */
} pf_token_spec;

/* Creates a token: *token_out (caller frees) is the only copy of the
 * secret; *doc_out (new reference, may be NULL) what the store keeps,
 * without the digest. */
pf_error *pf_token_create(pf_store *store, const pf_token_spec *spec, char **token_out, json_t **doc_out);
/* Every token, newest first, without digests. New reference. */
pf_error *pf_token_list(pf_store *store, json_t **list_out);
/* Revoked tokens stay listed (the audit log names them) but never pass. */
pf_error *pf_token_revoke(pf_store *store, const char *id);
/* Checks a presented token; a clear PF_EUNAUTHORIZED error when it is
 * malformed, unknown, revoked or expired. */
pf_error *pf_token_verify(pf_store *store, const char *token, pf_principal *out);
/* The editor keeps its token in this cookie (HttpOnly, SameSite=Strict),
 * so images, downloads and event streams of the page carry it; writes
 * made with it must echo pf_token_csrf in X-CSRF-Token, which a foreign
 * page cannot read. */
#define PF_SESSION_COOKIE "pf_session"
/* A digest of the token that proves a request came from the page that
 * holds it; out gets 32 hex characters. */
void pf_token_csrf(const char *token, char out[33]);

/* Whether any token that can still be used exists (serving on a network
 * without one is refused). */
bool pf_token_any_usable(pf_store *store);

/* The one-time sign-in code of a server start (`make run` prints it as a
 * link): it buys a browser its first admin token without any default
 * password, the way Jupyter's start-up link does. */
typedef struct pf_login pf_login;
pf_login *pf_login_new(void);
void pf_login_free(pf_login *login);
const char *pf_login_code(const pf_login *login);
/* True once, for the right code; every later call is false. */
bool pf_login_take(pf_login *login, const char *code);

#endif
