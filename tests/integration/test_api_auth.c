/* Who may call what, against a real `prodflow serve`: every operation of the
 * served OpenAPI document refuses an anonymous request (401) and a token
 * without a role it admits (403); public ones answer anybody. Tokens made
 * and revoked through the API, the one-time sign-in link, the audit log,
 * and the front door: foreign Host and Origin, and body types a foreign
 * page could send without a preflight. */
#include "check.h"

#include "core/json.h"
#include "core/mem.h"
#include "support/server.h"
#include "support/shell.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <string.h>

/* A role the operation does not admit, to check 403 with. */
static const char *outsider(const json_t *security) {
    bool viewer = false, worker = false, editor = false, operator= false;
    size_t i;
    const json_t *req;
    json_array_foreach(security, i, req) {
        const char *role = json_string_value(json_array_get(json_object_get(req, "token"), 0));
        viewer |= role && !strcmp(role, "viewer");
        worker |= role && !strcmp(role, "worker");
        editor |= role && !strcmp(role, "editor");
        operator|= role && !strcmp(role, "operator");
    }
    if (viewer) return worker ? NULL : "worker"; /* editor and operator include viewer */
    if (editor || operator) return "viewer";
    return worker ? "viewer" : "operator"; /* admin-only */
}

/* "/api/runs/{id}/events" -> "/api/runs/x/events" */
static char *concrete(const char *pattern) {
    char *out = pf_xmalloc(strlen(pattern) + 1), *w = out;
    for (const char *p = pattern; *p; p++) {
        if (*p != '{') {
            *w++ = *p;
            continue;
        }
        *w++ = 'x';
        p = strchr(p, '}');
    }
    *w = '\0';
    return out;
}

static void walk_every_operation(const pf_test_server *srv) {
    pf_http_reply doc;
    CHECK(pf_http_as(srv, NULL, NULL, "GET", "/api/openapi.json", NULL, 0, NULL, &doc) == 0);
    CHECK_INT(doc.status, 200); /* the document itself is public */
    char *tokens[5] = {0};
    const char *names[] = {"viewer", "editor", "operator", "admin", "worker"};
    for (size_t i = 0; i < 5; i++)
        tokens[i] = pf_test_token(srv, (const char *const[]){names[i], NULL});
    size_t secured = 0, public_ops = 0;
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc.json, "paths"), path, item) {
        const char *method;
        json_t *op;
        json_object_foreach(item, method, op) {
            if (!strcmp(method, "parameters")) continue;
            char upper[8] = {0};
            for (size_t k = 0; method[k] && k < 7; k++)
                upper[k] = (char)(method[k] - 'a' + 'A');
            const json_t *security = json_object_get(op, "security");
            CHECK_MSG(json_is_array(security), "%s %s declares no security", upper, path);
            char *url = concrete(path);
            bool body = !strcmp(upper, "POST") || !strcmp(upper, "PUT");
            pf_http_reply r;
            CHECK(pf_http_as(srv, NULL, NULL, upper, url, body ? "{}" : NULL, 2, NULL, &r) == 0);
            if (json_array_size(security) == 0) {
                public_ops++;
                /* (sign-in answers 401 for a wrong code, at /code: not for want of a token; a
                 * signed link without its signature is 403 at /query/sig, not for want of a role) */
                bool unsigned_link = pf_problems_have(json_object_get(r.json, "errors"), "/query/sig");
                CHECK_MSG((r.status != 403 || unsigned_link) &&
                              !pf_problems_have(json_object_get(r.json, "errors"), "/headers/Authorization"),
                          "public %s %s answered %ld: %s", upper, path, r.status, r.body);
            } else {
                secured++;
                CHECK_MSG(r.status == 401, "anonymous %s %s answered %ld, not 401", upper, path, r.status);
                CHECK_STR(r.content_type, "application/problem+json");
                const char *role = outsider(security);
                if (role) {
                    size_t k = 0;
                    while (strcmp(names[k], role) != 0)
                        k++;
                    pf_http_reply f;
                    CHECK(pf_http_as(srv, tokens[k], NULL, upper, url, body ? "{}" : NULL, 2, NULL, &f) == 0);
                    CHECK_MSG(f.status == 403, "a %s token on %s %s got %ld, not 403", role, upper, path, f.status);
                    CHECK_MSG(f.body && strstr(f.body, "roles"), "the 403 names the roles: %s", f.body);
                    pf_http_reply_free(&f);
                }
            }
            pf_http_reply_free(&r);
            free(url);
        }
    }
    CHECK_MSG(secured > 60, "%zu secured operations", secured);
    CHECK_INT(public_ops, 7); /* health, the document and its reference page, signing in and out, and signed links */
    for (size_t i = 0; i < 5; i++)
        free(tokens[i]);
    pf_http_reply_free(&doc);
}

