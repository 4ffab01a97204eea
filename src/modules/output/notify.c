/* output.notify: POSTs a JSON event about an asset to a webhook on the
 * operator's allow-list, signed with HMAC-SHA256 over "<timestamp>.<body>"
 * when a secret is set. The idempotency key follows from (run, node), so a
 * receiver can drop the repeat that a crash between sending and recording,
 * or a retry, could cause. With no webhook configured it succeeds and says
 * nothing was sent; in a shadow run it records the request it would send.
 *
 * The URL is judged by libcurl's URL parser, and the parsed handle is what
 * curl then sends to: the checked URL and the requested one cannot differ.
 *
 * Retries: the module's own attempts (1 + the retries param) are the whole
 * budget of a delivery. It knows which answers are worth repeating (no
 * answer, 408, 429, 5xx), and a spent delivery is reported as
 * PF_EUNAVAILABLE, a code the runtime does not retry, so the node's policy
 * retries never multiply the POSTs. */
#include "core/json.h"
#include "modules/module.h"

#include "core/clock.h"
#include "core/json_text.h"
#include "core/mem.h"
#include "core/sha256.h"
#include "core/subprocess.h"

#include "core/curl_api.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* The parts of a URL the allow-list compares; owned strings from curl. */
typedef struct {
    char *scheme, *host, *port, *path;
} origin;

static void origin_free(origin *o) {
    curl_free(o->scheme);
    curl_free(o->host);
    curl_free(o->port);
    curl_free(o->path);
}

static bool has_part(CURLU *u, CURLUPart part) {
    char *v = NULL;
    bool has = curl_url_get(u, part, &v, 0) == CURLUE_OK;
    curl_free(v);
    return has;
}

/* Parses text into u and reads its origin; false when it does not parse,
 * is not http(s), or carries user information. */
static bool parse_origin(CURLU *u, const char *text, origin *o, const char **why) {
    *o = (origin){0};
    *why = "it is not a valid URL";
    if (curl_url_set(u, CURLUPART_URL, text, 0) != CURLUE_OK) return false;
    if (curl_url_get(u, CURLUPART_SCHEME, &o->scheme, 0) || curl_url_get(u, CURLUPART_HOST, &o->host, 0) ||
        curl_url_get(u, CURLUPART_PORT, &o->port, CURLU_DEFAULT_PORT) || curl_url_get(u, CURLUPART_PATH, &o->path, 0))
        return false;
    *why = "only http and https are allowed";
    if (strcasecmp(o->scheme, "http") != 0 && strcasecmp(o->scheme, "https") != 0) return false;
    *why = "user information (user:password@) is not allowed";
    if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD) || has_part(u, CURLUPART_OPTIONS)) return false;
    return true;
}

/* An entry's path is a prefix on whole segments: "/hooks" allows "/hooks"
 * and "/hooks/x", not "/hooksmith". */
static bool path_within(const char *prefix, const char *path) {
    size_t n = strlen(prefix);
    if (n == 0 || strcmp(prefix, "/") == 0) return true;
    if (strncmp(path, prefix, n) != 0) return false;
    return prefix[n - 1] == '/' || path[n] == '\0' || path[n] == '/';
}

/* Encoded dot segments ("%2e%2e") pass curl's normalisation but a receiver
 * may decode them, and so walk out of an allowed path prefix. */
static bool path_plain(CURLU *u) {
    char *decoded = NULL;
    if (curl_url_get(u, CURLUPART_PATH, &decoded, CURLU_URLDECODE) != CURLUE_OK) return false;
    size_t n = strlen(decoded);
    bool plain = !strstr(decoded, "/../") && !strstr(decoded, "/./") && !strchr(decoded, '\\') &&
                 !(n >= 3 && strcmp(decoded + n - 3, "/..") == 0) && !(n >= 2 && strcmp(decoded + n - 2, "/.") == 0);
    curl_free(decoded);
    return plain;
}

static bool entry_allows(const char *entry, const origin *want) {
    CURLU *u = curl_url();
    origin e = {0};
    const char *why;
    bool ok = u && parse_origin(u, entry, &e, &why) && !has_part(u, CURLUPART_QUERY) &&
              strcasecmp(e.scheme, want->scheme) == 0 && strcasecmp(e.host, want->host) == 0 &&
              strcmp(e.port, want->port) == 0 && path_within(e.path, want->path);
    origin_free(&e);
    curl_url_cleanup(u);
    return ok;
}

/* Parses url into a new handle and checks it against every allow-list
 * entry (an origin scheme://host[:port], optionally with a path prefix):
 * scheme, host and port must equal an entry's. */
