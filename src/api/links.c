#include "api/links.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/mem.h"
#include "core/sha256.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mac_hex(const char *key, const char *path, long long expires, char out[65]) {
    char *text = pf_asprintf("%s\n%lld", path, expires);
    pf_hmac_sha256_hex(key, text, strlen(text), out);
    free(text);
}

char *pf_link_sign(const char *key, const char *path, long long expires) {
    char sig[65];
    mac_hex(key, path, expires, sig);
    return pf_asprintf("%s?expires=%lld&sig=%s", path, expires, sig);
}

int pf_link_check(const char *key, const char *path, const char *expires, const char *sig, long long now,
                  const char **pointer, const char **message) {
    *pointer = "/query/sig";
    if (!sig || !expires || !key) {
        *message = "this link is not signed: ask for a new one";
        return 403;
    }
    char *end = NULL;
    long long when = strtoll(expires, &end, 10);
    char want[65];
    mac_hex(key, path, when, want);
    /* The whole text of expires is signed: "+5" or "05" never match. */
    char *canonical = pf_asprintf("%lld", when);
    bool exact = *expires && !*end && strcmp(canonical, expires) == 0;
    free(canonical);
    if (!exact || strlen(sig) != 64 || CRYPTO_memcmp(want, sig, 64) != 0) {
        *message = "this link has been altered or was not made by this server: ask for a new one";
        return 403;
    }
    if (when <= now) {
        *pointer = "/query/expires";
        *message = "this link has expired: ask for a new one";
        return 410;
    }
    return 0;
}

void pf_link_assets(const char *key, json_t *assets, long long now) {
    long long expires = now + PF_LINK_TTL_SECONDS;
    char expires_at[PF_ISO_LEN];
    pf_iso_format(expires, 0, expires_at);
    size_t i;
    json_t *asset;
    json_array_foreach(assets, i, asset) {
        const char *id = pf_json_str(asset, "id");
        if (!key || !id || json_is_true(json_object_get(asset, "shadow"))) continue;
        char *path = pf_asprintf("/api/shared/%s", id), *url = pf_link_sign(key, path, expires);
        json_object_set_new(asset, "url_signed", json_string(url));
        json_object_set_new(asset, "expires_at", json_string(expires_at));
        free(url);
        free(path);
    }
}
