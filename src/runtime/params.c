#include "runtime/params.h"

#include "core/closest.h"
#include "core/jsonschema.h"
#include "core/mem.h"
#include "modules/invoke.h"

#include <string.h>

static const json_t *invocation_param(const json_t *workflow, const char *name) {
    return json_object_get(json_object_get(json_object_get(workflow, "invocation"), "params"), name);
}

/* An override no invocation parameter takes, with the nearest one's name
 * when it looks like a typo ("--set widht=64"). */
static void unknown_override(const json_t *workflow, const char *name, const char *ptr, pf_errors *errs) {
    pf_closest near;
    pf_closest_init(&near, name);
    const char *known;
    const json_t *spec;
    json_object_foreach(json_object_get(json_object_get(workflow, "invocation"), "params"), known, spec) {
        (void)spec;
        pf_closest_offer(&near, known);
    }
    const char *id = json_string_value(json_object_get(workflow, "id"));
    if (pf_closest_best(&near))
        pf_errors_add(errs, PF_EINVAL, ptr, "workflow %s exposes no invocation parameter \"%s\"; did you mean \"%s\"?",
                      id, name, pf_closest_best(&near));
    else
        pf_errors_add(errs, PF_EINVAL, ptr, "workflow %s exposes no invocation parameter \"%s\"", id, name);
}

void pf_params_check_overrides(const json_t *workflow, const json_t *overrides, const char *base, pf_errors *errs,
                               long *pattern_budget) {
    const char *name;
    const json_t *value;
    json_object_foreach((json_t *)overrides, name, value) {
        char *ptr = pf_ptr_join(base, name);
        const json_t *param = invocation_param(workflow, name);
        if (!param)
            unknown_override(workflow, name, ptr, errs);
        else
            pf_schema_validate_paid(json_object_get(param, "schema"), value, ptr, errs, pattern_budget);
        free(ptr);
    }
}

static json_t *source_of(const json_t *value, const char *source, const char *via) {
    json_t *entry = json_object();
    json_object_set(entry, "value", (json_t *)value);
    json_object_set_new(entry, "source", json_string(source));
    if (via) json_object_set_new(entry, "via", json_string(via));
    return entry;
}

/* Sets every override whose invocation targets include "<node>.<param>". */
static void route(const json_t *workflow, const char *node_id, const json_t *overrides, const char *source,
                  json_t *params, json_t *sources) {
    size_t node_len = strlen(node_id);
    const char *name;
    const json_t *value;
    json_object_foreach((json_t *)overrides, name, value) {
        size_t i;
        const json_t *target;
        json_array_foreach(json_object_get(invocation_param(workflow, name), "targets"), i, target) {
            const char *t = json_string_value(target);
            if (!t || strncmp(t, node_id, node_len) != 0 || t[node_len] != '.') continue;
            json_object_set(params, t + node_len + 1, (json_t *)value);
            json_object_set_new(sources, t + node_len + 1, source_of(value, source, name));
        }
    }
}

pf_error *pf_params_resolve(const pf_module *m, const json_t *workflow, const json_t *node, const json_t *overrides,
                            const json_t *line_overrides, const json_t *constraints, json_t **resolved,
                            json_t **sources_out) {
    const char *node_id = json_string_value(json_object_get(node, "id"));
    pf_errors errs;
    pf_errors_init(&errs);
    json_t *params = json_object(), *sources = json_object();
    const char *name;
    json_t *value;
    json_object_foreach(json_object_get(node, "params"), name, value) {
        json_object_set(params, name, value);
        json_object_set_new(sources, name, source_of(value, "node", NULL));
    }
    route(workflow, node_id, overrides, "invocation", params, sources);
    route(workflow, node_id, line_overrides, "order_line", params, sources);
    const char *via = json_string_value(json_object_get(constraints, "source"));
    json_object_foreach(json_object_get(json_object_get(constraints, "modules"), m->key), name, value) {
        json_object_set(params, name, value);
        json_object_set_new(sources, name, source_of(value, "constraint", via ? via : "constraints"));
    }
    /* Fills in the defaults; the pointer for problems is made only when
     * there are some. */
    json_t *checked = pf_module_resolve_params(m, params, NULL, NULL);
    if (!checked) {
        char *base = pf_ptr_join("/nodes", node_id);
        char *ptr = pf_ptr_join(base, "params");
        checked = pf_module_resolve_params(m, params, ptr, &errs);
        free(ptr);
        free(base);
    }
    json_decref(params);
    json_object_foreach(checked, name, value) if (!json_object_get(sources, name))
        json_object_set_new(sources, name, source_of(value, "default", NULL));
    if (!checked) {
        pf_error *err =
            pf_error_new(errs.items[0].code, errs.items[0].pointer, "node %s: %s", node_id, errs.items[0].message);
        pf_errors_clear(&errs);
        json_decref(sources);
        return err;
    }
    pf_errors_clear(&errs);
    *resolved = checked;
    *sources_out = sources;
    return NULL;
}