static pf_error *allowed_url(const json_t *allow, const char *url, CURLU **out) {
    *out = NULL;
    CURLU *u = curl_url();
    if (!u) return pf_error_new(PF_EINTERNAL, "/params/url", "out of memory parsing the webhook URL");
    origin o;
    const char *why = NULL;
    bool ok = parse_origin(u, url, &o, &why);
    if (ok && !path_plain(u)) ok = false, why = "encoded dot segments or backslashes are not allowed in its path";
    size_t i;
    const json_t *entry;
    bool listed = false;
    json_array_foreach(allow, i, entry) listed =
        listed || (ok && json_string_value(entry) && entry_allows(json_string_value(entry), &o));
    origin_free(&o);
    if (ok && listed) {
        *out = u;
        return NULL;
    }
    curl_url_cleanup(u);
    if (!ok) return pf_error_new(PF_EINVAL, "/params/url", "the webhook URL %s is refused: %s", url, why);
    return pf_error_new(PF_EINVAL, "/params/url",
                        "%s is not on the webhook allow-list (serve --webhook-allow): its scheme, host and port must "
                        "equal an allowed origin's",
                        url);
}

/* A header line, refusing a value that could end the line early. */
static pf_error *add_header(struct curl_slist **list, const char *name, const char *value) {
    if (strpbrk(value, "\r\n"))
        return pf_error_new(PF_EINVAL, "", "the %s header value has a line break, which would start a new header",
                            name);
    char *line = pf_asprintf("%s: %s", name, value);
    *list = curl_slist_append(*list, line);
    free(line);
    return NULL;
}

/* "t=<unix>,v1=<hex HMAC-SHA256 of '<unix>.<body>'>" */
static char *signature(const char *secret, const char *body, time_t now) {
    char *signed_text = pf_asprintf("%lld.%s", (long long)now, body);
    char hex[65];
    pf_hmac_sha256_hex(secret, signed_text, strlen(signed_text), hex);
    free(signed_text);
    return pf_asprintf("t=%lld,v1=%s", (long long)now, hex);
}

/* The headers of one attempt; the signature's timestamp is the attempt's,
 * so a retry after a long backoff is not taken for a replay. */
static pf_error *attempt_headers(const char *key, const char *secret, const char *body, struct curl_slist **out) {
    *out = NULL;
    pf_error *err = add_header(out, "Content-Type", "application/json");
    if (!err) err = add_header(out, "Idempotency-Key", key);
    if (!err && secret) {
        char *sig = signature(secret, body, time(NULL));
        err = add_header(out, "X-Prodflow-Signature", sig);
        free(sig);
    }
    if (err) {
        curl_slist_free_all(*out);
        *out = NULL;
    }
    return err;
}

static size_t discard(char *p, size_t size, size_t n, void *user) {
    (void)p, (void)user;
    return size * n;
}

typedef struct {
    long status;        /* 0 when nothing came back */
    char why[256];      /* curl's reason when nothing came back */
    char location[512]; /* where a 3xx pointed */
} answer;

/* One POST to the parsed URL; redirects are never followed. */
static answer post(CURLU *url, const char *body, struct curl_slist *headers, long timeout_ms) {
    answer a = {0};
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(a.why, sizeof a.why, "curl could not start");
        return a;
    }
    curl_easy_setopt(c, CURLOPT_CURLU, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
        char *where = NULL;
        if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &where) == CURLE_OK && where)
            snprintf(a.location, sizeof a.location, "%s", where);
    } else {
        snprintf(a.why, sizeof a.why, "%s", curl_easy_strerror(rc));
    }
    curl_easy_cleanup(c);
    return a;
}

static bool worth_repeating(long status) { return status == 0 || status == 408 || status == 429 || status >= 500; }

/* Waits 0.5 s × 2^attempt (at most 32 s); false when the run is cancelled. */
static bool back_off(const pf_module_ctx *ctx, int attempt) {
    for (long until = pf_now_ms() + (500L << (attempt < 6 ? attempt : 6)); pf_now_ms() < until; usleep(10000))
        if (ctx->cancel && atomic_load(ctx->cancel)) return false;
    return !(ctx->cancel && atomic_load(ctx->cancel));
}

typedef struct {
    CURLU *url;
    const char *shown_url, *key, *secret, *body;
    long timeout_ms;
    int retries;
} delivery;

/* Sends until the receiver takes the event, refuses it for good, or the
 * budget of 1 + retries POSTs is spent. */
