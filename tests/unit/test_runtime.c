/* The graph runtime with test modules registered beside the real ones:
 * topological order, parallel branches (proved by a rendezvous, not by
 * timing), retries, non-retryable errors, every on_failure policy,
 * timeouts, cancellation, the cache with its reasons, artifacts with
 * lineage, resume after an interrupted run and re-running a failed run. */
#include "check.h"

#include "core/mem.h"
#include "core/path.h"
#include "core/subprocess.h"
#include "modules/module_files.h"
#include "runtime/cache.h"
#include "runtime/runtime.h"
#include "support/tmpdir.h"
#include "workflow/workflow.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ test modules */

/* What the modules saw; a test's own state, reset per case. */
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t seen_changed = PTHREAD_COND_INITIALIZER;
static char seen[4096];
static int flaky_failures_left;
static int arrived;
static bool released; /* lets the stubborn module return */

static void note(const char *what) {
    pthread_mutex_lock(&seen_lock);
    strncat(seen, what, sizeof seen - strlen(seen) - 2);
    strcat(seen, " ");
    pthread_cond_broadcast(&seen_changed);
    pthread_mutex_unlock(&seen_lock);
}

/* Waits until a module has noted what: a state, however long it takes on
 * a busy machine (CTest's timeout guards a hang). */
static void wait_seen(const char *what) {
    pthread_mutex_lock(&seen_lock);
    while (!strstr(seen, what))
        pthread_cond_wait(&seen_changed, &seen_lock);
    pthread_mutex_unlock(&seen_lock);
}

static const char *label(const json_t *params) { return json_string_value(json_object_get(params, "label")); }

/* Writes a small file so outputs travel as artifacts. */
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

static pf_error *entry(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    (void)inputs, (void)params;
    note("entry");
    *outputs = json_pack("{s:{s:O}}", "out", "context", ctx->context);
    return NULL;
}

/* Hands on the context's file by reference, as order.resolve_line hands
 * on the line's intake: the run must not write into what it was given. */
static pf_error *relay(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    (void)inputs, (void)params;
    *outputs = json_pack("{s:O}", "out", json_object_get(ctx->context, "file"));
    return NULL;
}

static pf_error *flaky(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    pthread_mutex_lock(&seen_lock);
    bool fail = flaky_failures_left-- > 0;
    pthread_mutex_unlock(&seen_lock);
    if (fail) {
        note("flaky-failed");
        return pf_error_new(PF_EIO, "", "a passing fault");
    }
    return step(ctx, inputs, params, outputs);
}

static pf_error *broken(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    (void)ctx, (void)inputs, (void)outputs;
    note(label(params));
    return pf_error_new(PF_EINVAL, "/params/label", "this module never works");
}

/* Waits for a partner node to arrive too: two of these finish only when
 * they run at the same time. */
static pf_error *rendezvous(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    pthread_mutex_lock(&seen_lock);
    arrived++;
    pthread_cond_broadcast(&seen_changed);
    while (arrived < 2) /* a runtime that ran branches one after the other never gets past this */
        pthread_cond_wait(&seen_changed, &seen_lock);
    pthread_mutex_unlock(&seen_lock);
    return step(ctx, inputs, params, outputs);
}

/* Runs until cancelled or past its time limit, like a subprocess would. */
static pf_error *slow(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    (void)inputs, (void)params, (void)outputs;
    note("slow");
    long until = ctx->timeout_ms > 0 ? pf_now_ms() + ctx->timeout_ms : 0;
    while (!until || pf_now_ms() < until) {
        if (atomic_load(ctx->cancel)) return pf_error_new(PF_ECANCELLED, "", "cancelled");
        usleep(1000);
    }
    return pf_error_new(PF_ETIMEOUT, "", "did not finish within %ld ms", ctx->timeout_ms);
}

/* Ignores cancel, as a module deep in a long call does, until the test
 * releases it: the window in which a server can crash after a cancel. */
static pf_error *stubborn(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    note("stubborn");
    pthread_mutex_lock(&seen_lock);
    while (!released)
        pthread_cond_wait(&seen_changed, &seen_lock);
    pthread_mutex_unlock(&seen_lock);
    return step(ctx, inputs, params, outputs);
}

#define CONTRACT(KEY, ENTRY, FX, INPUTS, RETRIES)                                                                      \
    "{\"module_key\":\"" KEY "\",\"module_version\":\"1.0.0\",\"family\":[\"test_flow\"],\"entry\":" ENTRY ","         \
    "\"label\":\"" KEY "\",\"category\":\"Test\",\"description\":\"A test module.\",\"icon\":\"box\","                 \
    "\"input_contract\":[" INPUTS "],\"output_contract\":[{\"name\":\"out\",\"type\":\"artifact\",\"required\":true,"  \
    "\"description\":\"d\"}],\"param_schema\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"    \
    "\"label\":{\"type\":\"string\",\"default\":\"x\"}}},\"field_order\":[\"label\"],\"widgets\":{},"                  \
    "\"artifact_roles_produced\":[],\"artifact_roles_consumed\":[],\"legacy_source\":\"none\",\"side_effects\":\"" FX  \
    "\",\"policy\":{\"retries\":" RETRIES ",\"backoff_s\":0,\"timeout_s\":60,\"on_failure\":\"fail_run\"}}"
