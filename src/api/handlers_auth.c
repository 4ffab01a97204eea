/* Signing in, tokens and the audit log. The editor signs in with this
 * start's one-time code (POST /api/auth/login) or a pasted token (POST
 * /api/auth/session); either way the token goes into an HttpOnly,
 * SameSite=Strict cookie, never into the page's reach, and the answer
 * carries the CSRF token its writes echo. GET /api/auth/whoami says who a
 * token is; admins manage tokens and read the audit log. */
#include "api/audit.h"
#include "api/auth.h"
#include "api/router.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIGN_IN_DAYS 30
#define SIGNED_IN_BY "sign-in link"

/* Answers a sign-in: the session cookie holds token until it expires. */
static void start_session(const pf_app *app, pf_response *res, int status, const char *token, json_t *doc) {
    char csrf[33];
    pf_token_csrf(token, csrf);
    json_t *expires = json_object_get(doc, "expires_at");
    long long left = 0;
    if (pf_iso_parse(json_string_value(expires), &left)) left -= (long long)time(NULL);
    char max_age[32] = "";
    if (left > 0) snprintf(max_age, sizeof max_age, "; Max-Age=%lld", left);
    res->headers = json_pack("{s:s+++}", "Set-Cookie", PF_SESSION_COOKIE "=", token,
                             "; Path=/; HttpOnly; SameSite=Strict", max_age);
    if (app->secure_cookies) {
        char *with = pf_asprintf("%s; Secure", pf_json_str(res->headers, "Set-Cookie"));
        json_object_set_new(res->headers, "Set-Cookie", json_string(with));
        free(with);
    }
    /* A token without an expiry gives a session without expires_at (as
     * GET /api/tokens leaves it out), not a null the document does not have. */
    json_t *answer =
        json_pack("{s:O, s:O, s:O, s:O*, s:s}", "id", json_object_get(doc, "id"), "name", json_object_get(doc, "name"),
                  "roles", json_object_get(doc, "roles"), "expires_at", expires, "csrf", csrf);
    json_t *headers = res->headers;
    res->headers = NULL;
    pf_respond_json(res, status, answer);
    res->headers = headers;
}

void pf_handle_auth_login(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *body = pf_request_json(req, res);
    if (!body) return;
    const char *code = pf_json_str(body, "code");
    if (!pf_login_take(app->login, code)) {
        json_decref(body);
        pf_respond_error_take(
            res, req,
            pf_error_new(PF_EUNAUTHORIZED, "/code",
                         "the sign-in code is not valid or was used already: use the link the server printed "
                         "at its last start, or a token from `prodflow token create`"));
        return;
    }
    json_decref(body);
    pf_token_spec spec = {.name = "editor sign-in",
                          .roles = PF_ROLE_ADMIN,
                          .expires_at_s = (long long)time(NULL) + SIGN_IN_DAYS * 86400LL,
                          .created_by = SIGNED_IN_BY};
    char *token = NULL;
    json_t *doc = NULL;
    pf_error *err = pf_token_create(app->store, &spec, &token, &doc);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_principal who = {.roles = PF_ROLE_ADMIN};
    snprintf(who.token_id, sizeof who.token_id, "%s", pf_json_str(doc, "id"));
    snprintf(who.name, sizeof who.name, "%s", spec.name);
    pf_audit_record(app->store, &who, req->method, req->path, 201);
    start_session(app, res, 201, token, doc);
    free(token);
    json_decref(doc);
}

void pf_handle_auth_session(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *body = pf_request_json(req, res);
    if (!body) return;
    const char *token = pf_json_str(body, "token");
    pf_principal who;
    pf_error *err = token ? pf_token_verify(app->store, token, &who)
                          : pf_error_new(PF_EINVAL, "/token", "paste the token `prodflow token create` printed");
    if (err) {
        if (err->code == PF_EUNAUTHORIZED) {
            free(err->pointer);
            err->pointer = pf_strdup("/token");
        }
        json_decref(body);
        pf_respond_error_take(res, req, err);
        return;
    }
    json_t *doc = json_pack("{s:s, s:s, s:o}", "id", who.token_id, "name", who.name, "roles", pf_roles_json(who.roles));
    start_session(app, res, 200, token, doc);
    json_decref(doc);
    json_decref(body);
}

/* Signing out ends the cookie; a token the sign-in link made for this
 * browser is revoked too (a pasted token may serve elsewhere and stays). */
