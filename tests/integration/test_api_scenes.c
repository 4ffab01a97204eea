/* Template scenes through the HTTP API of a real `prodflow serve` and the
 * real Blender: scenes made by a project script (never a committed .blend).
 * A hostile scene (a text block registered as a module, drivers calling
 * os.system) is refused at upload with every reason and nothing is kept;
 * bodies that are no .blend, compressed, empty or over --max-upload are
 * refused; keys that spell paths are refused; a template naming a host
 * file by path, plain or encoded, is a 422 at /blend that reads the same
 * whether the file exists or not; a clean scene uploads, a template names
 * it by key, and a production .blend ordered with it is delivered with no
 * text block and no scripted driver; the scene uploaded again, changed,
 * reaches the next order; a deleted scene leaves its template refused;
 * a crash's partial upload is swept at the next start; the deliveries
 * again with the renders on a worker over HTTP, which gets the scenes by
 * digest. The scenes' Python never runs. */
#include "check.h"
#include "core/json.h"

#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"
#include "runtime/artifact_store.h"
#include "support/gate.h"
#include "support/redis.h"
#include "support/scene.h"
#include "support/server.h"
#include "support/tmpdir.h"
#include "support/workers.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_UPLOAD (1u << 20)

static char *slurp(const char *path, size_t *len) {
    char *data = NULL;
    pf_error *err = pf_read_file(path, 64u << 20, &data, len);
    CHECK_MSG(err == NULL, "read %s: %s", path, err ? err->message : "");
    pf_error_free(err);
    return data;
}

static size_t entries(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    if (d) closedir(d);
    return n;
}

/* A problem reply with status and a problem at pointer; its error messages
 * joined, for checks on what they say (caller frees). */
static char *problem(const pf_http_reply *r, long status, const char *pointer, const char *what) {
    CHECK_MSG(r->status == status, "%s: wanted %ld, got %ld: %.600s", what, status, r->status, r->body ? r->body : "");
    const json_t *errors = json_object_get(r->json, "errors");
    CHECK_MSG(pf_problems_have(errors, pointer), "%s: no problem at %s: %.600s", what, pointer, r->body ? r->body : "");
    char *all = pf_strdup("");
    size_t i;
    const json_t *e;
    json_array_foreach(errors, i, e) {
        char *next = pf_asprintf("%s%s\n", all, pf_json_str(e, "message") ? pf_json_str(e, "message") : "");
        free(all);
        all = next;
    }
    return all;
}

static void put_scene(const pf_test_server *srv, const char *key, const char *body, size_t len, pf_http_reply *r) {
    char *path = pf_asprintf("/api/scenes/%s", key);
    CHECK(pf_http(srv, "PUT", path, body, len, "application/octet-stream", r) == 0);
    free(path);
}

/* The hostile scene is refused, each piece of Python named, and nothing
 * of it is kept. */
static void test_hostile(const pf_test_server *srv, const char *data, const char *hostile) {
    size_t len = 0;
    char *bytes = slurp(hostile, &len);
    pf_http_reply r;
    put_scene(srv, "trap", bytes, len, &r);
    char *said = problem(&r, 422, "/file", "hostile scene");
    CHECK_INT(json_array_size(json_object_get(r.json, "errors")), 3);
    CHECK_MSG(strstr(said, "text block \"autorun.py\" is registered to run as a module"), "%s", said);
    CHECK_MSG(strstr(said, "Object \"Trap\" location[0] is a scripted expression"), "%s", said);
    CHECK_MSG(strstr(said, "World \"TrapWorld\" node tree"), "%s", said);
    free(said);
    pf_http_reply_free(&r);
    free(bytes);
    char *kept = pf_asprintf("%s/scenes/trap.blend", data), *tmp = pf_asprintf("%s/scenes/tmp", data);
    CHECK(access(kept, F_OK) != 0);
    CHECK_INT(entries(tmp), 0);
    free(kept);
    free(tmp);
}

