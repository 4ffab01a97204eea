/* Runs through the HTTP API of a real `prodflow serve`, on the CAD Intake
 * starter with the real modules (OCCT, and Blender for the thumbnail):
 * start, inspect, cache verdicts on a second run, clear errors for bad
 * requests; publish and notify to a webhook receiver on 127.0.0.1, shadow
 * runs that do neither, and a kill -9 in the middle of a run followed by a
 * restart that finishes it: one asset and one notification, not two. */
#include "check.h"
#include "core/json.h"

#include "cad/fixture.h"
#include "core/mem.h"
#include "core/path.h"
#include "support/gate.h"
#include "support/server.h"
#include "support/tmpdir.h"
#include "support/webhook.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *start_run(const pf_test_server *srv, const char *body) {
    long status;
    json_t *r = pf_http_json(srv, "POST", "/api/runs", body, &status);
    CHECK_INT(status, 202);
    char *id = pf_json_str(r, "id") ? pf_strdup(pf_json_str(r, "id")) : NULL;
    json_decref(r);
    return id;
}

/* The run as it is now: after pf_test_gate_wait, a render held running. */
static json_t *get_run(const pf_test_server *srv, const char *id) {
    char *path = pf_asprintf("/api/runs/%s", id);
    json_t *run = pf_http_expect(srv, "GET", path, NULL, 200);
    free(path);
    return run;
}

static const json_t *state(const json_t *run, const char *node, const char *field) {
    return json_object_get(json_object_get(json_object_get(json_object_get(run, "nodes"), node), "state"), field);
}

static const char *node_status(const json_t *run, const char *node) {
    return pf_json_str(json_object_get(json_object_get(run, "nodes"), node), "status");
}

static void expect_problem(const pf_test_server *srv, const char *body, long want, const char *pointer) {
    pf_http_reply r;
    CHECK(pf_http(srv, "POST", "/api/runs", body, strlen(body), NULL, &r) == 0);
    CHECK_INT(r.status, want);
    CHECK_STR(r.content_type, "application/problem+json");
    const json_t *first = json_array_get(json_object_get(r.json, "errors"), 0);
    CHECK_MSG(pf_json_str(first, "pointer") && strcmp(pf_json_str(first, "pointer"), pointer) == 0, "wanted %s in %s",
              pointer, r.body);
    pf_http_reply_free(&r);
}

/* resolve -> glb, bbox -> thumbnail -> publish -> notify, with a thumbnail
 * big enough to be caught running. */
static char *publishing_request(int thumbnail_size, bool shadow) {
    json_t *wf = json_pack(
        "{s:s, s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s, s:{s:i, s:i}}, {s:s, s:s}, {s:s, s:s}],"
        " s:[]}",
        "schema", "prodflow.workflow/v1", "id", "publishing", "name", "Publishing", "family", "cad_file", "nodes", "id",
        "resolve", "step", "cad.resolve_step_path", "id", "glb", "step", "cad.export_glb", "id", "bbox", "step",
        "cad.compute_bbox", "id", "thumb", "step", "render.thumbnail", "params", "size", thumbnail_size, "samples", 32,
        "id", "publish", "step", "output.publish_asset", "id", "notify", "step", "output.notify", "edges");
    const char *edges[][4] = {{"resolve", "step", "glb", "step"},
                              {"resolve", "step", "bbox", "step"},
                              {"glb", "glb", "thumb", "glb"},
                              {"bbox", "bbox", "thumb", "bbox"},
                              {"thumb", "image", "publish", "artifact"},
                              {"publish", "asset", "notify", "asset"}};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
        json_array_append_new(json_object_get(wf, "edges"),
                              json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "from", "node", edges[i][0], "port",
                                        edges[i][1], "to", "node", edges[i][2], "port", edges[i][3]));
    json_t *req =
        json_pack("{s:o, s:{s:s}, s:b}", "workflow", wf, "context", "step_path", "gearbox.step", "shadow", shadow);
    char *body = json_dumps(req, 0);
    json_decref(req);
    return body;
}

/* The POSTs the receiver got for one run. */
static json_t *notifications_for(pf_test_webhook *hook, const char *run_id) {
    json_t *all = pf_test_webhook_received(hook), *mine = json_array();
    size_t i;
    json_t *entry;
    json_array_foreach(all, i, entry) {
        json_t *body = json_loads(pf_json_str(entry, "body"), 0, NULL);
        if (pf_json_str(body, "run_id") && strcmp(pf_json_str(body, "run_id"), run_id) == 0)
            json_array_append(mine, entry);
        json_decref(body);
    }
    json_decref(all);
    return mine;
}