static long status_of(const pf_test_server *srv, const char *token, const char *const *headers, const char *method,
                      const char *path, const char *body, const char *type) {
    pf_http_reply r;
    long status =
        pf_http_as(srv, token, headers, method, path, body, body ? strlen(body) : 0, type, &r) == 0 ? r.status : 0;
    pf_http_reply_free(&r);
    return status;
}

static void test_front_door(const pf_test_server *srv) {
    const char *category = "{\"key\": \"bikes\", \"name\": \"Bikes\"}";
    /* DNS rebinding: a name that resolves here but is not the server's own. */
    CHECK_INT(
        status_of(srv, srv->token, (const char *const[]){"Host: evil.example", NULL}, "GET", "/api/health", NULL, NULL),
        421);
    /* A foreign page driving the API from an operator's browser. */
    CHECK_INT(status_of(srv, srv->token, (const char *const[]){"Origin: http://evil.example", NULL}, "POST",
                        "/api/categories", category, NULL),
              403);
    char origin[96];
    snprintf(origin, sizeof origin, "Origin: http://127.0.0.1:%u", srv->port);
    CHECK_INT(status_of(srv, srv->token, (const char *const[]){origin, NULL}, "GET", "/api/categories", NULL, NULL),
              200);
    /* Bodies must say what they are; the types a form can send are refused. */
    const char *refused[] = {"text/plain", "application/x-www-form-urlencoded", "application/jsonx",
                             "multipart/form-data; boundary=x"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
        CHECK_MSG(status_of(srv, srv->token, NULL, "POST", "/api/categories", category, refused[i]) == 415, "%s",
                  refused[i]);
    CHECK_INT(status_of(srv, srv->token, NULL, "POST", "/api/categories", category, "application/json; charset=utf-8"),
              201);
}

static void test_tokens_and_audit(const pf_test_server *srv) {
    long status;
    json_t *made =
        pf_http_json(srv, "POST", "/api/tokens",
                     "{\"name\": \"render farm\", \"roles\": [\"viewer\"], \"expires_in_days\": 7}", &status);
    CHECK_INT(status, 201);
    const char *token = pf_json_str(made, "token"), *id = pf_json_str(made, "id");
    CHECK(token && !strncmp(token, "pft_", 4));
    CHECK(pf_json_str(made, "expires_at") != NULL);
    pf_http_reply who;
    CHECK(pf_http_as(srv, token, NULL, "GET", "/api/auth/whoami", NULL, 0, NULL, &who) == 0);
    CHECK_INT(who.status, 200);
    CHECK_STR(pf_json_str(who.json, "name"), "render farm");
    pf_http_reply_free(&who);
    /* The list never shows a secret or a digest. */
    pf_http_reply list;
    CHECK(pf_http(srv, "GET", "/api/tokens", NULL, 0, NULL, &list) == 0);
    CHECK(list.body && !strstr(list.body, token) && !strstr(list.body, "sha256"));
    pf_http_reply_free(&list);
    char *path = pf_asprintf("/api/tokens/%s", id);
    CHECK_INT(status_of(srv, srv->token, NULL, "DELETE", path, NULL, NULL), 204);
    pf_http_reply gone;
    CHECK(pf_http_as(srv, token, NULL, "GET", "/api/auth/whoami", NULL, 0, NULL, &gone) == 0);
    CHECK_INT(gone.status, 401);
    CHECK_MSG(gone.body && strstr(gone.body, "revoked"), "%s", gone.body);
    pf_http_reply_free(&gone);
    free(path);
    json_decref(made);
    /* Bad requests name the field. */
    pf_http_reply bad;
    CHECK(pf_http(srv, "POST", "/api/tokens", "{\"roles\": [\"root\"]}", 19, NULL, &bad) == 0);
    CHECK_INT(bad.status, 422);
    CHECK(pf_problems_have(json_object_get(bad.json, "errors"), "/name"));
    CHECK(pf_problems_have(json_object_get(bad.json, "errors"), "/roles/0"));
    pf_http_reply_free(&bad);

    /* The audit log names the token behind each change. */
    json_t *audit = pf_http_json(srv, "GET", "/api/audit?limit=50", NULL, &status);
    CHECK_INT(status, 200);
    bool category = false, revoked = false;
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(audit, "entries"), i, e) {
        category |= !strcmp(pf_json_str(e, "path"), "/api/categories") && !strcmp(pf_json_str(e, "token"), "test");
        revoked |= !strcmp(pf_json_str(e, "method"), "DELETE") && !strncmp(pf_json_str(e, "path"), "/api/tokens/", 12);
    }
    CHECK_MSG(category && revoked, "audit: %s", json_dumps(audit, JSON_COMPACT));
    json_decref(audit);
}

/* The editor's way in: the start-up link's code buys a session cookie
 * (HttpOnly, SameSite=Strict) whose writes must echo the CSRF token. */
