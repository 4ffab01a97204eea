#include "modules/registry.h"

#include "core/id.h"
#include "core/jsonschema.h"
#include "core/mem.h"

#include <stdio.h>
#include <string.h>

/* The built-in modules in palette order, module_table[]: generated from
 * their contracts and the families' palettes by tools/gen_modules.c. */
#include "modules/module_table.h"

static const char *const required_fields[] = {
    "module_key",
    "module_version",
    "family",
    "entry",
    "label",
    "category",
    "description",
    "icon",
    "input_contract",
    "output_contract",
    "param_schema",
    "field_order",
    "widgets",
    "artifact_roles_produced",
    "artifact_roles_consumed",
    "legacy_source",
    "side_effects",
    "policy",
};

/* Reads a contract's port array; a port without a name or with an unknown
 * type is a broken contract. */
static pf_ports load_ports(const pf_registry *reg, const char *key, const json_t *arr, const char *what,
                           pf_errors *errs) {
    pf_ports ports = {pf_xcalloc(json_array_size(arr) + 1, sizeof(pf_port)), 0};
    size_t i;
    const json_t *port;
    json_array_foreach(arr, i, port) {
        pf_port *p = &ports.items[ports.len++];
        p->name = json_string_value(json_object_get(port, "name"));
        p->type = json_string_value(json_object_get(port, "type"));
        p->role = json_string_value(json_object_get(port, "role"));
        p->required = json_is_true(json_object_get(port, "required"));
        if (!p->name || !p->type || !pf_contract_port_type(&reg->contract, p->type))
            pf_errors_add(errs, PF_EINTERNAL, "", "module %s: %s port %zu has no name or an unknown type", key, what,
                          i);
    }
    return ports;
}

/* "execution", "queue" and "limits": where the module runs and with what. */
static void read_execution(pf_module *m, pf_errors *errs) {
    const char *key = m->desc->key;
    const char *ex = json_string_value(json_object_get(m->contract, "execution"));
    bool celery = m->desc->celery_task != NULL;
    if (json_object_get(m->contract, "execution") &&
        (!ex || (celery ? strcmp(ex, "celery") : strcmp(ex, "inline") && strcmp(ex, "process"))))
        pf_errors_add(errs, PF_EINTERNAL, "/execution", "module %s: execution is %s", key,
                      celery ? "\"celery\" for an external module" : "\"inline\" or \"process\"");
    m->execution = celery ? PF_EXEC_CELERY : ex && !strcmp(ex, "process") ? PF_EXEC_PROCESS : PF_EXEC_INLINE;
    m->queue = json_string_value(json_object_get(m->contract, "queue"));
    if (!m->queue) m->queue = "default";
    if (!pf_id_valid_slug(m->queue))
        pf_errors_add(errs, PF_EINTERNAL, "/queue", "module %s: queue \"%s\" is not a name", key, m->queue);
    const json_t *limits = json_object_get(m->contract, "limits");
    json_int_t mb = json_integer_value(json_object_get(limits, "memory_mb"));
    json_int_t cpu = json_integer_value(json_object_get(limits, "cpu_s"));
    if (limits && (mb <= 0 || cpu <= 0))
        pf_errors_add(errs, PF_EINTERNAL, "/limits", "module %s: limits need a positive memory_mb and cpu_s", key);
    m->memory_bytes = mb > 0 ? (unsigned long long)mb << 20 : 0;
    m->cpu_seconds = cpu > 0 ? (long)cpu : 0;
    /* Optional: no file its child writes may grow past it, whether or not
     * the installation has a disk quota. */
    const json_t *file_mb = json_object_get(limits, "file_mb");
    if (file_mb && json_integer_value(file_mb) <= 0)
        pf_errors_add(errs, PF_EINTERNAL, "/limits/file_mb", "module %s: file_mb is a positive number of MiB", key);
    m->file_bytes = json_integer_value(file_mb) > 0 ? (unsigned long long)json_integer_value(file_mb) << 20 : 0;
    m->limit_hint = json_string_value(json_object_get(limits, "hint"));
}

/* What a contract must hold beyond its key and families: tools/gen_modules.c
 * checks those of the built-in modules at build time (key = file name, each
 * family's palette lists it), external.c takes an external module's key from
 * its contract and admit() puts it on its families' palettes. */
static void check_contract(const pf_module *m, pf_errors *errs) {
    const char *key = m->desc->key;
    for (size_t i = 0; i < sizeof required_fields / sizeof *required_fields; i++)
        if (!json_object_get(m->contract, required_fields[i]))
            pf_errors_add(errs, PF_EINTERNAL, "", "module %s: contract lacks \"%s\"", key, required_fields[i]);
    pf_schema_check(m->param_schema, "", errs);
    /* Every default must satisfy its own schema, or nodes left at defaults would fail. */
    json_t *empty = json_object();
    json_t *defaults = pf_schema_apply_defaults(m->param_schema, empty);
    json_decref(empty);
    pf_errors bad;
    pf_errors_init(&bad);
    if (pf_schema_validate(m->param_schema, defaults, "", &bad))
        pf_errors_add(errs, PF_EINTERNAL, bad.items[0].pointer, "module %s: default params are invalid: %s", key,
                      bad.items[0].message);
    pf_errors_clear(&bad);
    json_decref(defaults);
}

