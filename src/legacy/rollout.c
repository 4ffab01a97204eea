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

/* The output type's material constraints as params enforced on every
 * materials.resolve_map node of its runs, legacy, graph or shadow alike
 * (docs/materials.md). Only what constrains is sent, so an output type
 * without constraints leaves a workflow's own material params alone. New
 * reference, or NULL. */
json_t *pf_rollout_constraints(const json_t *output_type) {
    const json_t *mc = json_object_get(output_type, "material_constraints");
    if (!json_is_object(mc)) return NULL;
    json_t *params = json_object();
    const json_t *allowed = json_object_get(mc, "allowed_materials");
    const char *library = pf_json_str(mc, "library");
    bool constrains = json_array_size(allowed) > 0;
    if (constrains) {
        json_object_set(params, "allowed_materials", (json_t *)allowed);
        json_object_set_new(
            params, "on_disallowed",
            json_string(pf_json_str(mc, "on_disallowed") ? pf_json_str(mc, "on_disallowed") : "nearest"));
        if (pf_json_str(mc, "default_material"))
            json_object_set(params, "constraint_default", json_object_get(mc, "default_material"));
    }
    if (library && (constrains || strcmp(library, "default") != 0))
        json_object_set_new(params, "library", json_string(library));
    if (json_is_true(json_object_get(mc, "require_complete")))
        json_object_set_new(params, "require_complete", json_true());
    if (!json_object_size(params)) {
        json_decref(params);
        return NULL;
    }
    char *source = pf_asprintf("output_type %s: /material_constraints", pf_json_str(output_type, "key"));
    json_t *out = json_pack("{s:s, s:{s:o}}", "source", source, "modules", "materials.resolve_map", params);
    free(source);
    return out;
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

pf_error *pf_rollout_dispatch(pf_runtime *rt, pf_store *store, const json_t *starters, const pf_contract *contract,
                              const json_t *output_type, const json_t *line, pf_errors *errs, pf_dispatched *out) {
    const char *rollout = pf_json_str(output_type, "rollout");
    bool legacy = rollout && strcmp(rollout, "graph") != 0, graph = rollout && strcmp(rollout, "legacy") != 0;
    const json_t *line_overrides = json_object_get(line, "overrides");
    if (legacy && json_object_size(line_overrides)) {
        pf_errors_add(errs, PF_EINVAL, "/line/overrides",
                      "output type %s runs the legacy pipeline, which takes no per-line overrides",
                      pf_json_str(output_type, "key"));
        return pf_error_new(PF_EINVAL, "/line/overrides", "the order line cannot be dispatched");
    }
    const char *family_key = pf_json_str(output_type, "family") ? pf_json_str(output_type, "family") : "order_line";
    const pf_family *family = pf_contract_family(contract, family_key);
    if (!family) {
        pf_errors_add(errs, PF_EINVAL, "/output_type/family", "there is no %s family", family_key);
        return pf_error_new(PF_EINVAL, "/output_type/family", "the order line cannot be dispatched");
    }
    if (rollout && !pf_family_allows_rollout(family, rollout)) {
        pf_errors_add(errs, PF_EINVAL, "/output_type/rollout", "the %s family has no %s rollout", family->key, rollout);
        return pf_error_new(PF_EINVAL, "/output_type/rollout", "the order line cannot be dispatched");
    }
    json_t *context = pf_family_order_context(family, line, errs);
    if (!context) return pf_error_new(PF_EINVAL, "/output_type/family", "the order line cannot be dispatched");
    json_t *constraints = pf_rollout_constraints(output_type);
    pf_error *err = NULL;
    if (legacy) {
        json_t *wf = pf_legacy_workflow(json_object_get(output_type, "legacy_render_settings"),
                                        pf_json_str(output_type, "key"), "/output_type/legacy_render_settings", errs);
        json_t *who = subject(output_type, line, "legacy");
        pf_run_request req = {.workflow = wf,
                              .context = context,
                              .subject = who,
                              .constraints = constraints,
                              .parity = graph, /* the legacy half of a shadow pair */
                              .id = out->run_id};
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
                                  .constraints = constraints,
                                  .shadow = shadow,
                                  .parity = shadow,
                                  .id = shadow ? out->shadow_run_id : out->run_id};
            err = submit(rt, &req, errs, shadow ? &out->shadow_run_id : &out->run_id);
            json_decref(who);
        }
        json_decref(wf);
    }
    json_decref(context);
    json_decref(constraints);
    if (err) pf_dispatched_free(out);
    return err;
}

void pf_dispatched_free(pf_dispatched *d) {
    free(d->run_id);
    free(d->shadow_run_id);
    memset(d, 0, sizeof *d);
}