/* Bodies that are no uncompressed .blend, and keys that are no keys. */
static void test_refusals(const pf_test_server *srv, const char *data, const char *clean) {
    pf_http_reply r;
    char *said;
    put_scene(srv, "x", "hello, I am a text file", 23, &r);
    said = problem(&r, 422, "/file", "text body");
    CHECK_MSG(strstr(said, "not a Blender file"), "%s", said);
    free(said);
    pf_http_reply_free(&r);
    put_scene(srv, "x", "\x28\xb5\x2f\xfd\0\0\0\0\0\0\0\0\0\0", 14, &r);
    said = problem(&r, 422, "/file", "zstd body");
    CHECK_MSG(strstr(said, "compressed"), "%s", said);
    free(said);
    pf_http_reply_free(&r);
    put_scene(srv, "x", "", 0, &r);
    free(problem(&r, 422, "/file", "empty body"));
    pf_http_reply_free(&r);
    /* the right header on a body Blender cannot read */
    char junk[4096];
    memset(junk, 0x5a, sizeof junk);
    memcpy(junk, "BLENDER-v304", 12);
    put_scene(srv, "x", junk, sizeof junk, &r);
    said = problem(&r, 422, "/file", "header and junk");
    CHECK_MSG(strstr(said, "Blender cannot open"), "%s", said);
    free(said);
    pf_http_reply_free(&r);
    /* over --max-upload: 413 before Blender is asked */
    size_t big_len = MAX_UPLOAD + 4096;
    char *big = pf_xcalloc(1, big_len);
    memcpy(big, "BLENDER-v304", 12);
    put_scene(srv, "x", big, big_len, &r);
    free(problem(&r, 413, "/file", "over the limit"));
    pf_http_reply_free(&r);
    free(big);

    /* keys that spell paths, plain and encoded: refused, nothing written */
    size_t len = 0;
    char *bytes = slurp(clean, &len);
    const char *keys[] = {"Hero", "hero.blend", "%2e%2e", ".hidden", "a%252fb", "..%2Fevil", "%2Fetc%2Fpasswd"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        put_scene(srv, keys[i], bytes, len, &r);
        CHECK_MSG(r.status == 422 || r.status == 404, "key %s: %ld %.300s", keys[i], r.status, r.body ? r.body : "");
        if (r.status == 422) CHECK_MSG(pf_problems_have(json_object_get(r.json, "errors"), "/key"), "key %s", keys[i]);
        pf_http_reply_free(&r);
    }
    free(bytes);
    char *scenes = pf_asprintf("%s/scenes", data), *evil = pf_asprintf("%s/evil.blend", data);
    CHECK_INT(entries(scenes), 1); /* tmp/, empty */
    CHECK(access(evil, F_OK) != 0);
    free(evil);
    free(scenes);

    /* only editors upload */
    const char *viewer_roles[] = {"viewer", NULL};
    char *viewer = pf_test_token(srv, viewer_roles);
    CHECK(pf_http_as(srv, viewer, NULL, "PUT", "/api/scenes/x", "BLENDER-v304", 12, "application/octet-stream", &r) ==
          0);
    CHECK_INT(r.status, 403);
    pf_http_reply_free(&r);
    free(viewer);

    /* a STEP file is a CAD upload, not a scene: refused before it is read */
    CHECK(pf_http(srv, "PUT", "/api/scenes/x", "ISO-10303-21;", 13, "model/step", &r) == 0);
    CHECK_INT(r.status, 415);
    CHECK_MSG(r.body && strstr(r.body, "/headers/Content-Type") && strstr(r.body, "application/x-blender"), "%s",
              r.body ? r.body : "");
    pf_http_reply_free(&r);
}

