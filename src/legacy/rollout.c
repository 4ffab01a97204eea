#include "legacy/rollout.h"
#include "core/json.h"

#include "core/mem.h"
#include "legacy/pipeline.h"
#include "workflow/workflow.h"

#include <string.h>

static json_t *subject(const json_t *output_type, const json_t *line, const char *mode) {
    return json_pack("{s:s?, s:s?, s:s}", "output_type", pf_json_str(output_type, "key"), "order_line",
                     pf_json_str(line, "id"), "mode", mode);
}

/* Submits and sets *id, replacing the id the caller chose (the same text). */
static pf_error *submit(pf_runtime *rt, const pf_run_request *req, pf_errors *errs, char **id) {
    char *made = NULL;
    pf_error *err = pf_runtime_submit(rt, req, errs, &made);
    if (!err) {
        free(*id);
        *id = made;
    }
    return err;
}

pf_error *pf_rollout_dispatch(pf_runtime *rt, pf_store *store, const json_t *starters, const json_t *output_type,
                              const json_t *line, pf_errors *errs, pf_dispatched *out) {
    const char *rollout = pf_json_str(output_type, "rollout");
    bool legacy = rollout && strcmp(rollout, "graph") != 0, graph = rollout && strcmp(rollout, "legacy") != 0;
    const json_t *line_overrides = json_object_get(line, "overrides");
    if (legacy && json_object_size(line_overrides)) {
        pf_errors_add(errs, PF_EINVAL, "/line/overrides",
                      "output type %s runs the legacy pipeline, which takes no per-line overrides",
                      pf_json_str(output_type, "key"));
        return pf_error_new(PF_EINVAL, "/line/overrides", "the order line cannot be dispatched");
    }
    json_t *context = json_pack("{s:s?, s:O}", "order_line_id", pf_json_str(line, "id"), "line", line);
    pf_error *err = NULL;
    if (legacy) {
        json_t *wf = pf_legacy_workflow(json_object_get(output_type, "legacy_render_settings"),
                                        pf_json_str(output_type, "key"), "/output_type/legacy_render_settings", errs);
        json_t *who = subject(output_type, line, "legacy");
        pf_run_request req = {.workflow = wf, .context = context, .subject = who, .id = out->run_id};
        err = wf ? submit(rt, &req, errs, &out->run_id)
                 : pf_error_new(PF_EINVAL, "/output_type/legacy_render_settings", "the legacy settings do not run");
        json_decref(who);
        json_decref(wf);
    }
    if (!err && graph) {
        const json_t *link = json_object_get(output_type, "workflow");
        json_t *wf = NULL;
        err = pf_workflow_find(store, starters, pf_json_str(link, "id") ? pf_json_str(link, "id") : "",
                               (int)json_integer_value(json_object_get(link, "version")), &wf);
        if (err) {
            pf_error *e = pf_error_new(err->code, "/output_type/workflow", "%s", err->message);
            pf_error_free(err);
            err = e;
        } else {
            bool shadow = legacy;
            json_t *who = subject(output_type, line, shadow ? "shadow" : "graph");
            if (shadow) json_object_set_new(who, "shadow_of", json_string(out->run_id));
            pf_run_request req = {.workflow = wf,
                                  .context = context,
                                  .overrides = json_object_get(output_type, "overrides"),
                                  .line_overrides = line_overrides,
                                  .subject = who,
                                  .shadow = shadow,
                                  .id = shadow ? out->shadow_run_id : out->run_id};
            err = submit(rt, &req, errs, shadow ? &out->shadow_run_id : &out->run_id);
            json_decref(who);
        }
        json_decref(wf);
    }
    json_decref(context);
    if (err) pf_dispatched_free(out);
    return err;
}

void pf_dispatched_free(pf_dispatched *d) {
    free(d->run_id);
    free(d->shadow_run_id);
    memset(d, 0, sizeof *d);
}