#define IN_PORT "{\"name\":\"in\",\"type\":\"artifact\",\"required\":false,\"description\":\"d\"}"

static const pf_module_desc m_entry = {
    .key = "test.entry", .contract_json = CONTRACT("test.entry", "true", "none", "", "0"), .execute = entry};
static const pf_module_desc m_relay = {
    .key = "test.relay", .contract_json = CONTRACT("test.relay", "true", "none", "", "0"), .execute = relay};
static const pf_module_desc m_step = {
    .key = "test.step", .contract_json = CONTRACT("test.step", "false", "none", IN_PORT, "0"), .execute = step};
static const pf_module_desc m_effect = {
    .key = "test.effect", .contract_json = CONTRACT("test.effect", "false", "external", IN_PORT, "0"), .execute = step};
static const pf_module_desc m_flaky = {
    .key = "test.flaky", .contract_json = CONTRACT("test.flaky", "false", "none", IN_PORT, "2"), .execute = flaky};
static const pf_module_desc m_broken = {
    .key = "test.broken", .contract_json = CONTRACT("test.broken", "false", "none", IN_PORT, "3"), .execute = broken};
static const pf_module_desc m_meet = {
    .key = "test.meet", .contract_json = CONTRACT("test.meet", "false", "none", IN_PORT, "0"), .execute = rendezvous};
static const pf_module_desc m_slow = {
    .key = "test.slow", .contract_json = CONTRACT("test.slow", "false", "none", IN_PORT, "0"), .execute = slow};
static const pf_module_desc m_stubborn = {.key = "test.stubborn",
                                          .contract_json = CONTRACT("test.stubborn", "false", "none", IN_PORT, "0"),
                                          .execute = stubborn};
/* Hands its label on, without a file: large graphs. */
static pf_error *pass_on(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    (void)ctx, (void)inputs;
    *outputs = json_pack("{s:s}", "out", label(params));
    return NULL;
}

/* Depends on a file it reads by name, as the render modules depend on a
 * material library: its content goes into the cache key. */
static json_t *reads_file(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params) {
    (void)inputs, (void)params;
    char *path = pf_asprintf("%s/dependency.txt", ctx->data_root), *text = NULL;
    size_t len;
    json_t *out = NULL;
    pf_error *err = pf_read_file(path, 1024, &text, &len);
    if (!err) out = json_pack("{s:s}", "dependency", text);
    pf_error_free(err);
    free(text);
    free(path);
    return out;
}

static const pf_module_desc m_reads = {.key = "test.reads",
                                       .contract_json = CONTRACT("test.reads", "false", "none", IN_PORT, "0"),
                                       .execute = step,
                                       .depends = reads_file};
static const pf_module_desc m_pass = {
    .key = "test.pass", .contract_json = CONTRACT("test.pass", "false", "none", IN_PORT, "0"), .execute = pass_on};
static const pf_module_desc *const test_modules[] = {&m_entry, &m_step, &m_effect, &m_flaky,    &m_broken, &m_meet,
                                                     &m_slow,  &m_pass, &m_reads,  &m_stubborn, &m_relay};

static const char *family_json =
    "[{\"key\":\"test_flow\",\"label\":\"Test flow\",\"description\":\"Runtime tests.\",\"entry_step\":\"test.entry\","
    "\"context_schema\":{\"type\":\"object\",\"required\":[\"subject\"],\"properties\":{\"subject\":{\"type\":"
    "\"string\"}}},"
    "\"palette\":[\"test.entry\",\"test.step\",\"test.effect\",\"test.flaky\",\"test.broken\",\"test.meet\",\"test."
    "slow\",\"test.pass\",\"test.reads\",\"test.stubborn\",\"test.relay\"],"
    "\"artifact_kinds\":[\"still_image\"],\"preflight\":[]}]";

/* ------------------------------------------------------------ harness */

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

/* A workflow from a compact description: "id:step[:label][:policy-json]" nodes and "a>b" edges. */
static json_t *workflow(const char *id, const char *const *nodes, const char *const *edges) {
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:[], s:[]}", "schema", "prodflow.workflow/v1", "id", id, "name", id,
                            "family", "test_flow", "nodes", "edges");
    for (size_t i = 0; nodes[i]; i++) {
        char *spec = pf_strdup(nodes[i]);
        char *node_id = strtok(spec, "|"), *step_key = strtok(NULL, "|"), *lab = strtok(NULL, "|"),
             *policy = strtok(NULL, "|");
        json_t *n =
            json_pack("{s:s, s:s, s:{s:s}}", "id", node_id, "step", step_key, "params", "label", lab ? lab : node_id);
        if (policy) json_object_set_new(n, "policy", json_loads(policy, 0, NULL));
        json_array_append_new(json_object_get(doc, "nodes"), n);
        free(spec);
    }
    for (size_t i = 0; edges && edges[i]; i++) {
        char *spec = pf_strdup(edges[i]);
        char *from = strtok(spec, ">"), *to = strtok(NULL, ">");
        json_array_append_new(json_object_get(doc, "edges"),
                              json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "from", "node", from, "port", "out", "to",
                                        "node", to, "port", "in"));
        free(spec);
    }
    return doc;
}