static size_t assets_for(const pf_test_server *srv, const char *run_id) {
    long status;
    char *path = pf_asprintf("/api/assets?run=%s", run_id);
    json_t *r = pf_http_json(srv, "GET", path, NULL, &status);
    size_t n = json_array_size(json_object_get(r, "assets"));
    json_decref(r);
    free(path);
    return n;
}

int main(void) {
    pf_test_webhook *hook = pf_test_webhook_start();
    CHECK(hook != NULL);
    if (!hook) return pf_check_done("api_runs");
    char *secret_dir = pf_test_tmpdir("webhook-secret");
    char *secret_file = pf_asprintf("%s/secret", secret_dir);
    pf_error_free(pf_write_file_atomic(secret_file, "s3cret\n", 7));
    char *allow = pf_asprintf("http://127.0.0.1:%u/", pf_test_webhook_port(hook));
    char *hook_url = pf_asprintf("http://127.0.0.1:%u/hooks/prodflow", pf_test_webhook_port(hook));
    pf_test_gate gate;
    pf_test_gate_make(&gate, secret_dir);
    setenv("PRODFLOW_BLENDER", gate.blender, 1);
    /* no demo data: these checks count runs and assets from zero; a cold
     * Blender per render, so each render passes the gate */
    const char *serve_args[] = {"--webhook-allow",
                                allow,
                                "--webhook-url",
                                hook_url,
                                "--webhook-secret-file",
                                secret_file,
                                "--no-demo-data",
                                "--blender-workers",
                                "0",
                                NULL};
    pf_test_server srv;
    if (pf_test_server_start(&srv, serve_args) != 0) return pf_check_done("api_runs");
    char *step = pf_asprintf("%s/data/gearbox.step", srv.data_dir);
    pf_fixture_opts fo = {.bolts = 4};
    pf_error *err = pf_cad_make_fixture(step, &fo);
    CHECK(err == NULL);
    pf_error_free(err);

    const char *intake =
        "{\"workflow\": {\"id\": \"starter-cad-intake\"}, \"context\": {\"step_path\": \"gearbox.step\"}}";
    char *first = start_run(&srv, intake);
    json_t *run = pf_test_run_wait(&srv, first);
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    /* Artifacts are named relative to the data directory, never where the server keeps it. */
    const char *glb = pf_json_str(json_object_get(state(run, "glb", "outputs"), "glb"), "path");
    char *glb_file = pf_asprintf("%s/data/%s", srv.data_dir, glb ? glb : "");
    CHECK_MSG(glb && !strncmp(glb, "artifacts/sha256/", 17) && access(glb_file, R_OK) == 0, "glb at %s",
              glb ? glb : "?");
    free(glb_file);
    char *image = pf_asprintf("%s/data/%s", srv.data_dir,
                              pf_json_str(json_object_get(state(run, "thumbnail", "outputs"), "image"), "path"));
    CHECK(access(image, R_OK) == 0);
    free(image);
    CHECK_STR(pf_json_str(json_object_get(state(run, "glb", "param_sources"), "linear_deflection"), "source"),
              "default");
    /* the module's progress is the node's log */
    CHECK(json_array_size(state(run, "glb", "log")) >= 2);
    json_decref(run);

    /* The same intake with another deflection: the mesh-dependent nodes miss with their reason, the rest hit. */
    char *second = start_run(&srv, "{\"workflow\": {\"id\": \"starter-cad-intake\"}, \"context\": "
                                   "{\"step_path\": \"gearbox.step\"}, \"overrides\": {\"deflection\": 0.25}}");
    run = pf_test_run_wait(&srv, second);
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    CHECK(json_is_true(json_object_get(state(run, "extract", "cache"), "hit")));
    const json_t *verdict = state(run, "glb", "cache");
    CHECK_STR(pf_json_str(verdict, "reason"), "params changed");
    CHECK_STR(json_string_value(json_array_get(json_object_get(verdict, "changed"), 0)), "linear_deflection");
    CHECK_STR(pf_json_str(json_object_get(state(run, "glb", "param_sources"), "linear_deflection"), "source"),
              "invocation");

    /* the GLB by artifact id: whole, a range, a range past the end */
    char *artifact_path = pf_asprintf(
        "/api/artifacts/%s",
        json_string_value(json_object_get(json_object_get(state(run, "glb", "outputs"), "glb"), "artifact_id")));
    pf_http_reply whole, part;
    CHECK(pf_http(&srv, "GET", artifact_path, NULL, 0, NULL, &whole) == 0);
    CHECK_INT(whole.status, 200);
    CHECK_STR(whole.content_type, "model/gltf-binary");
    CHECK(whole.len > 20 && memcmp(whole.body, "glTF", 4) == 0);
    CHECK(pf_http_range(&srv, artifact_path, "4-11", &part) == 0);
    CHECK_INT(part.status, 206);
    CHECK(part.len == 8 && whole.len > 12 && memcmp(part.body, whole.body + 4, 8) == 0);
    pf_http_reply_free(&part);
    char *past = pf_asprintf("%zu-", whole.len + 10);
    CHECK(pf_http_range(&srv, artifact_path, past, &part) == 0);
    CHECK_INT(part.status, 416);
    pf_http_reply_free(&part);
    free(past);
    json_decref(run);
    run = NULL;
    /* a second run: its events stream replays the nodes and ends with the run */
    char *events = pf_asprintf("/api/runs/%s/events", second);
    pf_http_reply sse;
    CHECK(pf_http(&srv, "GET", events, NULL, 0, NULL, &sse) == 0);
    CHECK_INT(sse.status, 200);
    CHECK(sse.body && strstr(sse.body, "event: node\ndata: {") && strstr(sse.body, "\"node\":\"glb\""));
    CHECK(sse.body && strstr(sse.body, "event: run\ndata: {\"id\":") && strstr(sse.body, "\"status\":\"succeeded\""));
    pf_http_reply_free(&sse);
    free(events);
    pf_http_reply_free(&whole);
    free(artifact_path);

    long status;
    json_t *list = pf_http_json(&srv, "GET", "/api/runs?status=succeeded", NULL, &status);
    CHECK_INT(status, 200);
    CHECK_INT(json_array_size(json_object_get(list, "runs")), 2);
    json_decref(list);
    list = pf_http_json(&srv, "GET", "/api/runs?output_type=studio_still", NULL, &status);
    CHECK_INT(json_array_size(json_object_get(list, "runs")), 0);
    json_decref(list);
    char *cancel = pf_asprintf("/api/runs/%s/cancel", first);
    json_decref(pf_http_json(&srv, "POST", cancel, "{}", &status));
    CHECK_INT(status, 409); /* it is over */
    free(cancel);

    /* The same path with new content: the entry reads it afresh, and what
     * depends on the file misses because its input changed. */
    fo.bolts = 6;
    err = pf_cad_make_fixture(step, &fo);
    CHECK(err == NULL);
    pf_error_free(err);
    char *changed = start_run(&srv, intake);
    run = pf_test_run_wait(&srv, changed);
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    CHECK(strstr(pf_json_str(state(run, "resolve", "cache"), "reason")
                     ? pf_json_str(state(run, "resolve", "cache"), "reason")
                     : "",
                 "entry module") != NULL);
    CHECK_STR(pf_json_str(state(run, "extract", "cache"), "reason"), "input changed");
    CHECK_STR(json_string_value(json_array_get(json_object_get(state(run, "extract", "cache"), "changed"), 0)), "step");
    json_decref(run);
    free(changed);

    /* Bad requests: every problem named by its pointer. */
    expect_problem(&srv, "{\"workflow\": {\"id\": \"starter-cad-intake\"}, \"context\": {}}", 422, "/context");
    expect_problem(&srv, "{\"workflow\": {\"id\": \"no-such-flow\"}}", 404, "/workflow/id");
    expect_problem(&srv,
                   "{\"workflow\": {\"id\": \"starter-cad-intake\"}, \"context\": {\"step_path\": \"gearbox.step\"}, "
                   "\"overrides\": {\"colour\": 3}}",
                   422, "/overrides/colour");

    /* Publish and notify: one asset with its file, one signed POST. */
    char *body = publishing_request(64, false);
    char *published = start_run(&srv, body);
    free(body);
    run = pf_test_run_wait(&srv, published);
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    const json_t *asset = json_object_get(state(run, "publish", "outputs"), "asset");
    char *asset_file = pf_asprintf("%s/data/%s", srv.data_dir, pf_json_str(asset, "published_path"));
    CHECK(access(asset_file, R_OK) == 0);
    free(asset_file);
    CHECK(pf_json_str(asset, "url") && strncmp(pf_json_str(asset, "url"), "/published/default/", 19) == 0);
    CHECK_INT(
        json_integer_value(json_object_get(json_object_get(state(run, "notify", "outputs"), "delivery"), "status")),
        200);
    json_decref(run);
    CHECK_INT(assets_for(&srv, published), 1);
    json_t *posts = notifications_for(hook, published);
    CHECK_INT(json_array_size(posts), 1);
    const json_t *post = json_array_get(posts, 0);
    /* X-Prodflow-Signature: t=<unix>,v1=<HMAC-SHA256 of "<unix>.<body>">,
     * checked as a receiver would, timestamp first. */
    const char *sent = pf_json_str(post, "body"), *sig = pf_json_str(post, "signature");
    long long t = 0;
    char v1[65] = "";
    CHECK_MSG(sig && sscanf(sig, "t=%lld,v1=%64[0-9a-f]", &t, v1) == 2, "%s", sig ? sig : "(no signature)");
    CHECK(llabs((long long)time(NULL) - t) <= 300);
    char *signed_text = pf_asprintf("%lld.%s", t, sent ? sent : "");
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), "s3cret", 6, (const unsigned char *)signed_text, strlen(signed_text), mac, &mac_len);
    free(signed_text);
    char expected[65] = "";
    for (unsigned int i = 0; i < mac_len && i < 32; i++)
        snprintf(expected + 2 * i, 3, "%02x", mac[i]);
    CHECK_STR(v1, expected);
    CHECK(pf_json_str(post, "idempotency_key") && strlen(pf_json_str(post, "idempotency_key")) == 64);
    json_t *sent_doc = json_loads(sent ? sent : "", 0, NULL);
    CHECK_STR(pf_json_str(sent_doc, "event"), "asset.published"); /* in the signed body, not a header */
    json_decref(sent_doc);
    json_decref(posts);

    /* A shadow run records what it would do: no file, no POST, no asset. */
    body = publishing_request(64, true);
    char *shadow = start_run(&srv, body);
    free(body);
    run = pf_test_run_wait(&srv, shadow);
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    CHECK(json_is_true(json_object_get(json_object_get(state(run, "publish", "outputs"), "asset"), "shadow")));
    CHECK(json_is_true(json_object_get(json_object_get(state(run, "notify", "outputs"), "delivery"), "shadow")));
    json_decref(run);
    CHECK_INT(assets_for(&srv, shadow), 0);
    posts = notifications_for(hook, shadow);
    CHECK_INT(json_array_size(posts), 0);
    json_decref(posts);

    /* kill -9 while the thumbnail renders (held at the gate, so it is
     * caught running); a restart resumes the run and finishes it,
     * publishing and notifying once. */
    pf_test_gate_close(&gate);
    body = publishing_request(640, false);
    char *third = start_run(&srv, body);
    free(body);
    pf_test_gate_wait(&gate, 1);
    run = get_run(&srv, third);
    CHECK_STR(node_status(run, "thumb"), "running");
    json_decref(run);
    pf_test_server_signal(&srv, SIGKILL);
    CHECK(pf_test_server_restart(&srv, serve_args) == 0);
    pf_test_gate_open(&gate);
    run = pf_test_run_wait(&srv, third);
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    CHECK_STR(node_status(run, "notify"), "succeeded");
    /* what finished before the crash was kept, not redone */
    CHECK_INT(json_array_size(state(run, "glb", "attempts")),
              json_is_true(json_object_get(state(run, "glb", "cache"), "hit")) ? 0 : 1);
    CHECK_INT(json_array_size(state(run, "thumb", "attempts")), 1);
    json_decref(run);
    CHECK_INT(assets_for(&srv, third), 1);
    posts = notifications_for(hook, third);
    CHECK_INT(json_array_size(posts), 1);
    json_decref(posts);

    /* SIGTERM while the thumbnail renders: serve stops without waiting for
     * the render, exits cleanly, and the next start finishes the run. */
    pf_test_gate_close(&gate);
    body = publishing_request(600, false); /* not 640: that thumbnail is cached by now */
    char *stopped = start_run(&srv, body);
    free(body);
    pf_test_gate_wait(&gate, 1);
    run = get_run(&srv, stopped);
    CHECK_STR(node_status(run, "thumb"), "running");
    json_decref(run);
    int ended = pf_test_server_signal(&srv, SIGTERM);
    CHECK(WIFEXITED(ended) && WEXITSTATUS(ended) == 0);
    CHECK(pf_test_server_restart(&srv, serve_args) == 0);
    pf_test_gate_open(&gate);
    run = pf_test_run_wait(&srv, stopped);
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    CHECK_INT(json_array_size(state(run, "thumb", "attempts")),
              2); /* the interrupted one, then the one that finished */
    json_decref(run);
    CHECK_INT(assets_for(&srv, stopped), 1);
    posts = notifications_for(hook, stopped);
    CHECK_INT(json_array_size(posts), 1);
    json_decref(posts);
    free(stopped);

    free(published);
    free(shadow);
    free(allow);
    free(hook_url);
    free(secret_file);
    free(secret_dir);
    pf_test_gate_free(&gate);
    free(first);
    free(second);
    free(third);
    free(step);
    pf_test_server_stop(&srv);
    pf_test_webhook_stop(hook);
    return pf_check_done("api_runs");
}
