#include "api/auth.h"

#include "api/router.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/mem.h"
#include "core/sha256.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define ID_CHARS 16     /* 80 random bits: the store key */
#define SECRET_CHARS 32 /* 160 random bits */

static const struct {
    const char *name;
    unsigned bit;
} role_names[] = {
    {"viewer", PF_ROLE_VIEWER}, {"editor", PF_ROLE_EDITOR}, {"operator", PF_ROLE_OPERATOR},
    {"admin", PF_ROLE_ADMIN},   {"worker", PF_ROLE_WORKER}, {"metrics", PF_ROLE_METRICS},
};

unsigned pf_role_bit(const char *name) {
    for (size_t i = 0; name && i < sizeof role_names / sizeof *role_names; i++)
        if (strcmp(role_names[i].name, name) == 0) return role_names[i].bit;
    return 0;
}

json_t *pf_roles_json(unsigned roles) {
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof role_names / sizeof *role_names; i++)
        if (roles & role_names[i].bit) json_array_append_new(list, json_string(role_names[i].name));
    return list;
}

bool pf_roles_allow(unsigned roles, unsigned allowed) {
    if (!allowed || (roles & PF_ROLE_ADMIN)) return true;
    if (roles & (PF_ROLE_EDITOR | PF_ROLE_OPERATOR)) roles |= PF_ROLE_VIEWER;
    return (roles & allowed) != 0;
}

/* n characters of RFC 4648 base32 (lower case), 5 random bits each. */
static void random_chars(char *out, size_t n) {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    unsigned char bytes[64];
    if (getrandom(bytes, n, 0) != (ssize_t)n) abort(); /* the kernel's CSPRNG does not fail once booted */
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[bytes[i] & 31];
    out[n] = '\0';
}

static bool valid_name(const char *name) {
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 100) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) return false;
    return true;
}

pf_error *pf_token_create(pf_store *store, const pf_token_spec *spec, char **token_out, json_t **doc_out) {
    *token_out = NULL;
    if (doc_out) *doc_out = NULL;
    if (!valid_name(spec->name))
        return pf_error_new(PF_EINVAL, "/name", "a token's name is 1 to 100 printable characters");
    if (!spec->roles || (spec->roles & ~(unsigned)(PF_ROLE_VIEWER | PF_ROLE_EDITOR | PF_ROLE_OPERATOR | PF_ROLE_ADMIN |
                                                   PF_ROLE_WORKER | PF_ROLE_METRICS)))
        return pf_error_new(
            PF_EINVAL, "/roles",
            "a token holds one or more of the roles viewer, editor, operator, admin, worker and metrics");
    if (spec->expires_at_s && spec->expires_at_s <= (long long)time(NULL))
        return pf_error_new(PF_EINVAL, "/expires_at", "the expiry is in the past");
    char id[ID_CHARS + 1], secret[SECRET_CHARS + 1], digest[65], stamp[PF_ISO_LEN];
    random_chars(id, ID_CHARS);
    random_chars(secret, SECRET_CHARS);
    char *token = pf_asprintf("pft_%s_%s", id, secret);
    pf_sha256_hex(token, strlen(token), digest);
    pf_iso_now(stamp);
    json_t *doc =
        json_pack("{s:s, s:s, s:o, s:s, s:s, s:s}", "id", id, "name", spec->name, "roles", pf_roles_json(spec->roles),
                  "created_at", stamp, "created_by", spec->created_by ? spec->created_by : "cli", "sha256", digest);
    if (spec->expires_at_s) {
        pf_iso_format(spec->expires_at_s, 0, stamp);
        json_object_set_new(doc, "expires_at", json_string(stamp));
        json_object_set_new(doc, "expires_at_s", json_integer(spec->expires_at_s));
    }
    pf_store_item item = {.op = PF_ITEM_CREATE, .kind = "token", .key = id, .doc = doc};
    pf_error *err = pf_store_items_write(store, &item, 1);
    if (err) {
        free(token);
        json_decref(doc);
        return err;
    }
    json_object_del(doc, "sha256");
    json_object_del(doc, "expires_at_s");
    *token_out = token;
    if (doc_out)
        *doc_out = doc;
    else
        json_decref(doc);
    return NULL;
}

static int newest_first(const void *a, const void *b) {
    const char *x = pf_json_str(*(json_t *const *)a, "created_at"), *y = pf_json_str(*(json_t *const *)b, "created_at");
    return strcmp(y ? y : "", x ? x : "");
}

pf_error *pf_token_list(pf_store *store, json_t **list_out) {
    json_t *all = NULL;
    pf_error *err = pf_store_item_list(store, "token", &all);
    if (err) return err;
    size_t n = json_array_size(all);
    json_t **items = pf_xcalloc(n, sizeof *items);
    for (size_t i = 0; i < n; i++) {
        items[i] = json_array_get(all, i);
        json_object_del(items[i], "sha256");
        json_object_del(items[i], "expires_at_s");
    }
    qsort(items, n, sizeof *items, newest_first);
    *list_out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(*list_out, items[i]);
    free(items);
    json_decref(all);
    return NULL;
}

