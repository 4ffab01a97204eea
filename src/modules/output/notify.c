/* output.notify: POSTs a JSON event about an asset to a webhook on the
 * operator's allow-list, signed with HMAC-SHA256 when a secret is set. The
 * idempotency key follows from (run, node), so a receiver can drop the
 * repeat that a crash between sending and recording could cause. In a
 * shadow run it records the request it would send. */
#include "core/json.h"
#include "modules/module.h"

#include "core/clock.h"
#include "core/json_text.h"
#include "core/mem.h"
#include "core/sha256.h"
#include "core/subprocess.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool allowed(const json_t *allow, const char *url) {
    size_t i;
    const json_t *prefix;
    json_array_foreach(allow, i, prefix) {
        const char *p = json_string_value(prefix);
        if (p && *p && strncmp(url, p, strlen(p)) == 0) return true;
    }
    return false;
}

static void hmac_hex(const char *secret, const char *body, char out[65]) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, strlen(body), mac, &len);
    for (unsigned int i = 0; i < len && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    out[64] = '\0';
}

static size_t discard(char *p, size_t size, size_t n, void *user) {
    (void)p, (void)user;
    return size * n;
}

/* One POST; the HTTP status, or 0 when nothing came back. */
static long post(const char *url, const char *body, struct curl_slist *headers, long timeout_ms, char *why,
                 size_t why_len) {
    CURL *c = curl_easy_init();
    if (!c) return 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(why, why_len, "%s", curl_easy_strerror(rc));
    curl_easy_cleanup(c);
    return status;
}

static json_t *event_body(const pf_module_ctx *ctx, const json_t *params, const json_t *asset, const char *key) {
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    json_t *summary =
        json_pack("{s:s?, s:s?, s:s?, s:O?}", "id", pf_json_str(asset, "id"), "sha256", pf_json_str(asset, "sha256"),
                  "media_type", pf_json_str(asset, "media_type"), "size", json_object_get(asset, "size"));
    if (json_is_true(json_object_get(params, "include_asset_url")) && pf_json_str(asset, "url"))
        json_object_set_new(summary, "url", json_string(pf_json_str(asset, "url")));
    return json_pack("{s:s, s:s, s:s?, s:s?, s:o, s:s}", "event", pf_json_str(params, "event"), "idempotency_key", key,
                     "run_id", ctx->run_id, "node_id", ctx->node_id, "asset", summary, "sent_at", stamp);
}

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    const json_t *hooks = json_object_get(ctx->settings, "webhooks");
    const char *url = pf_json_str(params, "url");
    if (!url || !*url) url = pf_json_str(hooks, "url");
    if (!url || !*url)
        return pf_error_new(PF_EINVAL, "/params/url", "no webhook URL: set the url parameter or serve --webhook-url");
    if (!allowed(json_object_get(hooks, "allow"), url))
        return pf_error_new(PF_EINVAL, "/params/url", "%s is not on the webhook allow-list (serve --webhook-allow)",
                            url);
    char *seed =
        pf_asprintf("%s/%s/notify", ctx->run_id ? ctx->run_id : "direct", ctx->node_id ? ctx->node_id : "notify");
    char key[65];
    pf_sha256_hex(seed, strlen(seed), key);
    free(seed);
    json_t *body_doc = event_body(ctx, params, json_object_get(inputs, "asset"), key);
    char *body = pf_json_text(body_doc, true);
    json_decref(body_doc);
    if (ctx->shadow) {
        *outputs = json_pack("{s:{s:b, s:s, s:s, s:s}}", "delivery", "shadow", 1, "url", url, "idempotency_key", key,
                             "body", body);
        free(body);
        return NULL;
    }
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    char *h = pf_asprintf("Idempotency-Key: %s", key);
    headers = curl_slist_append(headers, h);
    free(h);
    h = pf_asprintf("X-Prodflow-Event: %s", pf_json_str(params, "event"));
    headers = curl_slist_append(headers, h);
    free(h);
    const char *secret = pf_json_str(hooks, "secret");
    if (secret && *secret) {
        char sig[65];
        hmac_hex(secret, body, sig);
        h = pf_asprintf("X-Prodflow-Signature: sha256=%s", sig);
        headers = curl_slist_append(headers, h);
        free(h);
    }
    long timeout_ms = (long)(json_number_value(json_object_get(params, "timeout_s")) * 1000);
    int retries = (int)json_integer_value(json_object_get(params, "retries")), attempt = 0;
    long status = 0;
    char why[256] = "";
    for (;; attempt++) {
        status = post(url, body, headers, timeout_ms, why, sizeof why);
        bool permanent = status >= 400 && status < 500 && status != 408 && status != 429;
        if ((status >= 200 && status < 300) || permanent || attempt >= retries) break;
        for (long until = pf_now_ms() + (500L << (attempt < 6 ? attempt : 6)); pf_now_ms() < until;) {
            if (ctx->cancel && atomic_load(ctx->cancel)) break;
            usleep(10000);
        }
        if (ctx->cancel && atomic_load(ctx->cancel)) break;
    }
    curl_slist_free_all(headers);
    free(body);
    if (status >= 200 && status < 300) {
        *outputs = json_pack("{s:{s:s, s:s, s:i, s:i}}", "delivery", "url", url, "idempotency_key", key, "status",
                             (int)status, "attempts", attempt + 1);
        return NULL;
    }
    if (status >= 400 && status < 500 && status != 408 && status != 429)
        return pf_error_new(PF_EINVAL, "/params/url", "the webhook %s refused the event with HTTP %ld", url, status);
    return pf_error_new(PF_EIO, "/params/url", "the webhook %s did not take the event after %d attempt%s: %s", url,
                        attempt + 1, attempt ? "s" : "", status ? "an HTTP error status" : why);
}

const pf_module_desc pf_module_output_notify = {
    .key = "output.notify",
    .contract_path = "modules/output/notify.json",
    .execute = execute,
};
