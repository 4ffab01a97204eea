#include "modules/invoke.h"

#include "core/closest.h"
#include "core/jsonschema.h"
#include "core/mem.h"

#include <string.h>

json_t *pf_module_resolve_params(const pf_module *m, const json_t *params, const char *base_pointer, pf_errors *errs) {
    json_t *empty = params ? NULL : json_object();
    json_t *resolved = pf_schema_apply_defaults(m->param_schema, params ? params : empty);
    json_decref(empty);
    if (pf_schema_run(m->params, resolved, base_pointer, errs)) {
        json_decref(resolved);
        return NULL;
    }
    return resolved;
}

static pf_error *first_of(pf_errors *errs, const char *key) {
    const pf_error *e = &errs->items[0];
    pf_error *out = pf_error_new(e->code, e->pointer, "module %s: %s%s", key, e->message,
                                 errs->len > 1 ? " (and more problems)" : "");
    pf_errors_clear(errs);
    return out;
}

static pf_error *check_inputs(const pf_module *m, const json_t *inputs) {
    const char *name;
    const json_t *value;
    json_object_foreach((json_t *)inputs, name, value) {
        if (!pf_module_port(&m->inputs, name)) {
            char *ptr = pf_ptr_join("/inputs", name);
            pf_error *err = pf_error_new(PF_EINVAL, ptr, "module %s has no input port \"%s\"", m->key, name);
            free(ptr);
            return err;
        }
    }
    for (size_t i = 0; i < m->inputs.len; i++) {
        const pf_port *port = &m->inputs.items[i];
        if (port->required && !json_object_get(inputs, port->name)) {
            char *ptr = pf_ptr_join("/inputs", port->name);
            pf_error *err =
                pf_error_new(PF_EINVAL, ptr, "module %s needs its input \"%s\" (%s)", m->key, port->name, port->type);
            free(ptr);
            return err;
        }
    }
    return NULL;
}

pf_error *pf_module_check_outputs(const pf_module *m, const json_t *outputs) {
    for (size_t i = 0; i < m->outputs.len; i++) {
        const pf_port *port = &m->outputs.items[i];
        if (port->required && !json_object_get(outputs, port->name))
            return pf_error_new(PF_EINTERNAL, "", "module %s returned no \"%s\" output", m->key, port->name);
    }
    return NULL;
}

/* An unknown key with the nearest known one, when it looks like a typo. */
static pf_error *unknown_module(const pf_registry *reg, const char *key) {
    pf_closest near;
    pf_closest_init(&near, key);
    for (size_t i = 0; i < reg->n_modules; i++)
        pf_closest_offer(&near, reg->modules[i].key);
    if (pf_closest_best(&near))
        return pf_error_new(PF_ENOTFOUND, "", "unknown module \"%s\"; did you mean \"%s\"?", key,
                            pf_closest_best(&near));
    return pf_error_new(PF_ENOTFOUND, "", "unknown module \"%s\"", key);
}

pf_error *pf_module_precheck(const pf_registry *reg, const char *key, const json_t *inputs, const json_t *params,
                             json_t **resolved) {
    if (resolved) *resolved = NULL;
    const pf_module *m = pf_registry_find(reg, key);
    if (!m) return unknown_module(reg, key);
    if (!pf_module_available(m))
        return pf_error_new(PF_EUNAVAILABLE, "",
                            "module %s is not available in this build: its body lands with issue %s", key,
                            m->desc->pending_issue ? m->desc->pending_issue : "(unplanned)");
    json_t *empty = inputs ? NULL : json_object();
    pf_error *err = check_inputs(m, inputs ? inputs : empty);
    json_decref(empty);
    if (err) return err;
    pf_errors errs;
    pf_errors_init(&errs);
    json_t *made = pf_module_resolve_params(m, params, "/params", &errs);
    if (!made) return first_of(&errs, key);
    if (resolved)
        *resolved = made;
    else
        json_decref(made);
    return NULL;
}

pf_error *pf_module_invoke(const pf_registry *reg, const char *key, const pf_module_ctx *ctx, const json_t *inputs,
                           const json_t *params, json_t **outputs) {
    *outputs = NULL;
    json_t *resolved = NULL;
    pf_error *err = pf_module_precheck(reg, key, inputs, params, &resolved);
    if (err) return err;
    const pf_module *m = pf_registry_find(reg, key);
    json_t *empty = inputs ? NULL : json_object();
    err = m->desc->execute(ctx, inputs ? inputs : empty, resolved, outputs);
    json_decref(resolved);
    json_decref(empty);
    if (!err && !json_is_object(*outputs))
        err = pf_error_new(PF_EINTERNAL, "", "module %s returned no outputs object", key);
    if (!err) err = pf_module_check_outputs(m, *outputs);
    if (err) {
        json_decref(*outputs);
        *outputs = NULL;
    }
    return err;
}