pf_error *pf_token_revoke(pf_store *store, const char *id) {
    json_t *doc = NULL;
    pf_error *err = pf_store_item_get(store, "token", id, &doc);
    if (err) return err;
    if (!json_object_get(doc, "revoked_at")) {
        char stamp[PF_ISO_LEN];
        pf_iso_now(stamp);
        json_object_set_new(doc, "revoked_at", json_string(stamp));
        pf_store_item item = {.op = PF_ITEM_REPLACE,
                              .kind = "token",
                              .key = id,
                              .doc = doc,
                              .if_revision = json_integer_value(json_object_get(doc, "revision"))};
        err = pf_store_items_write(store, &item, 1);
    }
    json_decref(doc);
    return err;
}

static bool usable(const json_t *doc, long long now) {
    long long expires = json_integer_value(json_object_get(doc, "expires_at_s"));
    return !json_object_get(doc, "revoked_at") && (!expires || expires > now);
}

pf_error *pf_token_verify(pf_store *store, const char *token, pf_principal *out) {
    memset(out, 0, sizeof *out);
    size_t n = token ? strlen(token) : 0;
    if (n != 4 + ID_CHARS + 1 + SECRET_CHARS || strncmp(token, "pft_", 4) != 0 || token[4 + ID_CHARS] != '_')
        return pf_error_new(PF_EUNAUTHORIZED, "", "the credentials are not a Prodflow token");
    char id[ID_CHARS + 1];
    memcpy(id, token + 4, ID_CHARS);
    id[ID_CHARS] = '\0';
    json_t *doc = NULL;
    pf_error *err = pf_store_item_get(store, "token", id, &doc);
    if (err) {
        bool missing = err->code == PF_ENOTFOUND;
        pf_error_free(err);
        return missing ? pf_error_new(PF_EUNAUTHORIZED, "", "the token is not known here")
                       : pf_error_new(PF_EIO, "", "the token could not be checked: the store is not answering");
    }
    char digest[65];
    pf_sha256_hex(token, n, digest);
    const char *kept = pf_json_str(doc, "sha256");
    bool match = kept && strlen(kept) == 64 && CRYPTO_memcmp(kept, digest, 64) == 0;
    if (!match)
        err = pf_error_new(PF_EUNAUTHORIZED, "", "the token is not known here");
    else if (json_object_get(doc, "revoked_at"))
        err = pf_error_new(PF_EUNAUTHORIZED, "", "the token \"%s\" was revoked", pf_json_str(doc, "name"));
    else if (!usable(doc, (long long)time(NULL)))
        err = pf_error_new(PF_EUNAUTHORIZED, "", "the token \"%s\" expired at %s", pf_json_str(doc, "name"),
                           pf_json_str(doc, "expires_at"));
    if (!err) {
        snprintf(out->token_id, sizeof out->token_id, "%s", id);
        snprintf(out->name, sizeof out->name, "%s", pf_json_str(doc, "name"));
        size_t i;
        const json_t *role;
        json_array_foreach(json_object_get(doc, "roles"), i, role) out->roles |= pf_role_bit(json_string_value(role));
    }
    json_decref(doc);
    return err;
}

void pf_token_csrf(const char *token, char out[33]) {
    char *salted = pf_asprintf("prodflow-csrf:%s", token), digest[65];
    pf_sha256_hex(salted, strlen(salted), digest);
    free(salted);
    memcpy(out, digest, 32);
    out[32] = '\0';
}

bool pf_token_any_usable(pf_store *store) {
    json_t *all = NULL;
    if (pf_store_item_list(store, "token", &all)) return false;
    long long now = (long long)time(NULL);
    bool any = false;
    size_t i;
    const json_t *doc;
    json_array_foreach(all, i, doc) any = any || usable(doc, now);
    json_decref(all);
    return any;
}

struct pf_login {
    pthread_mutex_t lock;
    char code[SECRET_CHARS + 1];
    bool used;
};

pf_login *pf_login_new(void) {
    pf_login *l = pf_xcalloc(1, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
    random_chars(l->code, SECRET_CHARS);
    return l;
}

void pf_login_free(pf_login *l) {
    if (!l) return;
    pthread_mutex_destroy(&l->lock);
    free(l);
}

const char *pf_login_code(const pf_login *l) { return l->code; }

bool pf_login_take(pf_login *l, const char *code) {
    if (!code || strlen(code) != SECRET_CHARS) return false;
    pthread_mutex_lock(&l->lock);
    bool ok = !l->used && CRYPTO_memcmp(code, l->code, SECRET_CHARS) == 0;
    if (ok) l->used = true;
    pthread_mutex_unlock(&l->lock);
    return ok;
}