static char *submit(harness *h, json_t *wf, const json_t *overrides) {
    pf_errors errs;
    pf_errors_init(&errs);
    json_t *ctx = json_pack("{s:s}", "subject", "gearbox");
    pf_run_request req = {.workflow = wf, .context = ctx, .overrides = overrides};
    char *id = NULL;
    pf_error *err = pf_runtime_submit(h->rt, &req, &errs, &id);
    CHECK_MSG(err == NULL, "%s; first: %s at %s", err ? err->message : "", errs.len ? errs.items[0].message : "",
              errs.len ? errs.items[0].pointer : "");
    pf_error_free(err);
    pf_errors_clear(&errs);
    json_decref(ctx);
    json_decref(wf);
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
    pf_error_free(pf_store_run_get(h->store, id, true, &run));
    return run;
}

static const json_t *node_of(const json_t *run, const char *id) {
    return json_object_get(json_object_get(run, "nodes"), id);
}

static const char *node_status(const json_t *run, const char *id) {
    return json_string_value(json_object_get(node_of(run, id), "status"));
}

static const json_t *node_state(const json_t *run, const char *id, const char *field) {
    return json_object_get(json_object_get(node_of(run, id), "state"), field);
}

static void reset(void) {
    seen[0] = '\0';
    flaky_failures_left = 0;
    arrived = 0;
    released = false;
}

static void release(void) {
    pthread_mutex_lock(&seen_lock);
    released = true;
    pthread_cond_broadcast(&seen_changed);
    pthread_mutex_unlock(&seen_lock);
}

/* ------------------------------------------------------------ cases */

static void test_order_and_artifacts(harness *h) {
    reset();
    const char *nodes[] = {"e|test.entry", "a|test.step", "b|test.step", "c|test.step", NULL};
    const char *edges[] = {"e>a", "a>b", "b>c", NULL};
    char *id = submit(h, workflow("chain", nodes, edges), NULL);
    json_t *run = finish(h, id, "succeeded");
    CHECK_STR(seen, "entry a b c ");
    /* the entry module saw the context; outputs live in the artifact store with lineage */
    const json_t *context = json_object_get(json_object_get(node_state(run, "e", "outputs"), "out"), "context");
    CHECK_STR(json_string_value(json_object_get(context, "subject")), "gearbox");
    const char *path =
        json_string_value(json_object_get(json_object_get(node_state(run, "c", "outputs"), "out"), "path"));
    CHECK(path && strstr(path, "/artifacts/sha256/") && access(path, R_OK) == 0);
    char *artifact_id = pf_asprintf("%s:c:out", id);
    json_t *meta = NULL;
    CHECK(pf_store_artifact_get(h->store, artifact_id, &meta) == NULL);
    char *parent = pf_asprintf("%s:b:out", id);
    CHECK_STR(json_string_value(json_array_get(json_object_get(meta, "parents"), 0)), parent);
    /* resolved params say where each value came from */
    CHECK_STR(
        json_string_value(json_object_get(json_object_get(node_state(run, "b", "param_sources"), "label"), "source")),
        "node");
    json_decref(meta);
    free(parent);
    free(artifact_id);
    json_decref(run);
    free(id);
}

/* Runs share what they are given: the legacy and shadow runs of one order
 * line hold the same context, and a node's inputs are its upstream's
 * outputs. A file output handed on by reference is stored without writing
 * into the original (once, a shadow run rewrote the path a render node of
 * its legacy twin was reading). */
static void test_given_values_stay_unchanged(harness *h) {
    reset();
    char *file = pf_asprintf("%s/given.txt", h->data);
    CHECK(pf_write_file_atomic(file, "given", 5) == NULL);
    json_t *value = NULL;
    CHECK(pf_module_file_value(file, "text/plain", &value) == NULL);
    json_t *ctx = json_pack("{s:s, s:o}", "subject", "gearbox", "file", value);
    json_t *before = json_deep_copy(ctx);
    const char *nodes[] = {"g|test.relay", "a|test.step", "b|test.step", NULL};
    const char *edges[] = {"g>a", "g>b", NULL};
    pf_errors errs;
    pf_errors_init(&errs);
    json_t *wf = workflow("given", nodes, edges);
    pf_run_request req = {.workflow = wf, .context = ctx};
    char *id = NULL;
    CHECK(pf_runtime_submit(h->rt, &req, &errs, &id) == NULL);
    json_t *run = finish(h, id, "succeeded");
    CHECK(json_equal(ctx, before));
    /* the stored copy is the node's own, with its artifact id */
    const json_t *out = json_object_get(node_state(run, "g", "outputs"), "out");
    char *artifact_id = pf_asprintf("%s:g:out", id);
    CHECK_STR(json_string_value(json_object_get(out, "artifact_id")), artifact_id);
    CHECK(strstr(json_string_value(json_object_get(out, "path")), "/artifacts/sha256/") != NULL);
    free(artifact_id);
    pf_errors_clear(&errs);
    json_decref(wf);
    json_decref(run);
    json_decref(before);
    json_decref(ctx);
    free(id);
    free(file);
}

static void test_parallel_branches(harness *h) {
    reset();
    const char *nodes[] = {"e|test.entry", "left|test.meet", "right|test.meet", "join|test.step", NULL};
    const char *edges[] = {"e>left", "e>right", "left>join", NULL};
    char *id = submit(h, workflow("diamond", nodes, edges), NULL);
    json_t *run = finish(h, id, "succeeded");
    CHECK_STR(node_status(run, "join"), "succeeded");
    json_decref(run);
    free(id);
}

