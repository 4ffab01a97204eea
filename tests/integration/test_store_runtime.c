/* The graph runtime on the PostgreSQL store, as it runs on SQLite: node
 * finishes committed in groups with their artifact rows (and lineage), a
 * second run of the same graph served from the cache, a large graph, and a
 * run resumed after a crash (made by rolling the store back to how a crash
 * leaves it, not by timing one). */
#include "check.h"

#include "core/mem.h"
#include "core/path.h"
#include "modules/module_files.h"
#include "runtime/runtime.h"
#include "support/pg.h"
#include "support/tmpdir.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Which nodes ran, in order: the test's own state. */
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char seen[8192];

static void note(const char *what) {
    pthread_mutex_lock(&seen_lock);
    strncat(seen, what, sizeof seen - strlen(seen) - 2);
    strcat(seen, " ");
    pthread_mutex_unlock(&seen_lock);
}

static const char *label(const json_t *params) { return json_string_value(json_object_get(params, "label")); }

static pf_error *entry(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    (void)inputs, (void)params;
    *outputs = json_pack("{s:{s:O}}", "out", "context", ctx->context);
    return NULL;
}

/* Writes a small file, so outputs travel as artifacts. */
static pf_error *step(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    note(label(params));
    char *path = pf_module_work_path(ctx, "out.txt");
    const json_t *in = json_object_get(inputs, "in");
    char *text = pf_asprintf("%s<-%s", label(params), in ? json_string_value(json_object_get(in, "sha256")) : "");
    pf_error *err = pf_write_file_atomic(path, text, strlen(text));
    json_t *value = NULL;
    if (!err) err = pf_module_file_value(path, "text/plain", &value);
    if (!err) *outputs = json_pack("{s:o}", "out", value);
    free(text);
    free(path);
    return err;
}

#define CONTRACT(KEY, ENTRY, INPUTS)                                                                                   \
    "{\"module_key\":\"" KEY "\",\"module_version\":\"1.0.0\",\"family\":[\"pg_flow\"],\"entry\":" ENTRY ","           \
    "\"label\":\"" KEY "\",\"category\":\"Test\",\"description\":\"A test module.\",\"icon\":\"box\","                 \
    "\"input_contract\":[" INPUTS "],\"output_contract\":[{\"name\":\"out\",\"type\":\"artifact\",\"required\":true,"  \
    "\"description\":\"d\"}],\"param_schema\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"    \
    "\"label\":{\"type\":\"string\",\"default\":\"x\"}}},\"field_order\":[\"label\"],\"widgets\":{},"                  \
    "\"artifact_roles_produced\":[],\"artifact_roles_consumed\":[],\"legacy_source\":\"none\",\"side_effects\":"       \
    "\"none\",\"policy\":{\"retries\":0,\"backoff_s\":0,\"timeout_s\":60,\"on_failure\":\"fail_run\"}}"

static const pf_module_desc m_entry = {
    .key = "pg.entry", .contract_json = CONTRACT("pg.entry", "true", ""), .execute = entry};
static const pf_module_desc m_step = {.key = "pg.step",
                                      .contract_json =
                                          CONTRACT("pg.step", "false",
                                                   "{\"name\":\"in\",\"type\":\"artifact\",\"required\":false,"
                                                   "\"description\":\"d\"}"),
                                      .execute = step};
static const pf_module_desc *const modules[] = {&m_entry, &m_step};

static const char *family_json =
    "[{\"key\":\"pg_flow\",\"label\":\"PG flow\",\"description\":\"Store tests.\",\"entry_step\":\"pg.entry\","
    "\"context_schema\":{\"type\":\"object\"},\"palette\":[\"pg.entry\",\"pg.step\"],\"artifact_kinds\":[],"
    "\"preflight\":[]}]";

typedef struct {
    pf_registry *reg;
    pf_store *store;
    char *data;
    pf_runtime *rt;
} harness;

static void start(harness *h) {
    pf_runtime_config cfg = {.registry = h->reg, .store = h->store, .data_dir = h->data, .workers = 2};
    CHECK(pf_runtime_start(&cfg, &h->rt) == NULL);
}

/* Node i hangs under node (i-1)/2, each labelled by its index; "tag" keeps
 * two such graphs apart in the cache. */
static json_t *tree(const char *id, int n, const char *tag) {
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:[], s:[]}", "schema", "prodflow.workflow/v1", "id", id, "name", id,
                            "family", "pg_flow", "nodes", "edges");
    for (int i = 0; i < n; i++) {
        char node[16], parent[16], lab[32];
        snprintf(node, sizeof node, "n%d", i);
        snprintf(lab, sizeof lab, "%s%d", tag, i);
        json_array_append_new(
            json_object_get(doc, "nodes"),
            json_pack("{s:s, s:s, s:{s:s}}", "id", node, "step", i ? "pg.step" : "pg.entry", "params", "label", lab));
        if (!i) continue;
        snprintf(parent, sizeof parent, "n%d", (i - 1) / 2);
        json_array_append_new(json_object_get(doc, "edges"),
                              json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "from", "node", parent, "port", "out", "to",
                                        "node", node, "port", "in"));
    }
    return doc;
}

static char *submit(harness *h, const json_t *wf) {
    pf_errors errs;
    pf_errors_init(&errs);
    json_t *ctx = json_pack("{s:s}", "subject", "gearbox"), *subject = json_pack("{s:s}", "cad_file", "f00d");
    pf_run_request req = {.workflow = wf, .context = ctx, .subject = subject};
    char *id = NULL;
    pf_error *err = pf_runtime_submit(h->rt, &req, &errs, &id);
    CHECK_MSG(err == NULL, "%s; %s", err ? err->message : "", errs.len ? errs.items[0].message : "");
    pf_error_free(err);
    pf_errors_clear(&errs);
    json_decref(ctx);
    json_decref(subject);
    return id;
}

