/* Webhook deliveries of output.notify, against receivers on 127.0.0.1:
 * the allow-list holds against userinfo, other ports, schemes and host
 * spellings, path tricks and redirects to another origin; an event name
 * cannot add headers; every delivery is signed with a timestamp that a
 * receiver can check; a failing receiver gets exactly the documented
 * number of POSTs, also when the node's policy asks the runtime for
 * retries. Then through a real `prodflow serve`: an order run publishes
 * under its order line, with the file's extension and media type at the
 * stable URL, and a Notify node with no webhook configured succeeds; a
 * server killed between a POST and its record sends it again, with the
 * same Idempotency-Key, once it is started again. */
#include "check.h"
#include "core/json.h"

#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"
#include "modules/invoke.h"
#include "support/server.h"
#include "support/tmpdir.h"
#include "support/webhook.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const pf_registry *reg;
    pf_module_ctx ctx;
    json_t *asset;
    pf_test_webhook *a, *b; /* a is allowed; b is another origin */
    char url_a[64], url_b[64];
} harness;

static size_t posts(pf_test_webhook *w) {
    json_t *got = pf_test_webhook_received(w);
    size_t n = json_array_size(got);
    json_decref(got);
    return n;
}

/* The n-th POST a receiver got (from the end when n < 0); new reference. */
static json_t *post_at(pf_test_webhook *w, long n) {
    json_t *got = pf_test_webhook_received(w);
    json_t *one = json_incref(json_array_get(got, n < 0 ? json_array_size(got) + (size_t)n : (size_t)n));
    json_decref(got);
    return one;
}

/* notify with these params and webhook settings; the outputs are dropped. */
static pf_error *notify(harness *h, json_t *settings, json_t *params) {
    json_t *out = NULL, *inputs = json_pack("{s:O}", "asset", h->asset);
    h->ctx.settings = settings;
    pf_error *err = pf_module_invoke(h->reg, "output.notify", &h->ctx, inputs, params, &out);
    json_decref(out);
    json_decref(inputs);
    json_decref(params);
    return err;
}

static void test_allow_list(harness *h) {
    char *only_a = pf_asprintf("%s/", h->url_a), *hooks = pf_asprintf("%s/hooks", h->url_a);
    json_t *origin = json_pack("{s:{s:[s]}}", "webhooks", "allow", only_a);
    json_t *bare = json_pack("{s:{s:[s]}}", "webhooks", "allow", h->url_a); /* no trailing slash */
    json_t *no_port = json_pack("{s:{s:[s]}}", "webhooks", "allow", "http://127.0.0.1");
    json_t *path = json_pack("{s:{s:[s]}}", "webhooks", "allow", hooks);
    unsigned pa = pf_test_webhook_port(h->a), pb = pf_test_webhook_port(h->b);
    struct {
        json_t *settings;
        char *url;
    } refused[] = {
        {bare, pf_asprintf("http://127.0.0.1:%u@127.0.0.1:%u/", pa, pb)}, /* userinfo hiding another port */
        {origin, pf_asprintf("http://127.0.0.1:%u@127.0.0.1:%u/", pa, pb)},
        {origin, pf_asprintf("http://user:pw@127.0.0.1:%u/", pa)}, /* userinfo on the allowed origin */
        {origin, pf_asprintf("http://127.0.0.1:%u/", pb)},         /* another port */
        {origin, pf_asprintf("https://127.0.0.1:%u/", pa)},        /* another scheme */
        {origin, pf_asprintf("http://localhost:%u/", pa)},         /* another spelling of the host */
        {origin, pf_asprintf("ftp://127.0.0.1:%u/", pa)},
        {origin, pf_strdup("not a url")},
        {no_port, pf_asprintf("http://127.0.0.1:%u/", pb)}, /* an entry without port is port 80 */
        {path, pf_asprintf("%s/hooksmith", h->url_a)},
        {path, pf_asprintf("%s/hooks/../admin", h->url_a)},
        {path, pf_asprintf("%s/hooks/%%2e%%2e/admin", h->url_a)},
        {path, pf_asprintf("%s/other", h->url_a)},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        pf_error *err = notify(h, refused[i].settings, json_pack("{s:s}", "url", refused[i].url));
        CHECK_MSG(err && err->code == PF_EINVAL && strcmp(err->pointer, "/params/url") == 0, "%s: %s", refused[i].url,
                  err ? err->message : "sent");
        pf_error_free(err);
        free(refused[i].url);
    }
    CHECK_INT(posts(h->a), 0);
    CHECK_INT(posts(h->b), 0);

    char *fine = pf_asprintf("%s/hooks/orders", h->url_a);
    pf_error *err = notify(h, path, json_pack("{s:s}", "url", fine));
    CHECK_MSG(err == NULL, "%s", err ? err->message : "");
    pf_error_free(err);
    CHECK_INT(posts(h->a), 1);
    free(fine);
    fine = pf_asprintf("%s/x", h->url_a);
    err = notify(h, origin, json_pack("{s:s}", "url", fine));
    CHECK(err == NULL);
    pf_error_free(err);
    CHECK_INT(posts(h->a), 2);
    free(fine);

    /* A redirect to another origin is a failed delivery; curl does not go. */
    char *elsewhere = pf_asprintf("%s/caught", h->url_b), *hook = pf_asprintf("%s/hook", h->url_a);
    pf_test_webhook_answer(h->a, 302, elsewhere);
    err = notify(h, origin, json_pack("{s:s, s:i}", "url", hook, "retries", 3));
    CHECK_MSG(err && err->code == PF_EINVAL && strstr(err->message, "redirect") && strstr(err->message, elsewhere),
              "%s", err ? err->message : "delivered");
    pf_error_free(err);
    CHECK_INT(posts(h->a), 3); /* one POST: a redirect is not retried either */
    CHECK_INT(posts(h->b), 0);
    pf_test_webhook_answer(h->a, 200, NULL);
    free(hook);
    free(elsewhere);
    json_decref(origin);
    json_decref(bare);
    json_decref(no_port);
    json_decref(path);
    free(hooks);
    free(only_a);
}