static void test_retries_and_failures(harness *h) {
    /* two passing faults, then success on the third attempt */
    reset();
    flaky_failures_left = 2;
    const char *flaky_nodes[] = {"e|test.entry", "f|test.flaky", NULL};
    const char *one[] = {"e>f", NULL};
    char *id = submit(h, workflow("flaky", flaky_nodes, one), NULL);
    json_t *run = finish(h, id, "succeeded");
    CHECK_INT(json_array_size(node_state(run, "f", "attempts")), 3);
    json_decref(run);
    free(id);

    /* a non-retryable error is tried once although the policy allows 3 retries */
    reset();
    const char *broken_nodes[] = {"e|test.entry", "x|test.broken", "after|test.step", "other|test.step", NULL};
    const char *edges[] = {"e>x", "x>after", "e>other", NULL};
    id = submit(h, workflow("broken", broken_nodes, edges), NULL);
    run = finish(h, id, "failed");
    CHECK_INT(json_array_size(node_state(run, "x", "attempts")), 1);
    CHECK_STR(json_string_value(json_object_get(node_state(run, "x", "error"), "pointer")), "/params/label");
    CHECK_STR(node_status(run, "after"), "skipped");
    json_decref(run);
    free(id);

    /* skip_dependents: the failed node's branch is skipped, the other runs */
    reset();
    const char *skip_nodes[] = {"e|test.entry",    "x|test.broken|x|{\"on_failure\":\"skip_dependents\"}",
                                "after|test.step", "more|test.step",
                                "other|test.step", NULL};
    const char *skip_edges[] = {"e>x", "x>after", "after>more", "e>other", NULL};
    id = submit(h, workflow("skip", skip_nodes, skip_edges), NULL);
    run = finish(h, id, "failed");
    CHECK_STR(node_status(run, "after"), "skipped");
    CHECK_STR(node_status(run, "more"), "skipped");
    CHECK_STR(node_status(run, "other"), "succeeded");
    json_decref(run);
    free(id);

    /* continue: dependents still run, and the run succeeds */
    reset();
    const char *cont_nodes[] = {"e|test.entry", "x|test.broken|x|{\"on_failure\":\"continue\"}", "after|test.step",
                                NULL};
    const char *cont_edges[] = {"e>x", "x>after", NULL};
    id = submit(h, workflow("continue", cont_nodes, cont_edges), NULL);
    run = finish(h, id, "succeeded");
    CHECK_STR(node_status(run, "x"), "failed");
    CHECK_STR(node_status(run, "after"), "succeeded");
    json_decref(run);
    free(id);
}

static void test_timeout_and_cancel(harness *h) {
    reset();
    const char *nodes[] = {"e|test.entry", "s|test.slow|s|{\"timeout_s\":0.2,\"retries\":0}", NULL};
    const char *edges[] = {"e>s", NULL};
    char *id = submit(h, workflow("timeout", nodes, edges), NULL);
    json_t *run = finish(h, id, "failed");
    CHECK_STR(json_string_value(json_object_get(node_state(run, "s", "error"), "code")), "timeout");
    json_decref(run);
    free(id);

    reset();
    const char *slow_nodes[] = {"e|test.entry", "s|test.slow", "after|test.step", NULL};
    const char *slow_edges[] = {"e>s", "s>after", NULL};
    id = submit(h, workflow("cancel", slow_nodes, slow_edges), NULL);
    wait_seen("slow");
    CHECK(pf_runtime_cancel(h->rt, id) == NULL);
    run = finish(h, id, "cancelled");
    CHECK_STR(node_status(run, "s"), "cancelled");
    CHECK_STR(node_status(run, "after"), "cancelled");
    json_decref(run);
    pf_error *err = pf_runtime_cancel(h->rt, id);
    CHECK(err && err->code == PF_ECONFLICT);
    pf_error_free(err);
    free(id);

    /* A cancel ends a retry's backoff at once: with an hour's backoff the
     * run would otherwise outlive CTest's timeout. Its own label, so the
     * cache holds no answer from the retries case. */
    reset();
    flaky_failures_left = 5;
    const char *backoff_nodes[] = {"e|test.entry", "f|test.flaky|backoff|{\"retries\":2,\"backoff_s\":3600}", NULL};
    const char *backoff_edges[] = {"e>f", NULL};
    id = submit(h, workflow("backoff", backoff_nodes, backoff_edges), NULL);
    wait_seen("flaky-failed");
    CHECK(pf_runtime_cancel(h->rt, id) == NULL);
    run = finish(h, id, "cancelled");
    CHECK_INT(json_array_size(node_state(run, "f", "attempts")), 1);
    json_decref(run);
    free(id);
}

