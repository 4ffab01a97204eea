/* CAD upload and products through the HTTP API of a real `prodflow serve`:
 * a generated STEP file uploaded raw and as multipart (the same bytes
 * dedupe: one item, one intake), its intake followed to the end (objects,
 * bbox, material map, a PNG thumbnail behind its link), refusals for
 * non-STEP bodies, empty bodies, wrong media types and uploads over
 * --max-upload (with and without a Content-Length) that leave no temporary
 * file behind; then product CRUD with every validation problem named by its
 * pointer. One intake in all: the thumbnail is a Blender render. */
#include "check.h"
#include "core/json.h"

#include "cad/fixture.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"
#include "store/store.h"
#include "support/server.h"
#include "support/tmpdir.h"

#include <curl/curl.h>
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *data;
    size_t len, pos;
} source;

static size_t on_read(char *buf, size_t size, size_t nmemb, void *user) {
    source *s = user;
    size_t n = size * nmemb;
    if (n > s->len - s->pos) n = s->len - s->pos;
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    return n;
}

/* POST to /api/cad-files with curl directly: a multipart form (parts is a
 * NULL-ended list of {name, filename or NULL, data} triples, lengths from
 * part_lens), or a chunked raw body (no Content-Length). */
static int post_upload(const pf_test_server *srv, const char *path, const char *const *parts, const size_t *part_lens,
                       const char *chunked, size_t chunked_len, pf_http_reply *reply) {
    memset(reply, 0, sizeof *reply);
    CURL *curl = curl_easy_init();
    char *url = pf_asprintf("%s%s", srv->base, path);
    struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
    char *auth = pf_asprintf("Authorization: Bearer %s", srv->token);
    headers = curl_slist_append(headers, auth);
    free(auth);
    curl_mime *mime = NULL;
    source src = {chunked, chunked_len, 0};
    if (parts) {
        mime = curl_mime_init(curl);
        for (size_t i = 0; parts[3 * i]; i++) {
            curl_mimepart *part = curl_mime_addpart(mime);
            curl_mime_name(part, parts[3 * i]);
            if (parts[3 * i + 1]) curl_mime_filename(part, parts[3 * i + 1]);
            curl_mime_data(part, parts[3 * i + 2], part_lens[i]);
        }
        curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
    } else {
        headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
        headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(curl, CURLOPT_READDATA, &src);
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, pf_http_collect_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
        pf_http_read_reply(curl, reply);
    } else {
        fprintf(stderr, "POST %s: %s\n", path, curl_easy_strerror(rc));
    }
    curl_mime_free(mime);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(url);
    return rc == CURLE_OK ? 0 : -1;
}

/* The pointers of a problem's errors, as one string "/a /b". */
static char *pointers(const json_t *problem) {
    char *out = pf_strdup("");
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(problem, "errors"), i, e) {
        char *next =
            pf_asprintf("%s%s%s", out, *out ? " " : "", pf_json_str(e, "pointer") ? pf_json_str(e, "pointer") : "?");
        free(out);
        out = next;
    }
    return out;
}

/* A problem+json reply with want and an error at pointer. */
static void expect_problem(const pf_http_reply *r, long want, const char *pointer, const char *what) {
    CHECK_MSG(r->status == want, "%s: status %ld, wanted %ld: %s", what, r->status, want, r->body ? r->body : "");
    CHECK_MSG(r->content_type && !strcmp(r->content_type, "application/problem+json"), "%s: content type %s", what,
              r->content_type ? r->content_type : "(none)");
    char *all = pointers(r->json);
    CHECK_MSG(pf_problems_have(json_object_get(r->json, "errors"), pointer), "%s: wanted %s among [%s]", what, pointer,
              all);
    free(all);
}

static void upload_raw(const pf_test_server *srv, const char *path, const char *data, size_t len,
                       const char *content_type, long want, const char *pointer, const char *what) {
    pf_http_reply r;
    CHECK(pf_http(srv, "POST", path, data, len, content_type, &r) == 0);
    expect_problem(&r, want, pointer, what);
    pf_http_reply_free(&r);
}

static size_t entries(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    if (d) closedir(d);
    return n;
}