/* The event name travels in the JSON body; its line breaks cannot start
 * headers of their own. */
static void test_header_injection(harness *h) {
    const char *event = "asset.published\r\nX-Injected: yes\r\n\r\n{}";
    char *allow = pf_asprintf("%s/", h->url_a), *hook = pf_asprintf("%s/hook", h->url_a);
    json_t *settings = json_pack("{s:{s:[s]}}", "webhooks", "allow", allow);
    pf_error *err = notify(h, settings, json_pack("{s:s, s:s}", "url", hook, "event", event));
    CHECK_MSG(err == NULL, "%s", err ? err->message : "");
    pf_error_free(err);
    json_t *got = post_at(h->a, -1);
    const json_t *headers = json_object_get(got, "headers");
    const char *name;
    const json_t *value;
    json_object_foreach((json_t *)headers, name, value) {
        CHECK_MSG(strcasecmp(name, "X-Injected") != 0, "the event added a header");
        CHECK_MSG(!strpbrk(json_string_value(value), "\r\n"), "header %s has a line break", name);
    }
    CHECK(json_object_get(headers, "X-Prodflow-Event") == NULL);
    json_t *body = json_loads(pf_json_str(got, "body"), 0, NULL);
    CHECK_STR(pf_json_str(body, "event"), event);
    json_decref(body);
    json_decref(got);
    json_decref(settings);
    free(hook);
    free(allow);
}

/* What a receiver does with X-Prodflow-Signature: take t and v1, compute
 * HMAC-SHA256(secret, "<t>.<body>"), compare in constant time, and refuse
 * a timestamp more than tolerance_s away from its clock (a replay). */
static bool receiver_accepts(const char *header, const char *body, const char *secret, time_t now, long tolerance_s) {
    long long t = 0;
    char v1[65] = "";
    if (!header || sscanf(header, "t=%lld,v1=%64[0-9a-f]", &t, v1) != 2 || strlen(v1) != 64) return false;
    if (llabs((long long)now - t) > tolerance_s) return false;
    char *signed_text = pf_asprintf("%lld.%s", t, body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)signed_text, strlen(signed_text), mac, &len);
    free(signed_text);
    char hex[65];
    for (unsigned int i = 0; i < len && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    return len == 32 && CRYPTO_memcmp(hex, v1, 64) == 0;
}