static void test_cache(harness *h) {
    const char *nodes[] = {"e|test.entry", "a|test.step|cached-a", "fx|test.effect", NULL};
    const char *edges[] = {"e>a", "a>fx", NULL};
    json_t *wf = workflow("cached", nodes, edges);
    json_object_set_new(
        wf, "invocation",
        json_pack("{s:{s:{s:{s:s}, s:[s]}}}", "params", "label", "schema", "type", "string", "targets", "a.label"));
    reset();
    char *first = submit(h, json_deep_copy(wf), NULL);
    json_t *run = finish(h, first, "succeeded");
    CHECK_STR(json_string_value(json_object_get(node_state(run, "a", "cache"), "reason")), "no entry");
    json_decref(run);

    reset();
    char *second = submit(h, json_deep_copy(wf), NULL);
    run = finish(h, second, "succeeded");
    CHECK(json_is_true(json_object_get(node_state(run, "a", "cache"), "hit")));
    CHECK(strstr(seen, "cached-a") == NULL); /* a did not run */
    /* the side-effecting module always runs */
    CHECK_STR(json_string_value(json_object_get(node_state(run, "fx", "cache"), "reason")),
              "side-effecting module: never cached");
    json_decref(run);

    reset();
    json_t *overrides = json_pack("{s:s}", "label", "bigger");
    char *third = submit(h, json_deep_copy(wf), overrides);
    run = finish(h, third, "succeeded");
    const json_t *verdict = node_state(run, "a", "cache");
    CHECK_STR(json_string_value(json_object_get(verdict, "reason")), "params changed");
    CHECK_STR(json_string_value(json_array_get(json_object_get(verdict, "changed"), 0)), "label");
    CHECK_STR(
        json_string_value(json_object_get(json_object_get(node_state(run, "a", "param_sources"), "label"), "source")),
        "invocation");
    json_decref(run);
    json_decref(overrides);

    /* a node whose policy turns the cache off always runs, and says why */
    reset();
    const char *off_nodes[] = {"e|test.entry", "a|test.step|cached-a|{\"cache\":false}", NULL};
    const char *off_edges[] = {"e>a", NULL};
    char *fourth = submit(h, workflow("uncached", off_nodes, off_edges), NULL);
    run = finish(h, fourth, "succeeded");
    CHECK_STR(json_string_value(json_object_get(node_state(run, "a", "cache"), "reason")), "cache disabled by policy");
    CHECK(strstr(seen, "cached-a") != NULL);
    json_decref(run);
    free(fourth);

    /* an override the workflow does not expose is refused with its pointer */
    pf_errors errs;
    pf_errors_init(&errs);
    json_t *bad = json_pack("{s:i}", "colour", 3), *ctx = json_pack("{s:s}", "subject", "x");
    pf_run_request req = {.workflow = wf, .context = ctx, .overrides = bad};
    char *id = NULL;
    pf_error *err = pf_runtime_submit(h->rt, &req, &errs, &id);
    CHECK(err && errs.len == 1 && strcmp(errs.items[0].pointer, "/overrides/colour") == 0);
    pf_error_free(err);
    pf_errors_clear(&errs);
    /* so is a context that breaks the family's context schema */
    json_t *empty = json_object();
    req.context = empty, req.overrides = NULL;
    err = pf_runtime_submit(h->rt, &req, &errs, &id);
    CHECK(err && errs.len == 1 && strcmp(errs.items[0].pointer, "/context") == 0);
    pf_error_free(err);
    pf_errors_clear(&errs);
    json_decref(empty);
    json_decref(bad);
    json_decref(ctx);
    json_decref(wf);
    free(first);
    free(second);
    free(third);
}

/* The entry a node stores is its probe's basis, as the text its key is
 * the digest of, and its outputs. */
static void test_cache_entry_text(harness *h) {
    pf_cache_probe probe;
    json_t *params = json_pack("{s:s}", "label", "l\u00e9"), *inputs = json_pack("{s:{s:i}}", "in", "n", 1),
           *outputs = json_pack("{s:s}", "out", "x");
    pf_cache_probe_init(&probe, pf_registry_find(h->reg, "test.step"), "wf", "a", params, inputs, NULL, NULL);
    char *text = pf_cache_entry_text(&probe, outputs), hex[65];
    json_t *entry = json_loads(text, 0, NULL);
    CHECK(json_equal(json_object_get(entry, "basis"), probe.basis));
    CHECK(json_equal(json_object_get(entry, "outputs"), outputs));
    pf_sha256_hex(probe.basis_text, strlen(probe.basis_text), hex);
    CHECK_STR(hex, probe.key);
    CHECK_STR(probe.slot, "test.step@wf/a");
    json_decref(entry);
    free(text);
    pf_cache_probe_free(&probe);
    json_decref(params);
    json_decref(inputs);
    json_decref(outputs);
}