static char *template_doc(const char *blend) {
    json_t *doc = json_pack("{s:s, s:s, s:s, s:[s], s:[s], s:s, s:s, s:s}", "key", "hero_tpl", "label", "Hero scene",
                            "kind", "blend_scene", "categories", "*", "artifact_kinds", "production_blend", "blend",
                            blend, "collection", "ProductSlot", "camera_object", "HeroCam");
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

/* A template's blend is a scene key: a path is refused without a look at
 * the file, so the answer is the same for a file that exists and one that
 * does not. */
static void test_template_paths(const pf_test_server *srv) {
    const char *paths[] = {"/etc/passwd",       "/etc/no-such-file-here", "../scenes/hero", "..",       "scenes/hero",
                           "hero.blend",        "%2e%2e%2fetc%2fpasswd",  "..%2fhero",      "..\\hero", "~/.ssh/id_rsa",
                           "file:///etc/passwd"};
    char *first = NULL;
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        char *body = template_doc(paths[i]);
        pf_http_reply r;
        CHECK(pf_http(srv, "PUT", "/api/templates/hero_tpl", body, strlen(body), NULL, &r) == 0);
        char *said = problem(&r, 422, "/blend", paths[i]);
        CHECK_MSG(strstr(said, "never by a file path") && strstr(said, "PUT /api/scenes/{key}"), "%s: %s", paths[i],
                  said);
        CHECK_MSG(!strstr(said, "exist") && !strstr(said, "cannot") && !strstr(said, "passwd"), "%s: %s", paths[i],
                  said);
        if (!first)
            first = pf_strdup(said);
        else
            CHECK_STR(said, first);
        free(said);
        pf_http_reply_free(&r);
        free(body);
    }
    free(first);
    char *body = template_doc("ghost");
    pf_http_reply r;
    CHECK(pf_http(srv, "PUT", "/api/templates/hero_tpl", body, strlen(body), NULL, &r) == 0);
    char *said = problem(&r, 422, "/blend", "a key with no scene");
    CHECK_MSG(strstr(said, "no scene \"ghost\" has been uploaded"), "%s", said);
    free(said);
    pf_http_reply_free(&r);
    free(body);
}

/* Orders a production .blend of the product in the output type
 * scene_blend, waits for its run, and inspects the delivered file
 * (new reference; NULL when there is none). */
/* The resolved template a run records names its scene by key: neither it
 * nor the run shows a server path. */
static void no_server_path_in_template(const pf_test_server *srv, const json_t *run) {
    char *text = json_dumps(run, JSON_COMPACT);
    CHECK_MSG(text && !strstr(text, srv->data_dir), "the run shows a server path: %s", text ? text : "");
    free(text);
    const char *id;
    const json_t *node;
    size_t found = 0;
    json_object_foreach(json_object_get((json_t *)run, "nodes"), id, node) {
        const char *digest = pf_json_str(
            json_object_get(json_object_get(json_object_get(node, "state"), "outputs"), "template"), "sha256");
        if (!digest) continue;
        found++;
        char *path = pf_asprintf("/api/artifacts/sha256/%s", digest);
        pf_http_reply r;
        if (pf_http(srv, "GET", path, NULL, 0, NULL, &r) == 0) {
            CHECK_INT(r.status, 200);
            json_t *doc = r.body ? json_loadb(r.body, r.len, 0, NULL) : NULL;
            CHECK_MSG(doc && !strcmp(pf_json_str(doc, "blend") ? pf_json_str(doc, "blend") : "", "hero") &&
                          !json_object_get(doc, "blend_path") && !json_object_get(doc, "source") &&
                          !strstr(r.body, srv->data_dir),
                      "node %s's template: %s", id, r.body ? r.body : "");
            json_decref(doc);
            pf_http_reply_free(&r);
        }
        free(path);
    }
    CHECK_MSG(found > 0, "no node of the run resolved a template");
}