static json_t *finish(harness *h, const char *id, const char *expected) {
    char *status = NULL;
    pf_error *err = pf_runtime_wait(h->rt, id, 0, &status);
    CHECK(err == NULL);
    CHECK_STR(status, expected);
    free(status);
    pf_error_free(err);
    json_t *run = NULL;
    CHECK(pf_store_run_get(h->store, id, true, &run) == NULL);
    return run;
}

static const json_t *state_of(const json_t *run, const char *node, const char *field) {
    return json_object_get(json_object_get(json_object_get(json_object_get(run, "nodes"), node), "state"), field);
}

static const char *status_of(const json_t *run, const char *node) {
    return json_string_value(json_object_get(json_object_get(json_object_get(run, "nodes"), node), "status"));
}

/* A chain's artifacts carry their lineage; the same graph again is served
 * from the cache. */
static void test_chain_and_cache(harness *h) {
    json_t *wf = tree("chain", 4, "c"); /* n0 > n1 > n3, n0 > n2 */
    char *id = submit(h, wf);
    json_t *run = finish(h, id, "succeeded");
    for (int i = 0; i < 4; i++) {
        char node[8];
        snprintf(node, sizeof node, "n%d", i);
        CHECK_STR(status_of(run, node), "succeeded");
    }
    CHECK_STR(json_string_value(json_object_get(json_object_get(run, "subject"), "cad_file")), "f00d");
    char *artifact_id = pf_asprintf("%s:n3:out", id), *parent = pf_asprintf("%s:n1:out", id);
    json_t *meta = NULL;
    CHECK(pf_store_artifact_get(h->store, artifact_id, &meta) == NULL);
    CHECK_STR(json_string_value(json_array_get(json_object_get(meta, "parents"), 0)), parent);
    json_decref(meta);
    free(artifact_id);
    free(parent);
    CHECK_STR(json_string_value(json_object_get(state_of(run, "n3", "cache"), "reason")), "no entry");
    json_decref(run);
    free(id);

    id = submit(h, wf);
    run = finish(h, id, "succeeded");
    CHECK(json_is_true(json_object_get(state_of(run, "n3", "cache"), "hit")));
    json_decref(run);
    free(id);
    json_decref(wf);
}

/* Enough nodes finishing together that the writer commits them in groups. */
static void test_large(harness *h) {
    json_t *wf = tree("large", 300, "l");
    char *id = submit(h, wf);
    json_t *run = finish(h, id, "succeeded");
    CHECK_INT(json_object_size(json_object_get(run, "nodes")), 300);
    CHECK_STR(status_of(run, "n299"), "succeeded");
    json_t *list = NULL;
    CHECK(pf_store_run_list(h->store, "succeeded", &list) == NULL);
    CHECK_STR(json_string_value(json_object_get(json_array_get(list, 0), "id")), id); /* newest first */
    json_decref(list);
    json_decref(run);
    free(id);
    json_decref(wf);
}

/* The store as a crash leaves it: the run still running, the last nodes
 * without rows (they had not committed). A new runtime resumes the run
 * and finishes only those. */
static void test_resume(harness *h, const char *url) {
    json_t *wf = tree("resume", 4, "r");
    char *id = submit(h, wf);
    json_decref(finish(h, id, "succeeded"));
    pf_runtime_stop(h->rt);
    PGconn *c = PQconnectdb(url);
    const char *values[] = {id};
    PGresult *r = PQexecParams(c,
                               "WITH n AS (DELETE FROM run_nodes WHERE run_id = $1 AND node_id IN ('n2', 'n3')) "
                               "UPDATE runs SET status = 'running' WHERE id = $1",
                               1, NULL, values, NULL, NULL, 0);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
    PQfinish(c);

    seen[0] = '\0';
    start(h);
    size_t resumed = 0;
    CHECK(pf_runtime_resume(h->rt, &resumed) == NULL);
    CHECK_INT(resumed, 1);
    json_t *run = finish(h, id, "succeeded");
    CHECK(strstr(seen, "r1 ") == NULL); /* n2 and n3 may come from the cache: n1 must not run */
    CHECK_STR(status_of(run, "n2"), "succeeded");
    CHECK_STR(status_of(run, "n3"), "succeeded");
    CHECK(state_of(run, "n3", "outputs") != NULL);
    json_decref(run);
    free(id);
    json_decref(wf);
}

int main(void) {
    json_t *families = json_loads(family_json, 0, NULL);
    pf_registry_extra extra = {modules, 2, families};
    pf_errors errs;
    pf_errors_init(&errs);
    harness h = {.reg = pf_registry_load_with(&extra, &errs)};
    CHECK_MSG(h.reg != NULL, "%s", errs.len ? errs.items[0].message : "");
    pf_test_pg *pg = pf_test_pg_start();
    CHECK_MSG(pg != NULL, "PostgreSQL did not start (see above)");
    if (h.reg && pg) {
        h.data = pf_test_tmpdir("store-runtime");
        CHECK(pf_store_open(pf_test_pg_url(pg), &h.store) == NULL);
        if (h.store) {
            start(&h);
            test_chain_and_cache(&h);
            test_large(&h);
            test_resume(&h, pf_test_pg_url(pg));
            pf_runtime_stop(h.rt);
            pf_store_close(h.store);
        }
        free(h.data);
    }
    pf_test_pg_stop(pg);
    pf_registry_free(h.reg);
    pf_errors_clear(&errs);
    json_decref(families);
    return pf_check_done("store_runtime");
}
