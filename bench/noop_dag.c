#include "noop_dag.h"

#include <stdio.h>

static pf_error *noop(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    (void)ctx, (void)inputs;
    *outputs = json_pack("{s:O}", "out", json_object_get(params, "label"));
    return NULL;
}

#define CONTRACT(KEY, ENTRY, EXECUTION)                                                                                \
    "{\"module_key\":\"" KEY "\",\"module_version\":\"1.0.0\",\"family\":[\"bench_flow\"],\"entry\":" ENTRY            \
    ",\"execution\":\"" EXECUTION "\",\"label\":\"No-op\",\"category\":\"Bench\",\"description\":\"Does nothing.\","   \
    "\"icon\":\"box\",\"input_contract\":[{\"name\":\"in\",\"type\":\"artifact\",\"required\":false,"                  \
    "\"description\":\"d\"}],\"output_contract\":[{\"name\":\"out\",\"type\":\"artifact\",\"required\":true,"          \
    "\"description\":\"d\"}],\"param_schema\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"    \
    "\"label\":{\"type\":\"string\",\"default\":\"x\"}}},\"field_order\":[\"label\"],\"widgets\":{},"                  \
    "\"artifact_roles_produced\":[],\"artifact_roles_consumed\":[],\"legacy_source\":\"none\",\"side_effects\":"       \
    "\"none\",\"policy\":{\"retries\":0,\"backoff_s\":0,\"timeout_s\":60,\"on_failure\":\"fail_run\"}}"

static const pf_module_desc m_entry = {
    .key = "bench.entry", .contract_json = CONTRACT("bench.entry", "true", "inline"), .execute = noop};
static const pf_module_desc m_noop = {
    .key = "bench.noop", .contract_json = CONTRACT("bench.noop", "false", "inline"), .execute = noop};
static const pf_module_desc m_noop_process = {
    .key = "bench.noop", .contract_json = CONTRACT("bench.noop", "false", "process"), .execute = noop};

pf_registry *pf_bench_noop_registry(bool process) {
    const pf_module_desc *const modules[] = {&m_entry, process ? &m_noop_process : &m_noop};
    json_t *families =
        json_loads("[{\"key\":\"bench_flow\",\"label\":\"Bench\",\"description\":\"d\","
                   "\"entry_step\":\"bench.entry\",\"context_schema\":{\"type\":\"object\"},"
                   "\"palette\":[\"bench.entry\",\"bench.noop\"],\"artifact_kinds\":[],\"preflight\":[]}]",
                   0, NULL);
    pf_registry_extra extra = {modules, 2, families};
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = pf_registry_load_with(&extra, &errs);
    if (!reg && errs.len) fprintf(stderr, "the bench modules do not load: %s\n", errs.items[0].message);
    pf_errors_clear(&errs);
    json_decref(families); /* the contract keeps its own copy */
    return reg;
}

json_t *pf_bench_noop_dag(int nodes, const char *prefix) {
    json_t *wf = json_pack("{s:s, s:s, s:s, s:s, s:[], s:[]}", "schema", "prodflow.workflow/v1", "id", "bench", "name",
                           "bench", "family", "bench_flow", "nodes", "edges");
    for (int i = 0; i < nodes; i++) {
        char id[16], parent[16], label[64];
        snprintf(id, sizeof id, "n%d", i);
        snprintf(label, sizeof label, "%s.%d", prefix, i);
        json_array_append_new(json_object_get(wf, "nodes"),
                              json_pack("{s:s, s:s, s:{s:s}}", "id", id, "step", i ? "bench.noop" : "bench.entry",
                                        "params", "label", label));
        if (!i) continue;
        snprintf(parent, sizeof parent, "n%d", (i - 1) / 2);
        json_array_append_new(json_object_get(wf, "edges"),
                              json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "from", "node", parent, "port", "out", "to",
                                        "node", id, "port", "in"));
    }
    return wf;
}