static json_t *order_and_inspect(const pf_test_server *srv, const char *dir, const char *product_id) {
    char *body = pf_asprintf("{\"customer\":\"ACME\",\"lines\":[{\"product\":\"%s\",\"output_type\":\"scene_blend\"}]}",
                             product_id);
    json_t *order = pf_http_post_expect(srv, "/api/orders", body, 201);
    free(body);
    const char *line_id = pf_json_str(json_array_get(json_object_get(order, "lines"), 0), "id");
    char *path = pf_asprintf("/api/order-lines/%s/preflight", line_id);
    json_t *pre = pf_http_post_expect(srv, path, NULL, 200);
    CHECK_MSG(json_is_true(json_object_get(pre, "ok")), "preflight: %s",
              pf_json_str(json_array_get(json_object_get(pre, "problems"), 0), "message"));
    json_decref(pre);
    free(path);
    path = pf_asprintf("/api/order-lines/%s/dispatch", line_id);
    json_t *d = pf_http_post_expect(srv, path, NULL, 202);
    free(path);
    char *run_id = pf_strdup(pf_json_str(d, "run_id") ? pf_json_str(d, "run_id") : "");
    json_decref(d);
    json_decref(order);
    json_t *run = pf_test_run_wait(srv, run_id);
    CHECK_STR(pf_test_run_status(run), "succeeded");
    no_server_path_in_template(srv, run);
    json_decref(run);

    long status;
    path = pf_asprintf("/api/assets?run=%s", run_id);
    json_t *assets = pf_http_json(srv, "GET", path, NULL, &status);
    free(path);
    free(run_id);
    CHECK_INT(json_array_size(json_object_get(assets, "assets")), 1);
    const char *url = pf_json_str(json_array_get(json_object_get(assets, "assets"), 0), "url");
    char *delivered = pf_asprintf("%s/delivered.blend", dir);
    pf_http_reply r;
    json_t *held = NULL;
    if (url && pf_http(srv, "GET", url, NULL, 0, NULL, &r) == 0) {
        CHECK_INT(r.status, 200);
        /* compressed by default (Zstandard), else the plain header */
        CHECK(r.len > 12 && (memcmp(r.body, "\x28\xb5\x2f\xfd", 4) == 0 || memcmp(r.body, "BLENDER", 7) == 0));
        pf_error_free(pf_write_file_atomic(delivered, r.body ? r.body : "", r.len));
        pf_http_reply_free(&r);
        held = pf_test_inspect_blend(delivered);
        CHECK_MSG(held != NULL, "Blender cannot open the delivered .blend");
    }
    unlink(delivered);
    free(delivered);
    json_decref(assets);
    return held;
}

static bool has_object(const json_t *held, const char *name) {
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(held, "objects"), i, o) if (strcmp(json_string_value(o), name) == 0) return true;
    return false;
}

/* The clean scene uploads; a template names it; an order for a production
 * .blend made with it is delivered without Python. The scene uploaded
 * again, changed, under the same key: the next order gets the new scene,
 * not the old one's result from the cache. */
static void test_clean_delivery(const pf_test_server *srv, const char *dir, const char *clean, const char *prop) {
    size_t len = 0;
    char *bytes = slurp(clean, &len);
    pf_http_reply r;
    put_scene(srv, "hero", bytes, len, &r);
    CHECK_MSG(r.status == 201, "clean upload: %ld %.600s", r.status, r.body ? r.body : "");
    CHECK_STR(json_string_value(json_array_get(json_object_get(r.json, "collections"), 0)), "ProductSlot");
    CHECK_STR(json_string_value(json_array_get(json_object_get(r.json, "cameras"), 0)), "HeroCam");
    CHECK_INT(json_integer_value(json_object_get(r.json, "size")), len);
    pf_http_reply_free(&r);
    free(bytes);
    json_t *list = pf_http_expect(srv, "GET", "/api/scenes", NULL, 200);
    CHECK_INT(json_array_size(json_object_get(list, "scenes")), 1);
    CHECK_STR(pf_json_str(json_array_get(json_object_get(list, "scenes"), 0), "key"), "hero");
    CHECK_STR(pf_json_str(json_array_get(json_object_get(list, "scenes"), 0), "source"), "data");
    json_decref(list);

    char *body = template_doc("hero");
    json_t *tpl = pf_http_expect(srv, "PUT", "/api/templates/hero_tpl", body, 200);
    CHECK_STR(pf_json_str(tpl, "blend"), "hero");
    CHECK(json_object_get(tpl, "blend_path") == NULL);
    json_decref(tpl);
    free(body);

    /* the demo product, once its intake is done */
    long status;
    json_t *products = pf_http_json(srv, "GET", "/api/products", NULL, &status);
    const json_t *product = json_array_get(json_object_get(products, "products"), 0);
    char *cad_path = pf_asprintf("/api/cad-files/%s", pf_json_str(product, "cad_file"));
    json_t *cad = pf_test_intake_wait(srv, cad_path);
    CHECK_STR(pf_test_intake_status(cad), "succeeded");
    json_decref(cad);
    free(cad_path);
    json_decref(pf_http_post_expect(
        srv, "/api/output-types",
        "{\"key\":\"scene_blend\",\"name\":\"Production .blend in the hero scene\",\"family\":\"order_line\","
        "\"rollout\":\"graph\",\"workflow\":{\"id\":\"starter-order-production-blend\",\"version\":1},"
        "\"artifact_kind\":\"production_blend\",\"pricing_tier\":\"standard\",\"categories\":[\"*\"],"
        "\"overrides\":{\"template\":\"hero_tpl\"}}",
        201));

    json_t *held = order_and_inspect(srv, dir, pf_json_str(product, "id"));
    CHECK_INT(json_integer_value(json_object_get(held, "texts")), 0);
    CHECK_INT(json_integer_value(json_object_get(held, "scripted_drivers")), 0);
    CHECK(has_object(held, "HeroCam") && has_object(held, "Housing") && !has_object(held, "Prop"));
    json_decref(held);

    bytes = slurp(prop, &len);
    put_scene(srv, "hero", bytes, len, &r);
    CHECK_INT(r.status, 200); /* replaced */
    pf_http_reply_free(&r);
    free(bytes);
    held = order_and_inspect(srv, dir, pf_json_str(product, "id"));
    CHECK_MSG(has_object(held, "Prop"), "the second order did not get the scene uploaded again");
    CHECK_INT(json_integer_value(json_object_get(held, "texts")), 0);
    json_decref(held);
    json_decref(products);
}