static size_t run_count(const pf_test_server *srv) {
    long status;
    json_t *list = pf_http_json(srv, "GET", "/api/runs", NULL, &status);
    size_t n = json_array_size(json_object_get(list, "runs"));
    json_decref(list);
    return n;
}

static void cad_files(const pf_test_server *srv, const char *step, size_t step_len, const char *sha, size_t limit) {
    char *tmp_dir = pf_asprintf("%s/data/cad/tmp", srv->data_dir);

    /* Raw, with a file name: created, kept under its digest, intake started. */
    pf_http_reply r;
    CHECK(pf_http(srv, "POST", "/api/cad-files?filename=parts%2Fgearbox.step", step, step_len,
                  "application/octet-stream", &r) == 0);
    CHECK_MSG(r.status == 201, "upload: %ld %s", r.status, r.body);
    CHECK_STR(pf_json_str(r.json, "id"), sha);
    CHECK_STR(pf_json_str(r.json, "sha256"), sha);
    CHECK_INT(json_integer_value(json_object_get(r.json, "size")), step_len);
    CHECK_STR(pf_json_str(r.json, "filename"), "gearbox.step");
    char *rel = pf_asprintf("cad/%s.step", sha);
    CHECK_STR(pf_json_str(r.json, "path"), rel);
    char *location = pf_asprintf("/api/cad-files/%s", sha);
    CHECK_STR(r.location, location);
    const char *run_id = pf_json_str(r.json, "intake_run_id");
    CHECK(run_id && !strncmp(run_id, "run_", 4));
    char *intake_run = pf_strdup(run_id ? run_id : "");
    CHECK_STR(pf_json_str(json_object_get(r.json, "intake"), "run_id"), intake_run);
    CHECK(json_object_get(json_object_get(r.json, "intake"), "progress") != NULL);
    CHECK(pf_json_str(r.json, "created_at") != NULL);
    pf_http_reply_free(&r);
    char *kept = pf_asprintf("%s/data/%s", srv->data_dir, rel), *bytes = NULL;
    size_t kept_len = 0;
    pf_error *err = pf_read_file(kept, 64u << 20, &bytes, &kept_len);
    CHECK(err == NULL && kept_len == step_len && memcmp(bytes, step, step_len) == 0);
    pf_error_free(err);
    free(bytes);
    CHECK_INT(entries(tmp_dir), 0);

    /* The same bytes as multipart, beside a form field: the same CAD file,
     * 200, its first name kept, no second intake. */
    const char *parts[] = {"note", NULL, "hello", "file", "other name.step", step, NULL};
    size_t lens[] = {5, step_len};
    CHECK(post_upload(srv, "/api/cad-files", parts, lens, NULL, 0, &r) == 0);
    CHECK_MSG(r.status == 200, "multipart: %ld %s", r.status, r.body);
    CHECK_STR(pf_json_str(r.json, "id"), sha);
    CHECK_STR(pf_json_str(r.json, "filename"), "gearbox.step");
    CHECK_STR(pf_json_str(r.json, "intake_run_id"), intake_run);
    CHECK(r.location == NULL);
    pf_http_reply_free(&r);
    /* And raw again as model/step, with no file name. */
    CHECK(pf_http(srv, "POST", "/api/cad-files", step, step_len, "model/step", &r) == 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(pf_json_str(r.json, "intake_run_id"), intake_run);
    pf_http_reply_free(&r);
    CHECK_INT(run_count(srv), 1);
    CHECK_INT(entries(tmp_dir), 0);

    /* Refusals: each names /file (or the query), and keeps nothing. */
    upload_raw(srv, "/api/cad-files", "hello, not a STEP file\n", 23, "application/octet-stream", 422, "/file",
               "not STEP");
    upload_raw(srv, "/api/cad-files", "", 0, "application/octet-stream", 422, "/file", "empty");
    upload_raw(srv, "/api/cad-files", "ISO-10303-21;", 13, "text/plain", 415, "/headers/Content-Type", "media type");
    /* a .blend is an upload elsewhere (scenes), not a CAD file */
    upload_raw(srv, "/api/cad-files", "BLENDER-v300", 12, "application/x-blender", 415, "/headers/Content-Type",
               "a scene's media type");
    upload_raw(srv, "/api/cad-files?filename=a%01b.step", step, step_len, "application/octet-stream", 422,
               "/query/filename", "control character in the name");
    const char *no_file[] = {"note", NULL, "hello", NULL};
    size_t no_file_lens[] = {5};
    CHECK(post_upload(srv, "/api/cad-files", no_file, no_file_lens, NULL, 0, &r) == 0);
    expect_problem(&r, 422, "/file", "multipart without a file");
    pf_http_reply_free(&r);
    const char *two_files[] = {"a", "a.step", step, "b", "b.step", step, NULL};
    size_t two_lens[] = {step_len, step_len};
    CHECK(post_upload(srv, "/api/cad-files", two_files, two_lens, NULL, 0, &r) == 0);
    expect_problem(&r, 422, "/file", "multipart with two files");
    pf_http_reply_free(&r);

    /* Over --max-upload: told with the Content-Length, and found while
     * streaming without one; the partial file is gone either way. */
    size_t big_len = limit + 8192;
    char *big = pf_xmalloc(big_len);
    memset(big, ' ', big_len);
    memcpy(big, "ISO-10303-21;\n", 14);
    char *limit_text = pf_asprintf("%zu bytes", limit);
    CHECK(pf_http(srv, "POST", "/api/cad-files", big, big_len, "application/octet-stream", &r) == 0);
    expect_problem(&r, 413, "/file", "over the limit, with a length");
    CHECK_MSG(r.body && strstr(r.body, limit_text), "the limit is named: %s", r.body);
    pf_http_reply_free(&r);
    CHECK(post_upload(srv, "/api/cad-files", NULL, NULL, big, big_len, &r) == 0);
    expect_problem(&r, 413, "/file", "over the limit, chunked");
    CHECK_MSG(r.body && strstr(r.body, limit_text), "the limit is named: %s", r.body);
    pf_http_reply_free(&r);
    CHECK_INT(entries(tmp_dir), 0);
    /* Chunked under the limit streams as well: the same bytes dedupe. */
    CHECK(post_upload(srv, "/api/cad-files", NULL, NULL, step, step_len, &r) == 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(pf_json_str(r.json, "id"), sha);
    pf_http_reply_free(&r);
    free(limit_text);
    free(big);
    CHECK_INT(entries(tmp_dir), 0);
    CHECK_INT(run_count(srv), 1);

    /* The intake to its end: progress, objects, bbox, material map, thumbnail. */
    char *cad_path = pf_asprintf("/api/cad-files/%s", sha);
    json_t *doc = pf_test_intake_wait(srv, cad_path);
    free(cad_path);
    const json_t *intake = json_object_get(doc, "intake");
    CHECK_STR(pf_json_str(intake, "status"), "succeeded");
    const json_t *progress = json_object_get(intake, "progress");
    CHECK(json_integer_value(json_object_get(progress, "total")) >= 6);
    CHECK_INT(json_integer_value(json_object_get(progress, "done")),
              json_integer_value(json_object_get(progress, "total")));
    CHECK_INT(json_array_size(json_object_get(progress, "running")), 0);
    CHECK_INT(json_array_size(json_object_get(intake, "errors")), 0);
    CHECK(json_integer_value(
              json_object_get(json_object_get(json_object_get(intake, "objects"), "summary"), "instances")) > 0);
    const json_t *bbox = json_object_get(intake, "bbox");
    CHECK_INT(json_array_size(json_object_get(bbox, "size")), 3);
    CHECK_INT(json_array_size(json_object_get(bbox, "min")), 3);
    CHECK_INT(json_array_size(json_object_get(bbox, "max")), 3);
    CHECK(json_number_value(json_array_get(json_object_get(bbox, "max"), 0)) >
          json_number_value(json_array_get(json_object_get(bbox, "min"), 0)));
    const json_t *map = json_object_get(intake, "material_map");
    CHECK(json_object_size(json_object_get(map, "parts")) > 0);
    CHECK(pf_json_str(map, "href") != NULL);
    CHECK(pf_json_str(json_object_get(intake, "glb"), "href") != NULL);
    const char *thumb = pf_json_str(json_object_get(intake, "thumbnail"), "href");
    CHECK(thumb && !strncmp(thumb, "/api/artifacts/", 15));
    if (thumb) {
        CHECK(pf_http(srv, "GET", thumb, NULL, 0, NULL, &r) == 0);
        CHECK_INT(r.status, 200);
        CHECK_STR(r.content_type, "image/png");
        CHECK(r.len > 8 && memcmp(r.body, "\x89PNG\r\n\x1a\n", 8) == 0);
        pf_http_reply_free(&r);
    }
    json_decref(doc);

    long status;
    json_t *list = pf_http_json(srv, "GET", "/api/cad-files", NULL, &status);
    CHECK_INT(status, 200);
    CHECK_INT(json_array_size(json_object_get(list, "cad_files")), 1);
    const json_t *first = json_array_get(json_object_get(list, "cad_files"), 0);
    CHECK_STR(pf_json_str(first, "id"), sha);
    CHECK_STR(pf_json_str(json_object_get(first, "intake"), "status"), "succeeded");
    json_decref(list);
    json_decref(pf_http_json(srv, "GET", "/api/cad-files/0000", NULL, &status));
    CHECK_INT(status, 404);

    free(intake_run);
    free(kept);
    free(location);
    free(rel);
    free(tmp_dir);
}

static void post_product(const pf_test_server *srv, const char *body, long want, const char *pointer,
                         const char *what) {
    pf_http_reply r;
    CHECK(pf_http(srv, "POST", "/api/products", body, strlen(body), NULL, &r) == 0);
    expect_problem(&r, want, pointer, what);
    pf_http_reply_free(&r);
}

static void products(const pf_test_server *srv, const char *sha) {
    /* Categories straight into the store, beside the server (SQLite WAL,
     * or the server's PostgreSQL database under PF_TEST_STORE). */
    char *data = srv->store ? pf_strdup(srv->store) : pf_asprintf("%s/data", srv->data_dir);
    pf_store *store = NULL;
    pf_error *err = pf_store_open(data, &store);
    CHECK(err == NULL);
    pf_error_free(err);
    if (!store) {
        free(data);
        return;
    }
    json_t *gearboxes = json_pack("{s:s, s:s}", "key", "gearboxes", "name", "Gearboxes");
    json_t *chairs = json_pack("{s:s, s:s}", "key", "chairs", "name", "Chairs");
    pf_store_item seed[] = {{.op = PF_ITEM_UPSERT, .kind = "category", .key = "gearboxes", .doc = gearboxes},
                            {.op = PF_ITEM_UPSERT, .kind = "category", .key = "chairs", .doc = chairs}};
    err = pf_store_items_write(store, seed, 2);
    CHECK(err == NULL);
    pf_error_free(err);
    json_decref(gearboxes);
    json_decref(chairs);
    pf_store_close(store);
    free(data);

    /* Create with a CAD file: a generated id, and the intake's status. */
    char *body = pf_asprintf("{\"name\": \"Gearbox GB-100\", \"sku\": \"GB-100\", \"category\": \"gearboxes\", "
                             "\"cad_file\": \"%s\"}",
                             sha);
    pf_http_reply r;
    CHECK(pf_http(srv, "POST", "/api/products", body, strlen(body), NULL, &r) == 0);
    CHECK_MSG(r.status == 201, "create: %ld %s", r.status, r.body);
    free(body);
    char *id = pf_strdup(pf_json_str(r.json, "id") ? pf_json_str(r.json, "id") : "?");
    CHECK(!strncmp(id, "prd_", 4));
    char *path = pf_asprintf("/api/products/%s", id);
    CHECK_STR(r.location, path);
    CHECK_STR(pf_json_str(r.json, "cad_file"), sha);
    CHECK_STR(pf_json_str(json_object_get(r.json, "cad_intake"), "status"), "succeeded");
    pf_http_reply_free(&r);
    long status;
    json_t *doc = pf_http_json(srv, "GET", path, NULL, &status);
    CHECK_INT(status, 200);
    CHECK_STR(pf_json_str(doc, "name"), "Gearbox GB-100");
    CHECK_STR(pf_json_str(doc, "sku"), "GB-100");
    CHECK_STR(pf_json_str(doc, "category"), "gearboxes");
    CHECK_STR(pf_json_str(json_object_get(doc, "cad_intake"), "status"), "succeeded");
    CHECK(json_number_value(
              json_object_get(json_object_get(json_object_get(doc, "cad_intake"), "progress"), "fraction")) == 1.0);
    json_decref(doc);

    /* A client-chosen id, no CAD file. */
    doc = pf_http_json(srv, "POST", "/api/products",
                       "{\"id\": \"chair-1\", \"name\": \"Chair\", \"sku\": \"CH-1\", \"category\": \"chairs\"}",
                       &status);
    CHECK_INT(status, 201);
    CHECK_STR(pf_json_str(doc, "id"), "chair-1");
    CHECK(json_is_null(json_object_get(doc, "cad_file")));
    CHECK(json_is_null(json_object_get(doc, "cad_intake")));
    json_decref(doc);
    doc = pf_http_json(srv, "GET", "/api/products", NULL, &status);
    CHECK_INT(status, 200);
    CHECK_INT(json_array_size(json_object_get(doc, "products")), 2);
    json_decref(doc);
    doc = pf_http_json(srv, "GET", "/api/products?category=chairs", NULL, &status);
    CHECK_INT(json_array_size(json_object_get(doc, "products")), 1);
    json_decref(doc);

    /* Problems, one by one and all at once. */
    post_product(srv, "{\"name\": \"Another\", \"sku\": \"GB-100\", \"category\": \"gearboxes\"}", 409, "/sku",
                 "duplicate SKU");
    post_product(srv, "{\"id\": \"chair-1\", \"name\": \"Again\", \"sku\": \"CH-9\", \"category\": \"chairs\"}", 409,
                 "/id", "duplicate id");
    post_product(srv, "{\"name\": \"X\", \"sku\": \"X-1\", \"category\": \"boats\"}", 422, "/category",
                 "unknown category");
    post_product(srv, "{\"name\": \"X\", \"sku\": \"X-1\", \"category\": \"chairs\", \"cad_file\": \"feed\"}", 422,
                 "/cad_file", "unknown CAD file");
    post_product(srv, "{\"sku\": \"X-1\", \"category\": \"chairs\"}", 422, "/name", "missing name");
    post_product(srv, "{\"name\": \"  \", \"sku\": \"X-1\", \"category\": \"chairs\"}", 422, "/name", "blank name");
    post_product(srv, "{\"name\": \"X\", \"sku\": 7, \"category\": \"chairs\"}", 422, "/sku", "numeric SKU");
    post_product(srv, "[1]", 422, "", "not an object");
    const char *all = "{\"sku\": \"GB-100\", \"category\": \"boats\", \"cad_file\": \"feed\", \"colour\": \"red\"}";
    CHECK(pf_http(srv, "POST", "/api/products", all, strlen(all), NULL, &r) == 0);
    CHECK_INT(r.status, 422);
    const char *wanted[] = {"/name", "/sku", "/category", "/cad_file", "/colour"};
    for (size_t i = 0; i < 5; i++)
        CHECK_MSG(pf_problems_have(json_object_get(r.json, "errors"), wanted[i]), "all at once: %s missing in %s",
                  wanted[i], r.body);
    CHECK_INT(json_array_size(json_object_get(r.json, "errors")), 5);
    pf_http_reply_free(&r);
    doc = pf_http_json(srv, "GET", "/api/products", NULL, &status);
    CHECK_INT(json_array_size(json_object_get(doc, "products")), 2);
    json_decref(doc);

    /* Update: a new name and SKU frees the old SKU; taking another's is refused. */
    doc = pf_http_json(srv, "PUT", path,
                       "{\"name\": \"Gearbox GB-200\", \"sku\": \"GB-200\", \"category\": \"gearboxes\"}", &status);
    CHECK_INT(status, 200);
    CHECK_STR(pf_json_str(doc, "sku"), "GB-200");
    CHECK(json_is_null(json_object_get(doc, "cad_file")));
    CHECK_STR(pf_json_str(doc, "id"), id);
    json_decref(doc);
    doc = pf_http_json(
        srv, "POST", "/api/products",
        "{\"id\": \"gb-100\", \"name\": \"Old gearbox\", \"sku\": \"GB-100\", \"category\": \"gearboxes\"}", &status);
    CHECK_INT(status, 201);
    json_decref(doc);
    body = pf_asprintf("{\"name\": \"Gearbox\", \"sku\": \"CH-1\", \"category\": \"gearboxes\", \"cad_file\": \"%s\"}",
                       sha);
    CHECK(pf_http(srv, "PUT", path, body, strlen(body), NULL, &r) == 0);
    expect_problem(&r, 409, "/sku", "update to a taken SKU");
    pf_http_reply_free(&r);
    free(body);
    /* Sending back what GET showed is fine; another id in the body is not. */
    doc = pf_http_json(srv, "GET", path, NULL, &status);
    json_object_set_new(doc, "name", json_string("Gearbox GB-200 (blue)"));
    char *round = json_dumps(doc, 0);
    json_decref(doc);
    doc = pf_http_json(srv, "PUT", path, round, &status);
    CHECK_INT(status, 200);
    CHECK_STR(pf_json_str(doc, "name"), "Gearbox GB-200 (blue)");
    json_decref(doc);
    free(round);
    const char *other_id = "{\"id\": \"chair-1\", \"name\": \"X\", \"sku\": \"GB-200\", \"category\": \"gearboxes\"}";
    CHECK(pf_http(srv, "PUT", path, other_id, strlen(other_id), NULL, &r) == 0);
    expect_problem(&r, 422, "/id", "another id in the body");
    pf_http_reply_free(&r);
    const char *fine = "{\"name\": \"X\", \"sku\": \"X-2\", \"category\": \"chairs\"}";
    CHECK(pf_http(srv, "PUT", "/api/products/no-such", fine, strlen(fine), NULL, &r) == 0);
    CHECK_INT(r.status, 404);
    pf_http_reply_free(&r);
    CHECK(pf_http(srv, "POST", "/api/products", "{\"name\": ", 9, NULL, &r) == 0);
    CHECK_INT(r.status, 400);
    pf_http_reply_free(&r);

    /* Delete: gone, and its SKU is free again. */
    CHECK(pf_http(srv, "DELETE", path, NULL, 0, NULL, &r) == 0);
    CHECK_INT(r.status, 204);
    pf_http_reply_free(&r);
    json_decref(pf_http_json(srv, "GET", path, NULL, &status));
    CHECK_INT(status, 404);
    CHECK(pf_http(srv, "DELETE", path, NULL, 0, NULL, &r) == 0);
    CHECK_INT(r.status, 404);
    pf_http_reply_free(&r);
    doc = pf_http_json(srv, "POST", "/api/products",
                       "{\"name\": \"New\", \"sku\": \"GB-200\", \"category\": \"gearboxes\"}", &status);
    CHECK_INT(status, 201);
    json_decref(doc);
    free(path);
    free(id);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char *dir = pf_test_tmpdir("cad-upload");
    char *step_path = pf_asprintf("%s/gearbox.step", dir);
    pf_fixture_opts fo = {.bolts = 4};
    pf_error *err = pf_cad_make_fixture(step_path, &fo);
    CHECK(err == NULL);
    pf_error_free(err);
    char *step = NULL;
    size_t step_len = 0;
    err = pf_read_file(step_path, 64u << 20, &step, &step_len);
    CHECK(err == NULL);
    pf_error_free(err);
    char sha[65];
    pf_sha256_hex(step, step_len, sha);

    /* A limit the fixture fits under, with room to go over it cheaply. */
    size_t limit = step_len + 4096;
    char *limit_arg = pf_asprintf("%zu", limit);
    /* no demo data: its sample product would take a CAD file and a SKU */
    const char *args[] = {"--max-upload", limit_arg, "--no-demo-data", NULL};
    pf_test_server srv;
    if (step && pf_test_server_start(&srv, args) == 0) {
        cad_files(&srv, step, step_len, sha, limit);
        products(&srv, sha);
        /* An upload cut short by a crash leaves its temporary file; the
         * next start deletes it. */
        pf_test_server_signal(&srv, SIGKILL);
        char *stale = pf_asprintf("%s/data/cad/tmp/upload-CRASHD", srv.data_dir);
        pf_error_free(pf_write_file_atomic(stale, "ISO-10303-21;", 13));
        CHECK(access(stale, F_OK) == 0);
        CHECK(pf_test_server_restart(&srv, args) == 0);
        CHECK(access(stale, F_OK) != 0);
        free(stale);
        pf_test_server_stop(&srv);
    } else {
        CHECK(!"the server started");
    }
    free(limit_arg);
    free(step);
    free(step_path);
    free(dir);
    curl_global_cleanup();
    return pf_check_done("api_cad_files");
}
