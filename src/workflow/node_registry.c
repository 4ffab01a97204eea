#include "workflow/node_registry.h"

#include <string.h>

/* Contract fields copied verbatim; the UI fields are grouped under "ui" so
 * the runtime side of a definition never depends on them. */
static const char *const contract_fields[] = {
    "module_key",
    "module_version",
    "family",
    "entry",
    "input_contract",
    "output_contract",
    "param_schema",
    "artifact_roles_produced",
    "artifact_roles_consumed",
    "legacy_source",
    "side_effects",
    "policy",
};
static const char *const ui_fields[] = {"label", "category", "description", "icon", "field_order", "widgets"};

json_t *pf_node_definition(const pf_module *m) {
    json_t *def = json_object();
    json_object_set_new(def, "step", json_string(m->key));
    for (size_t i = 0; i < sizeof contract_fields / sizeof *contract_fields; i++)
        json_object_set(def, contract_fields[i], json_object_get(m->contract, contract_fields[i]));
    json_t *ui = json_object();
    for (size_t i = 0; i < sizeof ui_fields / sizeof *ui_fields; i++)
        json_object_set(ui, ui_fields[i], json_object_get(m->contract, ui_fields[i]));
    json_object_set_new(def, "ui", ui);
    static const char *const where[] = {
        [PF_EXEC_INLINE] = "inline", [PF_EXEC_PROCESS] = "process", [PF_EXEC_CELERY] = "celery"};
    json_object_set_new(def, "execution", json_string(where[m->execution]));
    json_object_set_new(def, "queue", json_string(m->queue));
    if (m->desc->celery_task) json_object_set_new(def, "celery_task", json_string(m->desc->celery_task));
    json_object_set_new(def, "available", json_boolean(pf_module_available(m)));
    if (!pf_module_available(m))
        json_object_set_new(def, "unavailable_reason",
                            json_sprintf("the module body lands with issue %s",
                                         m->desc->pending_issue ? m->desc->pending_issue : "(unplanned)"));
    return def;
}

json_t *pf_node_definitions(const pf_registry *reg, const char *family) {
    const pf_family *f = family ? pf_contract_family(&reg->contract, family) : NULL;
    if (family && !f) return NULL;
    json_t *defs = json_array();
    for (size_t i = 0; i < reg->n_modules; i++) {
        const pf_module *m = &reg->modules[i];
        if (f && !pf_family_allows_step(f, m->key)) continue;
        json_array_append_new(defs, pf_node_definition(m));
    }
    return json_pack("{s:s?, s:o}", "family", family, "node_definitions", defs);
}

json_t *pf_families_document(const pf_registry *reg) {
    json_t *list = json_array();
    for (size_t i = 0; i < reg->contract.n_families; i++)
        json_array_append_new(list, json_deep_copy(reg->contract.families[i].doc));
    return json_pack("{s:o, s:O}", "families", list, "vocabulary", reg->contract.vocabulary);
}