/* The same delivery with the renders on a worker that shares nothing with
 * the server (artifacts fetched and uploaded over HTTP): the scene reaches
 * it by digest, through the artifact store; before, the worker looked for
 * it in its own task directory and the node failed ("no scene"). */
static void test_delivery_on_worker(const char *dir, const char *clean, const char *prop) {
    pf_test_redis redis;
    if (pf_test_redis_start(&redis, NULL) != 0) return;
    pf_test_server srv;
    if (pf_test_server_start(&srv, (const char *const[]){"--broker", redis.url, NULL}) != 0) {
        pf_test_redis_stop(&redis);
        return;
    }
    char *token = pf_test_token(&srv, (const char *const[]){"worker", NULL});
    char *token_file = pf_asprintf("%s/worker.token", dir);
    CHECK(pf_write_file_atomic(token_file, token, strlen(token)) == NULL);
    pf_test_worker w;
    pf_test_worker_start(&w, "w1", &redis, &srv, token_file, dir);
    test_clean_delivery(&srv, dir, clean, prop);
    const char *scenes[] = {clean, prop};
    for (int i = 0; i < 2; i++) {
        char digest[65], *work = pf_asprintf("%s/w1", dir), *kept = NULL;
        CHECK(pf_sha256_file(scenes[i], digest, NULL) == NULL);
        kept = pf_artifact_store_path(work, digest);
        CHECK_MSG(access(kept, R_OK) == 0, "the worker fetched scene %d into its store: %s", i, kept);
        free(kept);
        free(work);
    }
    pf_test_worker_stop(&w);
    pf_test_server_stop(&srv);
    pf_test_redis_stop(&redis);
    free(token_file);
    free(token);
}

/* A deleted scene leaves its templates refused, saying so; an upload cut
 * short by a crash leaves its temporary file, which the next start deletes. */