/* A module's depends hook keys the cache too: editing what it reads misses. */
static void test_cache_depends(harness *h) {
    const char *nodes[] = {"e|test.entry", "r|test.reads|reader", NULL};
    const char *edges[] = {"e>r", NULL};
    char *dep = pf_asprintf("%s/dependency.txt", h->data);
    CHECK(pf_write_file_atomic(dep, "v1", 2) == NULL);
    const char *expect[][2] = {{"v1", "no entry"}, {"v1", NULL}, {"v2", "dependencies changed"}};
    for (size_t i = 0; i < 3; i++) {
        CHECK(pf_write_file_atomic(dep, expect[i][0], 2) == NULL);
        reset();
        char *id = submit(h, workflow("depends", nodes, edges), NULL);
        json_t *run = finish(h, id, "succeeded");
        const json_t *verdict = node_state(run, "r", "cache");
        if (expect[i][1]) {
            CHECK_STR(json_string_value(json_object_get(verdict, "reason")), expect[i][1]);
            CHECK(strstr(seen, "reader") != NULL);
        } else {
            CHECK(json_is_true(json_object_get(verdict, "hit")));
        }
        if (i == 2) CHECK_STR(json_string_value(json_array_get(json_object_get(verdict, "changed"), 0)), "dependency");
        json_decref(run);
        free(id);
    }
    /* Many such nodes side by side: their look-ups are made ahead in
     * batches, but a key a depends hook feeds is worked out again when the
     * node starts, so a file changed in between is not missed. Here each
     * run sees one version of the file throughout. */
    const char *wide[42] = {"e|test.entry"}, *wide_edges[41] = {NULL};
    char names[40][24], edge_specs[40][24];
    for (int k = 0; k < 40; k++) {
        snprintf(names[k], sizeof names[k], "r%d|test.reads|w%d", k, k);
        snprintf(edge_specs[k], sizeof edge_specs[k], "e>r%d", k);
        wide[k + 1] = names[k];
        wide_edges[k] = edge_specs[k];
    }
    const char *wide_expect[][2] = {{"w1", "no entry"}, {"w1", NULL}, {"w2", "dependencies changed"}};
    for (size_t i = 0; i < 3; i++) {
        CHECK(pf_write_file_atomic(dep, wide_expect[i][0], 2) == NULL);
        reset();
        char *id = submit(h, workflow("depends-wide", wide, wide_edges), NULL);
        json_t *run = finish(h, id, "succeeded");
        size_t as_expected = 0;
        for (int k = 0; k < 40; k++) {
            char node[8];
            snprintf(node, sizeof node, "r%d", k);
            const json_t *verdict = node_state(run, node, "cache");
            as_expected += wide_expect[i][1] ? json_string_value(json_object_get(verdict, "reason")) &&
                                                   strcmp(json_string_value(json_object_get(verdict, "reason")),
                                                          wide_expect[i][1]) == 0
                                             : json_is_true(json_object_get(verdict, "hit"));
        }
        CHECK_MSG(as_expected == 40, "run %zu: %zu of 40 nodes as expected", i, as_expected);
        json_decref(run);
        free(id);
    }
    free(dep);
}

/* A runtime stopped mid-run leaves the run "running" in the store; a new
 * runtime resumes it and keeps what was done. Then a failed run is re-run. */
static void test_resume_and_rerun(harness *h) {
    reset();
    const char *nodes[] = {"e|test.entry", "a|test.step", "s|test.slow|s|{\"timeout_s\":1.5}", "b|test.step", NULL};
    const char *edges[] = {"e>a", "a>s", "s>b", NULL};
    char *id = submit(h, workflow("resume", nodes, edges), NULL);
    wait_seen("slow");
    pf_runtime_stop(h->rt); /* interrupts the slow node and leaves the run */
    json_t *run = NULL;
    pf_error_free(pf_store_run_get(h->store, id, true, &run));
    CHECK_STR(json_string_value(json_object_get(run, "status")), "running");
    CHECK_STR(node_status(run, "a"), "succeeded");
    json_decref(run);

    reset();
    start(h);
    size_t resumed = 0;
    CHECK(pf_runtime_resume(h->rt, &resumed) == NULL);
    CHECK_INT(resumed, 1);
    run = finish(h, id, "failed"); /* s times out again; a was not run again */
    CHECK(strstr(seen, "a ") == NULL);
    CHECK(strstr(seen, "slow") != NULL);
    json_decref(run);

    /* re-run: only what did not succeed runs again */
    reset();
    CHECK(pf_runtime_rerun(h->rt, id) == NULL);
    run = finish(h, id, "failed");
    CHECK(strstr(seen, "entry") == NULL && strstr(seen, "slow") != NULL);
    json_decref(run);
    pf_error *err = pf_runtime_rerun(h->rt, "run_nonexistent");
    CHECK(err && err->code == PF_ENOTFOUND);
    pf_error_free(err);
    free(id);
}

/* A cancel is recorded at once: a server that stops before the running
 * node returns (here a second runtime on the same store resumes, as after
 * a crash) ends the run cancelled instead of running it again. */
static void test_cancel_survives_restart(harness *h) {
    reset();
    const char *nodes[] = {"e|test.entry", "s|test.stubborn", "after|test.step", NULL};
    const char *edges[] = {"e>s", "s>after", NULL};
    char *id = submit(h, workflow("cancel-crash", nodes, edges), NULL);
    wait_seen("stubborn");
    CHECK(pf_runtime_cancel(h->rt, id) == NULL);
    json_t *run = NULL;
    pf_error_free(pf_store_run_get(h->store, id, true, &run));
    CHECK_STR(json_string_value(json_object_get(run, "status")), "running"); /* its node has not returned */
    CHECK(json_object_get(json_object_get(run, "doc"), "cancel_requested_at") != NULL);
    json_decref(run);

    pf_runtime *after_crash = NULL;
    pf_runtime_config cfg = {.registry = h->reg, .store = h->store, .data_dir = h->data, .workers = 2};
    CHECK(pf_runtime_start(&cfg, &after_crash) == NULL);
    CHECK(pf_runtime_resume(after_crash, NULL) == NULL);
    run = NULL;
    pf_error_free(pf_store_run_get(h->store, id, true, &run));
    CHECK_STR(json_string_value(json_object_get(run, "status")), "cancelled");
    CHECK_STR(node_status(run, "s"), "cancelled");
    CHECK_STR(node_status(run, "after"), "cancelled");
    CHECK_STR(node_status(run, "e"), "succeeded");
    json_decref(run);
    CHECK_MSG(strstr(strstr(seen, "stubborn") + 8, "stubborn") == NULL, "ran again: %s", seen);
    pf_runtime_stop(after_crash);

    release();
    run = finish(h, id, "cancelled");
    json_decref(run);
    free(id);
}

