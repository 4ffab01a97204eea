#include "runtime/parity_history.h"

#include "core/json.h"
#include "core/mem.h"

#include <stdio.h>
#include <string.h>

/* The newest differences listed in the history; the run's own report has
 * them all. */
#define LAST_DIFFERENCES_MAX 10

static bool passed(const json_t *report) {
    return json_is_true(json_object_get(report, "complete")) && json_is_true(json_object_get(report, "identical"));
}

pf_error *pf_parity_history(const pf_parity_env *env, const char *output_type, json_t **out) {
    *out = NULL;
    json_t *list = NULL;
    pf_error *err = pf_store_run_list(env->store, NULL, &list);
    if (err) return err;
    json_t *runs = json_array(), *last_differences = json_null();
    size_t complete = 0, identical = 0, different = 0, pending = 0, streak = 0;
    bool streak_open = true;
    size_t i;
    const json_t *run;
    json_array_foreach(list, i, run) { /* newest first */
        const json_t *subject = json_object_get(run, "subject");
        const char *ot = pf_json_str(subject, "output_type"), *mode = pf_json_str(subject, "mode");
        if (!ot || strcmp(ot, output_type) != 0 || !mode || strcmp(mode, "shadow") != 0) continue;
        json_t *report = NULL;
        pf_error *e = pf_parity_report(env, pf_json_str(run, "id"), &report);
        if (e) { /* a pair whose legacy run is gone: listed, not counted */
            json_array_append_new(runs, json_pack("{s:s, s:s, s:s}", "graph_run", pf_json_str(run, "id"), "verdict",
                                                  "unavailable", "error", e->message));
            pf_error_free(e);
            continue;
        }
        bool done = json_is_true(json_object_get(report, "complete"));
        const json_t *diffs = json_object_get(report, "differences");
        json_t *first = json_array();
        for (size_t k = 0; k < json_array_size(diffs) && k < LAST_DIFFERENCES_MAX; k++)
            json_array_append(first, json_array_get(diffs, k));
        json_array_append_new(runs, json_pack("{s:O?, s:O?, s:O?, s:O?, s:b, s:O?, s:I, s:o, s:O?}", "graph_run",
                                              json_object_get(report, "graph_run"), "legacy_run",
                                              json_object_get(report, "legacy_run"), "created_at",
                                              json_object_get(run, "created_at"), "verdict",
                                              json_object_get(report, "verdict"), "complete", done, "identical",
                                              json_object_get(report, "identical"), "difference_count",
                                              (json_int_t)json_array_size(diffs), "differences", first, "both_executed",
                                              json_object_get(json_object_get(report, "execution"), "both_executed")));
        if (!done) {
            pending++;
        } else if (passed(report)) {
            complete++, identical++;
            if (streak_open) streak++;
        } else {
            complete++, different++;
            streak_open = false;
            if (json_is_null(last_differences)) {
                json_decref(last_differences);
                last_differences =
                    json_pack("{s:O, s:O}", "graph_run", json_object_get(report, "graph_run"), "differences",
                              json_object_get(json_array_get(runs, json_array_size(runs) - 1), "differences"));
            }
        }
        json_decref(report);
    }
    json_decref(list);
    char rule[200];
    snprintf(rule, sizeof rule,
             "ready when the newest %d finished shadow pairs in a row came out identical or equivalent, both sides "
             "executed",
             PF_PARITY_READY_STREAK);
    *out =
        json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:b, s:s, s:o, s:o}", "output_type", output_type,
                  "shadow_runs", (json_int_t)json_array_size(runs), "complete", (json_int_t)complete, "identical",
                  (json_int_t)identical, "different", (json_int_t)different, "pending", (json_int_t)pending, "streak",
                  (json_int_t)streak, "ready_after", PF_PARITY_READY_STREAK, "ready", streak >= PF_PARITY_READY_STREAK,
                  "rule", rule, "last_differences", last_differences, "runs", runs);
    return NULL;
}