static void test_signature(harness *h) {
    char *allow = pf_asprintf("%s/", h->url_a), *hook = pf_asprintf("%s/hook", h->url_a);
    json_t *settings = json_pack("{s:{s:[s], s:s}}", "webhooks", "allow", allow, "secret", "s3cret");
    time_t before = time(NULL);
    pf_error *err = notify(h, settings, json_pack("{s:s}", "url", hook));
    time_t after = time(NULL);
    CHECK(err == NULL);
    pf_error_free(err);
    json_t *got = post_at(h->a, -1);
    const char *sig = pf_json_str(got, "signature"), *body = pf_json_str(got, "body");
    long long t = 0;
    CHECK_MSG(sig && sscanf(sig, "t=%lld,", &t) == 1 && t >= before && t <= after, "%s", sig ? sig : "(none)");
    CHECK(receiver_accepts(sig, body, "s3cret", after, 300));
    CHECK(!receiver_accepts(sig, body, "other", after, 300));
    char *altered = pf_asprintf("%s ", body);
    CHECK(!receiver_accepts(sig, altered, "s3cret", after, 300));
    free(altered);
    CHECK(!receiver_accepts(sig, body, "s3cret", after + 301, 300)); /* replayed later: refused */
    json_decref(got);
    json_decref(settings);
    free(hook);
    free(allow);
}

/* A failing receiver gets 1 + retries POSTs, all with one idempotency key,
 * and the error is one the runtime does not retry; a refusal is one POST. */
static void test_budget(harness *h) {
    char *allow = pf_asprintf("%s/", h->url_a), *hook = pf_asprintf("%s/hook", h->url_a);
    json_t *settings = json_pack("{s:{s:[s], s:s}}", "webhooks", "allow", allow, "secret", "s3cret");
    size_t start = posts(h->a);
    pf_test_webhook_answer(h->a, 500, NULL);
    pf_error *err = notify(h, settings, json_pack("{s:s, s:i}", "url", hook, "retries", 2));
    CHECK_MSG(err && err->code == PF_EUNAVAILABLE && strstr(err->message, "3 attempts"), "%s",
              err ? err->message : "delivered");
    pf_error_free(err);
    CHECK_INT(posts(h->a) - start, 3);
    json_t *got = pf_test_webhook_received(h->a);
    const char *key = pf_json_str(json_array_get(got, start), "idempotency_key");
    for (size_t i = start; i < json_array_size(got); i++) {
        CHECK_STR(pf_json_str(json_array_get(got, i), "idempotency_key"), key);
        CHECK(pf_json_str(json_array_get(got, i), "signature") != NULL);
    }
    json_decref(got);

    start = posts(h->a);
    pf_test_webhook_answer(h->a, 404, NULL);
    err = notify(h, settings, json_pack("{s:s, s:i}", "url", hook, "retries", 2));
    CHECK(err && err->code == PF_EINVAL && strstr(err->message, "404"));
    pf_error_free(err);
    CHECK_INT(posts(h->a) - start, 1);
    pf_test_webhook_answer(h->a, 200, NULL);
    json_decref(settings);
    free(hook);
    free(allow);
}

/* A file in the server's data directory, as the order line's intake made
 * it: {path, sha256, size, media_type}. */
static json_t *intake_file(const pf_test_server *srv, const char *name, const char *content, const char *type) {
    char *dir = pf_asprintf("%s/data/intake", srv->data_dir), *path = pf_asprintf("%s/%s", dir, name), sha[65];
    pf_error_free(pf_mkdirs(dir, 0755));
    pf_error_free(pf_write_file_atomic(path, content, strlen(content)));
    pf_sha256_hex(content, strlen(content), sha);
    json_t *v = json_pack("{s:s, s:s, s:i, s:s}", "path", path, "sha256", sha, "size", (int)strlen(content),
                          "media_type", type);
    free(path);
    free(dir);
    return v;
}

/* line -> publish (the intake's GLB) -> notify, for order line line_42. */
static char *order_run(const pf_test_server *srv, json_t *notify_params) {
    json_t *wf = json_pack(
        "{s:s, s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s, s:o, s:{s:i, s:i}}], s:[{s:{s:s, s:s}, s:{s:s, "
        "s:s}}, {s:{s:s, s:s}, s:{s:s, s:s}}]}",
        "schema", "prodflow.workflow/v1", "id", "order-publish", "name", "Order publish", "family", "order_line",
        "nodes", "id", "line", "step", "order.resolve_line", "id", "publish", "step", "output.publish_asset", "id",
        "notify", "step", "output.notify", "params", notify_params, "policy", "retries", 2, "backoff_s", 0, "edges",
        "from", "node", "line", "port", "glb", "to", "node", "publish", "port", "artifact", "from", "node", "publish",
        "port", "asset", "to", "node", "notify", "port", "asset");
    json_t *intake =
        json_pack("{s:o, s:{s:[]}, s:o, s:{s:[i, i, i]}}", "step",
                  intake_file(srv, "part.step", "ISO-10303-21;", "model/step"), "objects", "parts", "glb",
                  intake_file(srv, "part.glb", "glTF-binary", "model/gltf-binary"), "bbox", "size", 1, 1, 1);
    json_t *req = json_pack("{s:o, s:{s:s, s:{s:s, s:o}}}", "workflow", wf, "context", "order_line_id", "line_42",
                            "line", "id", "line_42", "intake", intake);
    char *body = json_dumps(req, 0);
    json_decref(req);
    long status = 0;
    json_t *r = pf_http_json(srv, "POST", "/api/runs", body, &status);
    CHECK_MSG(status == 202, "POST /api/runs: %ld %s", status, body);
    free(body);
    char *id = pf_json_str(r, "id") ? pf_strdup(pf_json_str(r, "id")) : NULL;
    json_decref(r);
    return id;
}