void pf_handle_auth_logout(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *token = req->cookie ? req->cookie(req, PF_SESSION_COOKIE) : NULL;
    pf_principal who;
    json_t *doc = NULL;
    if (token && !pf_token_verify(app->store, token, &who) &&
        !pf_store_item_get(app->store, "token", who.token_id, &doc) &&
        !strcmp(pf_json_str(doc, "created_by") ? pf_json_str(doc, "created_by") : "", SIGNED_IN_BY))
        pf_error_free(pf_token_revoke(app->store, who.token_id));
    json_decref(doc);
    res->status = 204;
    res->headers =
        json_pack("{s:s}", "Set-Cookie", PF_SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

void pf_handle_auth_whoami(const pf_app *app, const pf_request *req, pf_response *res) {
    (void)app;
    const pf_principal *p = &req->principal;
    json_t *doc =
        json_pack("{s:s, s:s, s:o}", "token_id", p->token_id, "name", p->name, "roles", pf_roles_json(p->roles));
    /* The page that holds the cookie may learn what its writes must echo:
     * a GET that a foreign page can neither read (no CORS) nor send with
     * the cookie (SameSite=Strict). */
    if (p->by_cookie) json_object_set_new(doc, "csrf", json_string(p->csrf));
    pf_respond_json(res, 200, doc);
}

void pf_handle_token_list(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *list = NULL;
    pf_error *err = pf_token_list(app->store, &list);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_json(res, 200, json_pack("{s:o}", "tokens", list));
}

/* {name, roles: [...], expires_in_days?}: every problem at once. */
static bool read_spec(const json_t *body, pf_token_spec *spec, pf_errors *errs) {
    const json_t *roles = json_object_get(body, "roles");
    spec->name = pf_json_str(body, "name");
    if (!spec->name) pf_errors_add(errs, PF_EINVAL, "/name", "name the token: who or what holds it");
    if (!json_is_array(roles) || json_array_size(roles) == 0)
        pf_errors_add(errs, PF_EINVAL, "/roles", "give the token one or more roles");
    size_t i;
    const json_t *role;
    json_array_foreach(roles, i, role) {
        unsigned bit = pf_role_bit(json_string_value(role));
        if (!bit) {
            char *ptr = pf_ptr_index("/roles", i);
            pf_errors_add(errs, PF_EINVAL, ptr, "the roles are viewer, editor, operator, admin, worker and metrics");
            free(ptr);
        }
        spec->roles |= bit;
    }
    const json_t *days = json_object_get(body, "expires_in_days");
    if (days && (!json_is_integer(days) || json_integer_value(days) < 1 || json_integer_value(days) > 36500))
        pf_errors_add(errs, PF_EINVAL, "/expires_in_days", "expires_in_days is a whole number of days, 1 to 36500");
    else if (days)
        spec->expires_at_s = (long long)time(NULL) + json_integer_value(days) * 86400LL;
    return errs->len == 0;
}

void pf_handle_token_create(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *body = pf_request_json(req, res);
    if (!body) return;
    pf_errors errs;
    pf_errors_init(&errs);
    pf_token_spec spec = {.created_by = req->principal.name};
    if (!json_is_object(body)) pf_errors_add(&errs, PF_EINVAL, "", "the body is an object {name, roles}");
    if (errs.len || !read_spec(body, &spec, &errs)) {
        pf_respond_problem(res, 422, "The token cannot be created", errs.items[0].message, req->path, &errs);
        pf_errors_clear(&errs);
        json_decref(body);
        return;
    }
    char *token = NULL;
    json_t *doc = NULL;
    pf_error *err = pf_token_create(app->store, &spec, &token, &doc);
    json_decref(body);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    json_object_set_new(doc, "token", json_string(token));
    free(token);
    pf_respond_json(res, 201, doc);
}

void pf_handle_token_revoke(const pf_app *app, const pf_request *req, pf_response *res) {
    pf_error *err = pf_token_revoke(app->store, pf_request_param(req, "id"));
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    res->status = 204;
}

void pf_handle_audit_list(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *limit_text = req->query(req, "limit");
    char *end = NULL;
    long limit = limit_text ? strtol(limit_text, &end, 10) : 100;
    if (limit_text && (*end || limit < 1 || limit > 1000)) {
        pf_respond_error_take(res, req, pf_error_new(PF_EINVAL, "/query/limit", "limit is a number from 1 to 1000"));
        return;
    }
    json_t *list = NULL;
    pf_error *err = pf_audit_list(app->store, (size_t)limit, &list);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_json(res, 200, json_pack("{s:o}", "entries", list));
}