/* An external module joins the palettes of the families it names. */
static void admit(pf_registry *reg, const pf_module *m, pf_errors *errs) {
    size_t i;
    const json_t *fam;
    json_array_foreach(json_object_get(m->contract, "family"), i, fam) {
        const char *f = json_string_value(fam);
        if (!f || !pf_contract_admit_step(&reg->contract, f, m->desc->key)) {
            char ptr[32];
            snprintf(ptr, sizeof ptr, "/family/%zu", i);
            pf_errors_add(errs, PF_EINVAL, ptr, "module %s: there is no family \"%s\"", m->desc->key, f ? f : "?");
        }
    }
}

pf_registry *pf_registry_load(pf_errors *errs) { return pf_registry_load_with(NULL, errs); }

static pf_error *contract_of(const pf_module_desc *desc, json_t **doc_out) {
    if (!desc->contract_json) return pf_contract_embedded_json(desc->contract_path, doc_out);
    json_error_t jerr;
    *doc_out = json_loads(desc->contract_json, 0, &jerr);
    if (!*doc_out) return pf_error_new(PF_EINTERNAL, "", "module %s: contract is not JSON: %s", desc->key, jerr.text);
    return NULL;
}

pf_registry *pf_registry_load_with(const pf_registry_extra *extra, pf_errors *errs) {
    pf_registry *reg = pf_xcalloc(1, sizeof *reg);
    pf_error *err = pf_contract_load(&reg->contract, extra ? extra->families : NULL);
    if (err) {
        pf_errors_take(errs, err);
        free(reg);
        return NULL;
    }
    size_t before = errs->len;
    size_t builtin = sizeof module_table / sizeof *module_table;
    reg->n_modules = builtin + (extra ? extra->n_modules : 0);
    reg->modules = pf_xcalloc(reg->n_modules, sizeof *reg->modules);
    for (size_t i = 0; i < reg->n_modules; i++) {
        pf_module *m = &reg->modules[i];
        m->desc = i < builtin ? module_table[i] : extra->modules[i - builtin];
        err = contract_of(m->desc, &m->contract);
        if (err) {
            pf_errors_take(errs, err);
            continue;
        }
        m->key = json_string_value(json_object_get(m->contract, "module_key"));
        m->version = json_string_value(json_object_get(m->contract, "module_version"));
        m->inputs = load_ports(reg, m->desc->key, json_object_get(m->contract, "input_contract"), "input", errs);
        m->outputs = load_ports(reg, m->desc->key, json_object_get(m->contract, "output_contract"), "output", errs);
        m->param_schema = json_object_get(m->contract, "param_schema");
        m->params = pf_schema_compile(m->param_schema);
        m->policy = json_object_get(m->contract, "policy");
        m->entry = json_is_true(json_object_get(m->contract, "entry"));
        const char *fx = json_string_value(json_object_get(m->contract, "side_effects"));
        m->external = fx && strcmp(fx, "external") == 0;
        read_execution(m, errs);
        if (m->desc->celery_task) admit(reg, m, errs);
        check_contract(m, errs);
        for (size_t j = 0; j < i; j++)
            if (m->key && reg->modules[j].key && strcmp(m->key, reg->modules[j].key) == 0)
                pf_errors_add(errs, PF_EINTERNAL, "/module_key", "module %s is defined twice", m->key);
    }
    if (errs->len > before) {
        pf_registry_free(reg);
        return NULL;
    }
    return reg;
}

void pf_registry_free(pf_registry *reg) {
    if (!reg) return;
    for (size_t i = 0; i < reg->n_modules; i++) {
        json_decref(reg->modules[i].contract);
        pf_schema_free(reg->modules[i].params);
        free(reg->modules[i].inputs.items);
        free(reg->modules[i].outputs.items);
    }
    free(reg->modules);
    pf_contract_free(&reg->contract);
    free(reg);
}

const pf_module *pf_registry_find(const pf_registry *reg, const char *key) {
    for (size_t i = 0; i < reg->n_modules; i++)
        if (reg->modules[i].key && strcmp(reg->modules[i].key, key) == 0) return &reg->modules[i];
    return NULL;
}

const pf_port *pf_module_port(const pf_ports *ports, const char *name) {
    for (size_t i = 0; i < ports->len; i++)
        if (ports->items[i].name && strcmp(ports->items[i].name, name) == 0) return &ports->items[i];
    return NULL;
}

const json_t *pf_module_param(const pf_module *m, const char *name) {
    return json_object_get(json_object_get(m->param_schema, "properties"), name);
}