/* --disk-quota holds for a run already going (issue 14): its node's outputs
 * are not kept once the data directory is past the quota; the node fails
 * with the reason, the run follows its on_failure policy (fail_run), and
 * no artifact is stored. The quota here is what the directory holds now
 * plus a byte, so the node's own output takes it over. */
static void test_disk_quota_while_running(harness *h) {
    reset();
    pf_runtime_stop(h->rt);
    pf_runtime_config cfg = {.registry = h->reg,
                             .store = h->store,
                             .data_dir = h->data,
                             .workers = 2,
                             .disk_quota_bytes = pf_tree_bytes(h->data) + 1};
    CHECK(pf_runtime_start(&cfg, &h->rt) == NULL);
    /* Labels no other case uses: a cache hit would keep no new output. */
    const char *nodes[] = {"e|test.entry", "a|test.step|quota-a", "b|test.step|quota-b", NULL};
    const char *edges[] = {"e>a", "a>b", NULL};
    char *id = submit(h, workflow("over-quota", nodes, edges), NULL);
    json_t *run = finish(h, id, "failed");
    CHECK_STR(node_status(run, "a"), "failed");
    CHECK_STR(node_status(run, "b"), "skipped");
    const char *why = json_string_value(json_object_get(node_state(run, "a", "error"), "message"));
    CHECK_MSG(why && strstr(why, "disk quota") && strstr(why, "node a (test.step)") && !strstr(why, h->data),
              "the reason: %s", why ? why : "(none)");
    char *artifact_id = pf_asprintf("%s:a:out", id);
    json_t *meta = NULL;
    pf_error *err = pf_store_artifact_get(h->store, artifact_id, &meta);
    CHECK(err != NULL && meta == NULL);
    pf_error_free(err);
    free(artifact_id);
    json_decref(run);
    free(id);
    pf_runtime_stop(h->rt);
    start(h);
}

/* A run whose node takes the server down every time (stopped here while the
 * node runs) is resumed twice; at the third start its node fails unrun. */
static void test_stalled_resume(harness *h) {
    const char *nodes[] = {"e|test.entry", "s|test.slow|s|{\"timeout_s\":60}", "b|test.step", NULL};
    const char *edges[] = {"e>s", "s>b", NULL};
    reset();
    char *id = submit(h, workflow("stalls", nodes, edges), NULL);
    for (int stop = 1; stop <= 3; stop++) {
        wait_seen("slow");
        CHECK_MSG(strstr(seen, "slow") != NULL, "the node ran before stop %d", stop);
        pf_runtime_stop(h->rt);
        reset();
        start(h);
        size_t resumed = 0;
        CHECK(pf_runtime_resume(h->rt, &resumed) == NULL);
        CHECK_INT(resumed, 1);
    }
    json_t *run = finish(h, id, "failed");
    CHECK(strstr(seen, "slow") == NULL);
    const char *message = json_string_value(json_object_get(node_state(run, "s", "error"), "message"));
    CHECK_MSG(message && strstr(message, "stopped 3 times"), "the error says why: %s", message ? message : "none");
    CHECK_STR(node_status(run, "b"), "skipped");
    CHECK_STR(node_status(run, "e"), "succeeded");
    CHECK_INT(json_array_size(json_object_get(json_object_get(run, "doc"), "resumes")), 3);
    json_decref(run);

    /* Re-running it tries again, with the count of resumes cleared. */
    CHECK(pf_runtime_rerun(h->rt, id) == NULL);
    wait_seen("slow");
    CHECK(strstr(seen, "slow") != NULL);
    CHECK(pf_runtime_cancel(h->rt, id) == NULL);
    run = finish(h, id, "cancelled");
    CHECK(json_object_get(json_object_get(run, "doc"), "resumes") == NULL);
    json_decref(run);
    free(id);
}

/* A workflow large enough that submitting it shares the work with a second
 * thread: a binary tree of n pass-on nodes under the entry. */
static json_t *big_workflow(size_t n) {
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:[]}", "schema", "prodflow.workflow/v1", "id", "big",
                            "name", "big", "family", "test_flow", "nodes", "id", "n0", "step", "test.entry", "edges");
    for (size_t i = 1; i < n; i++) {
        char id[32], parent[32], lab[32];
        snprintf(id, sizeof id, "n%zu", i);
        snprintf(parent, sizeof parent, "n%zu", (i - 1) / 2);
        snprintf(lab, sizeof lab, "l%zu", i);
        json_array_append_new(json_object_get(doc, "nodes"),
                              json_pack("{s:s, s:s, s:{s:s}}", "id", id, "step", "test.pass", "params", "label", lab));
        json_array_append_new(json_object_get(doc, "edges"),
                              json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "from", "node", parent, "port", "out", "to",
                                        "node", id, "port", "in"));
    }
    return doc;
}