static void test_sign_in_link(const pf_test_server *srv) {
    CHECK(srv->login != NULL && strlen(srv->login) == 32);
    char *body = pf_asprintf("{\"code\": \"%s\"}", srv->login ? srv->login : "");
    pf_http_reply r;
    CHECK(pf_http_as(srv, NULL, NULL, "POST", "/api/auth/login", body, strlen(body), NULL, &r) == 0);
    CHECK_INT(r.status, 201);
    CHECK(pf_json_str(r.json, "token") == NULL); /* the page never holds the token */
    const char *csrf = pf_json_str(r.json, "csrf");
    CHECK(csrf && strlen(csrf) == 32);
    CHECK_MSG(r.set_cookie && strstr(r.set_cookie, "pf_session=pft_") && strstr(r.set_cookie, "HttpOnly") &&
                  strstr(r.set_cookie, "SameSite=Strict"),
              "Set-Cookie: %s", r.set_cookie ? r.set_cookie : "(none)");
    char cookie[256];
    snprintf(cookie, sizeof cookie, "Cookie: %.*s", r.set_cookie ? (int)strcspn(r.set_cookie, ";") : 0,
             r.set_cookie ? r.set_cookie : "");
    char echo[96];
    snprintf(echo, sizeof echo, "X-CSRF-Token: %s", csrf ? csrf : "");
    pf_http_reply who;
    CHECK(pf_http_as(srv, NULL, (const char *const[]){cookie, NULL}, "GET", "/api/auth/whoami", NULL, 0, NULL, &who) ==
          0);
    CHECK_INT(who.status, 200);
    CHECK_STR(json_string_value(json_array_get(json_object_get(who.json, "roles"), 0)), "admin");
    CHECK_STR(pf_json_str(who.json, "csrf"), csrf);
    pf_http_reply_free(&who);
    const char *tier = "{\"key\": \"cookie\", \"name\": \"Cookie\", \"currency\": \"EUR\", \"prices\": {}}";
    CHECK_INT(status_of(srv, NULL, (const char *const[]){cookie, NULL}, "POST", "/api/pricing-tiers", tier, NULL), 403);
    long made =
        status_of(srv, NULL, (const char *const[]){cookie, echo, NULL}, "POST", "/api/pricing-tiers", tier, NULL);
    CHECK_MSG(made != 401 && made != 403, "a write with the CSRF token answered %ld", made);
    /* Once only. */
    pf_http_reply again;
    CHECK(pf_http_as(srv, NULL, NULL, "POST", "/api/auth/login", body, strlen(body), NULL, &again) == 0);
    CHECK_INT(again.status, 401);
    pf_http_reply_free(&again);
    /* Signing out revokes the token the link made. */
    CHECK_INT(status_of(srv, NULL, (const char *const[]){cookie, echo, NULL}, "POST", "/api/auth/logout", NULL, NULL),
              204);
    CHECK_INT(status_of(srv, NULL, (const char *const[]){cookie, NULL}, "GET", "/api/auth/whoami", NULL, NULL), 401);
    pf_http_reply_free(&r);
    free(body);

    /* A pasted token signs in the same way and survives signing out. */
    char *viewer = pf_test_token(srv, (const char *const[]){"viewer", NULL});
    char *paste = pf_asprintf("{\"token\": \"%s\"}", viewer);
    CHECK(pf_http_as(srv, NULL, NULL, "POST", "/api/auth/session", paste, strlen(paste), NULL, &r) == 0);
    CHECK_INT(r.status, 200);
    CHECK(r.set_cookie && strstr(r.set_cookie, viewer));
    pf_http_reply_free(&r);
    CHECK(pf_http_as(srv, NULL, NULL, "POST", "/api/auth/session", "{\"token\": \"nope\"}", 17, NULL, &r) == 0);
    CHECK_INT(r.status, 401);
    CHECK(pf_problems_have(json_object_get(r.json, "errors"), "/token"));
    pf_http_reply_free(&r);
    free(paste);
    free(viewer);
}

/* Listening beyond this machine with no token at all is refused before any
 * socket is opened. */
static void test_network_needs_a_token(void) {
    char *dir = pf_test_tmpdir("bare");
    char *cmd =
        pf_asprintf("%s serve --bind 0.0.0.0 --port 0 --no-demo-data --web-dir '' --data-dir '%s'", PF_BIN, dir);
    CHECK(pf_test_expect(cmd, 1, "prodflow token create"));
    free(cmd);
    free(dir);
}

int main(void) {
    pf_test_server srv;
    if (pf_test_server_start(&srv, (const char *const[]){"--no-demo-data", NULL}) != 0)
        return pf_check_done("api_auth");
    walk_every_operation(&srv);
    test_front_door(&srv);
    test_tokens_and_audit(&srv);
    test_sign_in_link(&srv);
    test_network_needs_a_token();
    pf_test_server_stop(&srv);
    return pf_check_done("api_auth");
}
