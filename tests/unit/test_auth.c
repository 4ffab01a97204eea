/* Tokens, roles and the front door's rules, table by table, on a real
 * SQLite store. */
#include "check.h"

#include "api/auth.h"
#include "api/guard.h"
#include "core/json.h"
#include "core/mem.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <time.h>

static void test_roles(void) {
    static const struct {
        unsigned holds, route;
        bool allowed;
    } cases[] = {
        {0, 0, true},
        {0, PF_ROLE_VIEWER, false},
        {PF_ROLE_VIEWER, PF_ROLE_VIEWER, true},
        {PF_ROLE_EDITOR, PF_ROLE_VIEWER, true},
        {PF_ROLE_OPERATOR, PF_ROLE_VIEWER, true},
        {PF_ROLE_WORKER, PF_ROLE_VIEWER, false},
        {PF_ROLE_VIEWER, PF_ROLE_EDITOR, false},
        {PF_ROLE_OPERATOR, PF_ROLE_EDITOR, false},
        {PF_ROLE_OPERATOR, PF_ROLE_OPERATOR | PF_ROLE_EDITOR, true},
        {PF_ROLE_EDITOR, PF_ROLE_ADMIN, false},
        {PF_ROLE_ADMIN, PF_ROLE_ADMIN, true},
        {PF_ROLE_ADMIN, PF_ROLE_WORKER, true},
        {PF_ROLE_WORKER, PF_ROLE_WORKER, true},
        {PF_ROLE_VIEWER | PF_ROLE_WORKER, PF_ROLE_EDITOR, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK_MSG(pf_roles_allow(cases[i].holds, cases[i].route) == cases[i].allowed, "case %zu", i);
    CHECK_INT(pf_role_bit("operator"), PF_ROLE_OPERATOR);
    CHECK_INT(pf_role_bit("root"), 0);
    CHECK_INT(pf_role_bit(NULL), 0);
}

static void test_tokens(pf_store *s) {
    char *token = NULL;
    json_t *doc = NULL;
    pf_token_spec spec = {.name = "ci", .roles = PF_ROLE_VIEWER | PF_ROLE_WORKER};
    CHECK(pf_token_create(s, &spec, &token, &doc) == NULL);
    CHECK(token && strlen(token) == 53 && !strncmp(token, "pft_", 4));
    CHECK(json_object_get(doc, "sha256") == NULL); /* never handed out */
    pf_principal who;
    CHECK(pf_token_verify(s, token, &who) == NULL);
    CHECK_STR(who.name, "ci");
    CHECK_INT(who.roles, PF_ROLE_VIEWER | PF_ROLE_WORKER);
    /* One character off, wrong shape, nothing at all: all refused alike. */
    char *tampered = pf_strdup(token);
    tampered[52] = tampered[52] == 'a' ? 'b' : 'a';
    const char *bad[] = {tampered, "", "pft_", "Bearer x", "pft_aaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                         NULL};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        pf_error *err = pf_token_verify(s, bad[i], &who);
        CHECK_MSG(err && err->code == PF_EUNAUTHORIZED, "bad token %zu", i);
        CHECK_STR(who.name, "");
        pf_error_free(err);
    }
    free(tampered);
    /* Revoked tokens stay listed and never pass. */
    CHECK(pf_token_revoke(s, pf_json_str(doc, "id")) == NULL);
    pf_error *err = pf_token_verify(s, token, &who);
    CHECK(err && err->code == PF_EUNAUTHORIZED && strstr(err->message, "revoked"));
    pf_error_free(err);
    json_t *list = NULL;
    CHECK(pf_token_list(s, &list) == NULL);
    CHECK(json_object_get(json_array_get(list, 0), "revoked_at") != NULL);
    json_decref(list);
    CHECK(!pf_token_any_usable(s));
    json_decref(doc);
    free(token);

    /* An expired token: its expiry is set in the past directly in the store. */
    spec = (pf_token_spec){.name = "old", .roles = PF_ROLE_ADMIN, .expires_at_s = (long long)time(NULL) + 60};
    CHECK(pf_token_create(s, &spec, &token, &doc) == NULL);
    CHECK(pf_token_any_usable(s));
    json_t *stored = NULL;
    CHECK(pf_store_item_get(s, "token", pf_json_str(doc, "id"), &stored) == NULL);
    json_object_set_new(stored, "expires_at_s", json_integer((long long)time(NULL) - 1));
    pf_store_item item = {.op = PF_ITEM_REPLACE, .kind = "token", .key = pf_json_str(doc, "id"), .doc = stored};
    CHECK(pf_store_items_write(s, &item, 1) == NULL);
    err = pf_token_verify(s, token, &who);
    CHECK(err && err->code == PF_EUNAUTHORIZED && strstr(err->message, "expired"));
    pf_error_free(err);
    CHECK(!pf_token_any_usable(s));
    json_decref(stored);
    json_decref(doc);
    free(token);

    /* Specs that cannot be a token. */
    pf_token_spec wrong[] = {{.name = "", .roles = PF_ROLE_VIEWER},
                             {.name = "x", .roles = 0},
                             {.name = "x", .roles = 1u << 9},
                             {.name = "tab\there", .roles = PF_ROLE_VIEWER},
                             {.name = "x", .roles = PF_ROLE_VIEWER, .expires_at_s = 1}};
    const char *pointers[] = {"/name", "/roles", "/roles", "/name", "/expires_at"};
    for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
        token = NULL;
        err = pf_token_create(s, &wrong[i], &token, NULL);
        CHECK_MSG(err && err->code == PF_EINVAL && !strcmp(err->pointer, pointers[i]), "spec %zu", i);
        CHECK(token == NULL);
        pf_error_free(err);
    }
}

static void test_login_code(void) {
    pf_login *l = pf_login_new();
    char *code = pf_strdup(pf_login_code(l));
    CHECK_INT(strlen(code), 32);
    CHECK(!pf_login_take(l, "wrong"));
    CHECK(!pf_login_take(l, NULL));
    CHECK(pf_login_take(l, code));
    CHECK(!pf_login_take(l, code)); /* once */
    free(code);
    pf_login_free(l);
}

typedef struct {
    const char *host, *origin;
} headers;

static const char *header(const pf_request *req, const char *name) {
    const headers *h = req->conn;
    return !strcmp(name, "Host") ? h->host : !strcmp(name, "Origin") ? h->origin : NULL;
}

static bool admitted(const pf_guard *g, const char *host, const char *origin) {
    headers h = {host, origin};
    pf_request req = {.method = "GET", .path = "/api/health", .header = header, .conn = &h};
    pf_response res = {0};
    bool ok = pf_guard_admit(g, &req, &res);
    free(res.body);
    return ok;
}

static void test_guard(void) {
    pf_guard *g = NULL;
    pf_guard_config local = {.bind = "127.0.0.1", .port = 8080};
    CHECK(pf_guard_new(&local, &g) == NULL);
    CHECK(admitted(g, "127.0.0.1:8080", NULL));
    CHECK(admitted(g, "localhost:8080", "http://localhost:8080"));
    CHECK(admitted(g, "LOCALHOST:8080", NULL));
    CHECK(!admitted(g, "127.0.0.1:8081", NULL));
    CHECK(!admitted(g, "evil.example", NULL));
    CHECK(!admitted(g, NULL, NULL));
    CHECK(!admitted(g, "127.0.0.1:8080", "http://evil.example"));
    CHECK(!admitted(g, "127.0.0.1:8080", "null"));
    CHECK_STR(pf_guard_origin(g), "http://127.0.0.1:8080");
    pf_guard_free(g);

    pf_guard_config public = {.bind = "10.0.0.5",
                              .port = 8080,
                              .public_url = "https://prodflow.example.com",
                              .allow_origins = (const char *const[]){"http://localhost:5173", NULL}};
    CHECK(pf_guard_new(&public, &g) == NULL);
    CHECK(admitted(g, "prodflow.example.com", "https://prodflow.example.com"));
    CHECK(admitted(g, "10.0.0.5:8080", NULL));
    CHECK(admitted(g, "prodflow.example.com", "http://localhost:5173"));
    CHECK(!admitted(g, "localhost:8080", NULL)); /* not bound there */
    CHECK(!admitted(g, "prodflow.example.com", "http://prodflow.example.com"));
    CHECK_STR(pf_guard_origin(g), "https://prodflow.example.com");
    pf_guard_free(g);

    const char *wrong[] = {"prodflow.example.com", "ftp://x",       "https://user@x",
                           "https://x:0",          "https://x/app", "https://:443"};
    for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
        pf_guard_config c = {.bind = "127.0.0.1", .port = 1, .public_url = wrong[i]};
        pf_error *err = pf_guard_new(&c, &g);
        CHECK_MSG(err && !strcmp(err->pointer, "/public_url"), "%s", wrong[i]);
        pf_error_free(err);
    }
}

int main(void) {
    test_roles();
    char *dir = pf_test_tmpdir("auth");
    pf_store *s = NULL;
    CHECK(pf_store_open(dir, &s) == NULL);
    if (s) test_tokens(s);
    pf_store_close(s);
    free(dir);
    test_login_code();
    test_guard();
    return pf_check_done("auth");
}