/* Submits expecting problems; returns the first problem's pointer (caller frees). */
static char *refused(harness *h, const json_t *wf, const json_t *ctx) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_run_request req = {.workflow = wf, .context = ctx};
    char *id = NULL;
    pf_error *err = pf_runtime_submit(h->rt, &req, &errs, &id);
    CHECK(err != NULL && err->code == PF_EINVAL && id == NULL);
    char *pointer = pf_strdup(errs.len ? errs.items[0].pointer : "(none)");
    pf_error_free(err);
    pf_errors_clear(&errs);
    return pointer;
}

static void test_large_workflow(harness *h) {
    reset();
    json_t *wf = big_workflow(700);
    json_t *canonical = pf_workflow_canonicalize(h->reg, wf);
    char *id = submit(h, json_incref(wf), NULL);
    json_t *run = finish(h, id, "succeeded");
    /* The stored workflow is the canonical one, and nodes record what they always do. */
    CHECK(json_equal(json_object_get(json_object_get(run, "doc"), "workflow"), canonical));
    CHECK_INT(json_object_size(json_object_get(run, "nodes")), 700);
    CHECK_STR(node_status(run, "n699"), "succeeded");
    CHECK_STR(json_string_value(json_object_get(node_state(run, "n699", "outputs"), "out")), "l699");
    CHECK_STR(json_string_value(
                  json_object_get(json_object_get(node_state(run, "n699", "param_sources"), "label"), "source")),
              "node");
    CHECK_STR(json_string_value(json_object_get(node_state(run, "n699", "cache"), "reason")), "no entry");
    json_decref(run);
    free(id);
    /* The same graph again: everything after the entry comes from the cache.
     * In a graph this wide most look-ups are made ahead, in batches, by
     * another worker than the one that runs the node; each node records
     * what it would have worked out itself. */
    id = submit(h, json_incref(wf), NULL);
    run = finish(h, id, "succeeded");
    CHECK(json_is_false(json_object_get(node_state(run, "n0", "cache"), "hit")));
    size_t hits = 0, whole = 0;
    for (size_t i = 1; i < 700; i++) {
        char node[32], lab[32];
        snprintf(node, sizeof node, "n%zu", i);
        snprintf(lab, sizeof lab, "l%zu", i);
        const json_t *verdict = node_state(run, node, "cache");
        hits +=
            json_is_true(json_object_get(verdict, "hit")) && json_string_length(json_object_get(verdict, "key")) == 64;
        whole += strcmp(json_string_value(json_object_get(node_state(run, node, "params"), "label")), lab) == 0 &&
                 strcmp(json_string_value(json_object_get(node_state(run, node, "outputs"), "out")), lab) == 0 &&
                 json_object_get(json_object_get(node_state(run, node, "param_sources"), "label"), "source");
    }
    CHECK_INT(hits, 699);
    CHECK_INT(whole, 699);
    json_decref(run);
    free(id);

    /* A problem in the graph is reported; nothing runs. */
    json_t *broken = json_deep_copy(wf);
    json_object_set_new(json_object_get(json_array_get(json_object_get(broken, "edges"), 5), "from"), "node",
                        json_string("nowhere"));
    json_t *ctx = json_pack("{s:s}", "subject", "gearbox");
    char *pointer = refused(h, broken, ctx);
    CHECK_STR(pointer, "/workflow/edges/5/from/node");
    free(pointer);
    json_decref(broken);
    json_decref(ctx);
    /* A valid graph with a context the family refuses. */
    ctx = json_object();
    pointer = refused(h, wf, ctx);
    CHECK_STR(pointer, "/context");
    free(pointer);
    json_decref(ctx);
    json_decref(canonical);
    json_decref(wf);
}

int main(void) {
    json_t *families = json_loads(family_json, 0, NULL);
    pf_registry_extra extra = {test_modules, sizeof test_modules / sizeof *test_modules, families};
    pf_errors errs;
    pf_errors_init(&errs);
    harness h = {.reg = pf_registry_load_with(&extra, &errs)};
    CHECK_MSG(h.reg != NULL, "%s", errs.len ? errs.items[0].message : "");
    if (!h.reg) return pf_check_done("runtime");
    h.data = pf_test_tmpdir("runtime");
    CHECK(pf_store_open(h.data, &h.store) == NULL);
    start(&h);
    test_order_and_artifacts(&h);
    test_parallel_branches(&h);
    test_given_values_stay_unchanged(&h);
    test_retries_and_failures(&h);
    test_timeout_and_cancel(&h);
    test_cache(&h);
    test_cache_entry_text(&h);
    test_cache_depends(&h);
    test_resume_and_rerun(&h);
    test_stalled_resume(&h);
    test_cancel_survives_restart(&h);
    test_large_workflow(&h);
    test_disk_quota_while_running(&h);
    pf_runtime_stop(h.rt);
    pf_store_close(h.store);
    pf_registry_free(h.reg);
    json_decref(families);
    free(h.data);
    return pf_check_done("runtime");
}