static const json_t *node_of(const json_t *run, const char *node) {
    return json_object_get(json_object_get(run, "nodes"), node);
}

/* A server for the tests below; false (a failed check) when it does not start. */
static bool serve(pf_test_server *srv, const char *const *args) {
    if (pf_test_server_start(srv, args) == 0) return true;
    CHECK(!"the server starts");
    return false;
}

static void test_served(harness *h) {
    char *allow = pf_asprintf("%s/", h->url_a), *hook = pf_asprintf("%s/hook", h->url_a);
    const char *args[] = {"--no-demo-data", "--webhook-allow", allow, NULL};
    pf_test_server srv;
    if (!serve(&srv, args)) {
        free(allow);
        free(hook);
        return;
    }
    /* The receiver fails; the node's policy asks for 2 runtime retries,
     * the module for 1 retry: the budget is 2 POSTs, not 6. */
    pf_test_webhook_answer(h->a, 503, NULL);
    size_t start = posts(h->a);
    char *id = order_run(&srv, json_pack("{s:s, s:i}", "url", hook, "retries", 1));
    json_t *run = id ? pf_test_run_wait(&srv, id) : NULL;
    CHECK_STR(pf_json_str(node_of(run, "publish"), "status"), "succeeded");
    CHECK_STR(pf_json_str(node_of(run, "notify"), "status"), "failed");
    CHECK_INT(posts(h->a) - start, 2);
    pf_test_webhook_answer(h->a, 200, NULL);

    /* Published under the order line, named and served for its type. */
    const json_t *asset =
        json_object_get(json_object_get(json_object_get(node_of(run, "publish"), "state"), "outputs"), "asset");
    CHECK_STR(pf_json_str(asset, "url"), "/published/default/line_42/cad-glb.glb");
    CHECK_STR(pf_json_str(asset, "media_type"), "model/gltf-binary");
    pf_http_reply r;
    if (pf_json_str(asset, "url") && pf_http(&srv, "GET", pf_json_str(asset, "url"), NULL, 0, NULL, &r) == 0) {
        CHECK_INT(r.status, 200);
        CHECK_STR(r.content_type, "model/gltf-binary");
        CHECK(r.len == 11 && memcmp(r.body, "glTF-binary", 11) == 0);
        pf_http_reply_free(&r);
    }
    json_decref(run);
    free(id);

    /* No webhook anywhere: Notify succeeds and says nothing was sent. */
    start = posts(h->a);
    id = order_run(&srv, json_object());
    run = id ? pf_test_run_wait(&srv, id) : NULL;
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    CHECK_STR(pf_json_str(node_of(run, "notify"), "status"), "succeeded");
    const json_t *delivery =
        json_object_get(json_object_get(json_object_get(node_of(run, "notify"), "state"), "outputs"), "delivery");
    CHECK(json_is_false(json_object_get(delivery, "sent")));
    CHECK_STR(pf_json_str(delivery, "reason"), "no webhook configured");
    CHECK_INT(posts(h->a) - start, 0);
    json_decref(run);
    free(id);
    pf_test_server_stop(&srv);
    free(hook);
    free(allow);
}

/* The last attempt of a node in a run document. */
static const json_t *last_attempt(const json_t *run, const char *node) {
    const json_t *attempts = json_object_get(json_object_get(node_of(run, node), "state"), "attempts");
    return json_array_get(attempts, json_array_size(attempts) - 1);
}

/* A server killed (kill -9) while its notify's POST is at the receiver,
 * before it could record the delivery: the server started again on the
 * same data and store resumes the run, finds the notify claimed and never
 * recorded done, and sends it again with the same Idempotency-Key (at
 * least once, deduplicable by the key). The publish before it, recorded
 * done, is not repeated: one asset. */