static void test_delete_and_sweep(pf_test_server *srv, const char *data) {
    pf_http_reply r;
    CHECK(pf_http(srv, "DELETE", "/api/scenes/hero", NULL, 0, NULL, &r) == 0);
    CHECK_INT(r.status, 204);
    pf_http_reply_free(&r);
    CHECK(pf_http(srv, "DELETE", "/api/scenes/hero", NULL, 0, NULL, &r) == 0);
    CHECK_INT(r.status, 404);
    pf_http_reply_free(&r);
    CHECK(pf_http(srv, "DELETE", "/api/scenes/%2e%2e", NULL, 0, NULL, &r) == 0);
    free(problem(&r, 422, "/key", "delete .."));
    pf_http_reply_free(&r);
    json_t *list = pf_http_expect(srv, "GET", "/api/templates", NULL, 200);
    const char *why = pf_json_str(json_object_get(list, "problems"), "hero_tpl");
    CHECK_MSG(why && strstr(why, "DATA/templates/hero_tpl.json: /blend: no scene \"hero\" has been uploaded"), "%s",
              why ? why : "(no problem)");
    CHECK_MSG(why && !strstr(why, data), "a server path: %s", why ? why : "");
    json_decref(list);

    pf_test_server_signal(srv, SIGKILL);
    char *stale = pf_asprintf("%s/scenes/tmp/upload-CRASHD", data);
    pf_error_free(pf_write_file_atomic(stale, "BLENDER-v304", 12));
    CHECK(access(stale, F_OK) == 0);
    const char *args[] = {"--max-upload", "1048576", NULL};
    CHECK(pf_test_server_restart(srv, args) == 0);
    CHECK(access(stale, F_OK) != 0);
    free(stale);
}

typedef struct {
    const pf_test_server *srv;
    const char *key, *body;
    size_t len;
    long status;
} upload;

static void *upload_thread(void *arg) {
    upload *u = arg;
    pf_http_reply r;
    put_scene(u->srv, u->key, u->body, u->len, &r);
    u->status = r.status;
    pf_http_reply_free(&r);
    return NULL;
}

/* A check holds a request thread and a Blender (here at the gate); a
 * second upload meanwhile is turned away with 503 rather than taking
 * another, and the held one finishes once let through. */
static void test_check_cap(const pf_test_server *srv, const pf_test_gate *gate, const char *clean) {
    size_t len = 0;
    char *body = NULL;
    pf_error *err = pf_read_file(clean, 64u << 20, &body, &len);
    CHECK(err == NULL);
    pf_error_free(err);
    pf_test_gate_close(gate);
    upload held = {srv, "cap-a", body, len, 0};
    pthread_t thread;
    pthread_create(&thread, NULL, upload_thread, &held);
    pf_test_gate_wait(gate, 1);
    pf_http_reply r;
    put_scene(srv, "cap-b", body, len, &r);
    CHECK_INT(r.status, 503);
    CHECK_MSG(r.body && strstr(r.body, "\"/file\""), "%s", r.body ? r.body : "");
    pf_http_reply_free(&r);
    pf_test_gate_open(gate);
    pthread_join(thread, NULL);
    CHECK_INT(held.status, 201);
    free(body);
}

int main(void) {
    char *dir = pf_test_tmpdir("api-scenes");
    char *clean = pf_asprintf("%s/clean.blend", dir), *hostile = pf_asprintf("%s/hostile.blend", dir);
    char *prop = pf_asprintf("%s/prop.blend", dir);
    char *marker = pf_asprintf("%s/python-ran", dir);
    CHECK(pf_test_make_scene(clean, "clean", marker));
    CHECK(pf_test_make_scene(hostile, "hostile", marker));
    CHECK(pf_test_make_scene(prop, "prop", marker));
    char limit[32];
    snprintf(limit, sizeof limit, "%u", MAX_UPLOAD);
    const char *args[] = {"--max-upload", limit, NULL};
    pf_test_gate gate; /* open until test_check_cap closes it */
    pf_test_gate_make(&gate, dir);
    setenv("PRODFLOW_BLENDER", gate.blender, 1);
    pf_test_server srv;
    if (pf_test_server_start(&srv, args) != 0) return pf_check_done("api_scenes");
    unsetenv("PRODFLOW_BLENDER");
    char *data = pf_asprintf("%s/data", srv.data_dir);
    test_hostile(&srv, data, hostile);
    test_refusals(&srv, data, clean);
    test_template_paths(&srv);
    test_clean_delivery(&srv, dir, clean, prop);
    test_check_cap(&srv, &gate, clean);
    test_delete_and_sweep(&srv, data);
    pf_test_server_stop(&srv);
    test_delivery_on_worker(dir, clean, prop);
    CHECK_MSG(access(marker, F_OK) != 0, "a scene's Python ran");
    pf_test_gate_free(&gate);
    free(data);
    free(marker);
    free(prop);
    free(hostile);
    free(clean);
    free(dir);
    return pf_check_done("api_scenes");
}
