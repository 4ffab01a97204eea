#include "runtime/parity.h"
#include "core/json.h"

#include "core/clock.h"
#include "core/mem.h"
#include "runtime/parity_image.h"
#include "runtime/parity_parts.h"
#include "runtime/parity_structure.h"

#include <stdlib.h>
#include <string.h>

bool pf_parity_compared_node(const json_t *workflow, const char *node_id) {
    size_t n = strlen(node_id);
    const char *role;
    const json_t *spec;
    json_object_foreach(json_object_get(json_object_get((json_t *)workflow, "invocation"), "artifacts"), role, spec) {
        const char *from = pf_json_str(spec, "from");
        if (from && strncmp(from, node_id, n) == 0 && from[n] == '.') return true;
    }
    return false;
}

/* The other run of a shadow pair. */
static pf_error *partner(pf_store *store, const json_t *run, char **legacy_id, char **graph_id) {
    const json_t *subject = json_object_get(run, "subject");
    const char *mode = pf_json_str(subject, "mode");
    if (mode && strcmp(mode, "shadow") == 0 && pf_json_str(subject, "shadow_of")) {
        *legacy_id = pf_strdup(pf_json_str(subject, "shadow_of"));
        *graph_id = pf_strdup(pf_json_str(run, "id"));
        return NULL;
    }
    json_t *list = NULL;
    pf_error *err = pf_store_run_list(store, NULL, &list);
    size_t i;
    const json_t *other;
    json_array_foreach(list, i, other) {
        const char *of = pf_json_str(json_object_get(other, "subject"), "shadow_of");
        if (!of || strcmp(of, pf_json_str(run, "id")) != 0) continue;
        *legacy_id = pf_strdup(pf_json_str(run, "id"));
        *graph_id = pf_strdup(pf_json_str(other, "id"));
        break;
    }
    json_decref(list);
    if (!err && !*legacy_id)
        err = pf_error_new(PF_ENOTFOUND, "", "run %s is not part of a shadow rollout: no parity to report",
                           pf_json_str(run, "id"));
    return err;
}

static bool finished(const json_t *run) {
    const char *s = pf_json_str(run, "status");
    return s && strcmp(s, "running") != 0 && strcmp(s, "queued") != 0;
}

static json_t *compute(const pf_parity_env *env, const json_t *legacy, const json_t *graph) {
    json_t *diffs = json_array();
    if (!json_equal(json_object_get(legacy, "status"), json_object_get(graph, "status")))
        pf_parity_differ(diffs, "run status", json_object_get(legacy, "status"), json_object_get(graph, "status"));
    bool done = finished(legacy) && finished(graph);
    json_t *execution = pf_parity_execution(legacy, graph, diffs);
    /* Files are judged once both runs are over: a running side has none yet. */
    json_t *artifacts = done ? pf_parity_compare_artifacts(env, legacy, graph, diffs) : json_array();
    json_t *nodes = pf_parity_compare_nodes(legacy, graph, diffs);
    bool equivalent = false;
    size_t i;
    const json_t *a;
    json_array_foreach(artifacts, i, a) equivalent =
        equivalent || (pf_json_str(a, "verdict") && strcmp(pf_json_str(a, "verdict"), "equivalent") == 0);
    bool same = done && json_array_size(diffs) == 0;
    const char *verdict = !done ? "pending" : !same ? "different" : equivalent ? "equivalent" : "identical";
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    json_t *report =
        json_pack("{s:s, s:s, s:s?, s:b, s:b, s:s, s:{s:O, s:O}, s:o, s:o, s:o, s:o, s:{s:f, s:f, s:f}, s:s}",
                  "legacy_run", pf_json_str(legacy, "id"), "graph_run", pf_json_str(graph, "id"), "output_type",
                  pf_json_str(json_object_get(graph, "subject"), "output_type"), "complete", done, "identical", same,
                  "verdict", verdict, "status", "legacy", json_object_get(legacy, "status"), "graph",
                  json_object_get(graph, "status"), "execution", execution, "artifacts", artifacts, "modules", nodes,
                  "differences", diffs, "thresholds", "psnr_db", PF_PARITY_PSNR_MIN, "ssim", PF_PARITY_SSIM_MIN,
                  "number_tolerance", PF_PARITY_NUMBER_TOLERANCE, "computed_at", stamp);
    json_object_set_new(report, "runs_updated_at",
                        json_pack("{s:O?, s:O?}", "legacy", json_object_get(legacy, "updated_at"), "graph",
                                  json_object_get(graph, "updated_at")));
    return report;
}

/* A kept report holds while neither run changed since (a re-run of a
 * failed pair changes both its status and its updated_at). */
static bool still_current(pf_store *store, const json_t *kept, const char *legacy_id, const char *graph_id) {
    const char *ids[2] = {legacy_id, graph_id}, *sides[2] = {"legacy", "graph"};
    bool current = true;
    for (int i = 0; i < 2 && current; i++) {
        json_t *run = NULL;
        pf_error *err = pf_store_run_get(store, ids[i], false, &run);
        current = !err && json_equal(json_object_get(run, "updated_at"),
                                     json_object_get(json_object_get(kept, "runs_updated_at"), sides[i]));
        pf_error_free(err);
        json_decref(run);
    }
    return current;
}

pf_error *pf_parity_report(const pf_parity_env *env, const char *run_id, json_t **report) {
    *report = NULL;
    json_t *run = NULL, *legacy = NULL, *graph = NULL;
    char *legacy_id = NULL, *graph_id = NULL;
    pf_error *err = pf_store_run_get(env->store, run_id, false, &run);
    if (!err) err = partner(env->store, run, &legacy_id, &graph_id);
    if (!err) {
        json_t *kept = NULL;
        pf_error *missing = pf_store_item_get(env->store, PF_PARITY_ITEM, graph_id, &kept);
        if (!missing && !still_current(env->store, kept, legacy_id, graph_id)) {
            json_decref(kept);
        } else if (!missing) {
            const char *meta[] = {"created_at", "updated_at", "revision", "key"};
            for (size_t i = 0; i < 4; i++)
                json_object_del(kept, meta[i]);
            *report = kept;
        }
        pf_error_free(missing);
    }
    if (!err && !*report) err = pf_store_run_get(env->store, legacy_id, true, &legacy);
    if (!err && !*report) err = pf_store_run_get(env->store, graph_id, true, &graph);
    if (!err && !*report) {
        *report = compute(env, legacy, graph);
        if (json_is_true(json_object_get(*report, "complete"))) {
            /* Kept for the output type's history; an error here only costs
             * computing it again next time. */
            pf_store_item item = {.op = PF_ITEM_UPSERT, .kind = PF_PARITY_ITEM, .key = graph_id, .doc = *report};
            pf_error_free(pf_store_items_write(env->store, &item, 1));
        }
    }
    json_decref(run);
    json_decref(legacy);
    json_decref(graph);
    free(legacy_id);
    free(graph_id);
    return err;
}