static void test_crash_after_post(harness *h) {
    char *allow = pf_asprintf("%s/", h->url_a), *hook = pf_asprintf("%s/hook", h->url_a);
    /* a stable name: on PostgreSQL the restarted server takes its runs back at once */
    const char *args[] = {"--no-demo-data", "--webhook-allow", allow, "--server-id", "crashing", NULL};
    pf_test_server srv;
    if (!serve(&srv, args)) {
        free(allow);
        free(hook);
        return;
    }
    size_t start = posts(h->a);
    pf_test_webhook_hold(h->a, true);
    char *id = order_run(&srv, json_pack("{s:s, s:i}", "url", hook, "retries", 0));
    pf_test_webhook_wait(h->a, start + 1); /* the POST arrived; its answer is held */
    pf_test_server_signal(&srv, SIGKILL);
    pf_test_webhook_hold(h->a, false);
    CHECK(pf_test_server_restart(&srv, args) == 0);
    json_t *run = id && srv.pid > 0 ? pf_test_run_wait(&srv, id) : NULL;
    CHECK_STR(pf_test_run_status(run), "succeeded");
    CHECK_INT(posts(h->a) - start, 2);
    json_t *first = post_at(h->a, (long)start), *second = post_at(h->a, (long)start + 1);
    CHECK(pf_json_str(first, "idempotency_key") != NULL);
    CHECK_STR(pf_json_str(second, "idempotency_key"), pf_json_str(first, "idempotency_key"));
    json_t *body1 = json_loads(pf_json_str(first, "body"), 0, NULL),
           *body2 = json_loads(pf_json_str(second, "body"), 0, NULL);
    CHECK_STR(pf_json_str(body2, "run_id"), id);
    CHECK_STR(pf_json_str(body2, "idempotency_key"), pf_json_str(body1, "idempotency_key"));
    json_decref(body1);
    json_decref(body2);
    json_decref(first);
    json_decref(second);
    /* the run says so: the notify's claim is its second, the publish's its first */
    const json_t *effect = json_object_get(last_attempt(run, "notify"), "effect");
    CHECK_INT(json_integer_value(json_object_get(effect, "claims")), 2);
    CHECK(json_object_get(effect, "done_at") == NULL);
    effect = json_object_get(last_attempt(run, "publish"), "effect");
    CHECK_INT(json_integer_value(json_object_get(effect, "claims")), 1);
    char *path = pf_asprintf("/api/assets?run=%s", id ? id : "");
    json_t *assets = pf_http_expect(&srv, "GET", path, NULL, 200);
    CHECK_INT(json_array_size(json_object_get(assets, "assets")), 1);
    json_decref(assets);
    free(path);
    json_decref(run);
    free(id);
    pf_test_server_stop(&srv);
    free(hook);
    free(allow);
}

int main(void) {
    pf_errors errs;
    pf_errors_init(&errs);
    harness h = {.reg = pf_registry_load(&errs), .a = pf_test_webhook_start(), .b = pf_test_webhook_start()};
    CHECK(h.reg && h.a && h.b);
    if (!h.reg || !h.a || !h.b) return pf_check_done("webhooks");
    snprintf(h.url_a, sizeof h.url_a, "http://127.0.0.1:%u", pf_test_webhook_port(h.a));
    snprintf(h.url_b, sizeof h.url_b, "http://127.0.0.1:%u", pf_test_webhook_port(h.b));
    char *data = pf_test_tmpdir("webhooks");
    atomic_bool cancel = false;
    h.ctx = (pf_module_ctx){.data_root = data, .work_dir = data, .cancel = &cancel, .run_id = "run_w", .node_id = "n"};
    h.asset = json_pack("{s:s, s:s, s:s, s:s, s:i}", "id", "asset_1", "url", "/published/default/x/still.png", "sha256",
                        "0000000000000000000000000000000000000000000000000000000000000000", "media_type", "image/png",
                        "size", 16);
    test_allow_list(&h);
    test_header_injection(&h);
    test_signature(&h);
    test_budget(&h);
    test_served(&h);
    test_crash_after_post(&h);
    json_decref(h.asset);
    pf_test_webhook_stop(h.a);
    pf_test_webhook_stop(h.b);
    pf_registry_free((pf_registry *)h.reg);
    free(data);
    return pf_check_done("webhooks");
}