static pf_error *deliver(const pf_module_ctx *ctx, const delivery *d, answer *last, int *attempts) {
    for (*attempts = 1;; ++*attempts) {
        struct curl_slist *headers = NULL;
        pf_error *err = attempt_headers(d->key, d->secret, d->body, &headers);
        if (err) return err;
        *last = post(d->url, d->body, headers, d->timeout_ms);
        curl_slist_free_all(headers);
        if (!worth_repeating(last->status) || *attempts > d->retries) break;
        if (!back_off(ctx, *attempts - 1))
            return pf_error_new(PF_ECANCELLED, "", "cancelled while retrying the webhook %s", d->shown_url);
    }
    long s = last->status;
    if (s >= 200 && s < 300) return NULL;
    if (s >= 300 && s < 400)
        return pf_error_new(PF_EINVAL, "/params/url",
                            "the webhook %s answered HTTP %ld, a redirect%s%s; redirects are not followed, so set the "
                            "final URL",
                            d->shown_url, s, last->location[0] ? " to " : "", last->location);
    if (!worth_repeating(s))
        return pf_error_new(PF_EINVAL, "/params/url", "the webhook %s refused the event with HTTP %ld", d->shown_url,
                            s);
    char status_text[32];
    snprintf(status_text, sizeof status_text, "HTTP %ld", s);
    return pf_error_new(PF_EUNAVAILABLE, "/params/url", "the webhook %s did not take the event after %d attempt%s: %s",
                        d->shown_url, *attempts, *attempts == 1 ? "" : "s", s ? status_text : last->why);
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

/* The operator's default unless the node names its own; NULL for none. */
static const char *configured_url(const json_t *hooks, const json_t *params) {
    const char *url = pf_json_str(params, "url");
    if (!url || !*url) url = pf_json_str(hooks, "url");
    return url && *url ? url : NULL;
}

static json_t *not_sent(const char *reason, const char *key) {
    return json_pack("{s:{s:b, s:s, s:s, s:i}}", "delivery", "sent", 0, "reason", reason, "idempotency_key", key,
                     "attempts", 0);
}

static pf_error *send_event(const pf_module_ctx *ctx, const json_t *params, const delivery *d, json_t **outputs) {
    answer last = {0};
    int attempts = 0;
    pf_error *err = deliver(ctx, d, &last, &attempts);
    if (!err)
        *outputs = json_pack("{s:{s:b, s:s, s:s, s:i, s:i, s:b, s:s}}", "delivery", "sent", 1, "url", d->shown_url,
                             "idempotency_key", d->key, "status", (int)last.status, "attempts", attempts, "signed",
                             d->secret != NULL, "event", pf_json_str(params, "event"));
    return err;
}

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    const json_t *hooks = json_object_get(ctx->settings, "webhooks");
    char *seed =
        pf_asprintf("%s/%s/notify", ctx->run_id ? ctx->run_id : "direct", ctx->node_id ? ctx->node_id : "notify");
    char key[65];
    pf_sha256_hex(seed, strlen(seed), key);
    free(seed);
    const char *url = configured_url(hooks, params);
    if (!url) {
        *outputs = not_sent("no webhook configured", key);
        return NULL;
    }
    CURLU *parsed = NULL;
    pf_error *err = allowed_url(json_object_get(hooks, "allow"), url, &parsed);
    if (err) return err;
    char *sent_url = NULL;
    curl_url_get(parsed, CURLUPART_URL, &sent_url, 0);
    json_t *body_doc = event_body(ctx, params, json_object_get(inputs, "asset"), key);
    char *body = pf_json_text(body_doc, true);
    json_decref(body_doc);
    const char *secret = pf_json_str(hooks, "secret");
    delivery d = {.url = parsed,
                  .shown_url = sent_url ? sent_url : url,
                  .key = key,
                  .secret = secret && *secret ? secret : NULL,
                  .body = body,
                  .timeout_ms = (long)(json_number_value(json_object_get(params, "timeout_s")) * 1000),
                  .retries = (int)json_integer_value(json_object_get(params, "retries"))};
    if (ctx->shadow) {
        *outputs = json_pack("{s:{s:b, s:b, s:s, s:s, s:s, s:s}}", "delivery", "shadow", 1, "sent", 0, "reason",
                             "shadow run", "url", d.shown_url, "idempotency_key", key, "body", body);
    } else {
        err = send_event(ctx, params, &d, outputs);
    }
    free(body);
    curl_free(sent_url);
    curl_url_cleanup(parsed);
    return err;
}

PF_MODULE(output, notify, .execute = execute);
