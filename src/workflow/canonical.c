/* Canonical workflow JSON: one byte sequence per graph, whatever the key or
 * array order it was authored in. */
#include "workflow/workflow.h"

#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

static const char *str_at(const json_t *obj, const char *key) {
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static int node_cmp(const void *a, const void *b) {
    return strcmp(str_at(*(json_t *const *)a, "id"), str_at(*(json_t *const *)b, "id"));
}

static int edge_cmp(const void *a, const void *b) {
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *keys[][2] = {{"to", "node"}, {"to", "port"}, {"from", "node"}, {"from", "port"}};
    for (size_t i = 0; i < 4; i++) {
        int r = strcmp(str_at(json_object_get(x, keys[i][0]), keys[i][1]),
                       str_at(json_object_get(y, keys[i][0]), keys[i][1]));
        if (r) return r;
    }
    return 0;
}

static json_t *sorted(const json_t *arr, int (*cmp)(const void *, const void *)) {
    size_t n = json_array_size(arr);
    json_t **items = pf_xmalloc((n + 1) * sizeof *items);
    for (size_t i = 0; i < n; i++) items[i] = json_array_get(arr, i);
    qsort(items, n, sizeof *items, cmp);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(out, json_deep_copy(items[i]));
    free(items);
    return out;
}

/* Explicit params, ui and policy, so the stored version says what will run. */
static void complete_node(const pf_registry *reg, json_t *node) {
    if (!json_object_get(node, "params")) json_object_set_new(node, "params", json_object());
    if (!json_object_get(node, "ui")) json_object_set_new(node, "ui", json_object());
    const pf_module *m = pf_registry_find(reg, str_at(node, "step"));
    json_t *policy = m ? json_deep_copy(m->policy) : json_object();
    json_object_update(policy, json_object_get(node, "policy"));
    json_object_set_new(node, "policy", policy);
}

json_t *pf_workflow_canonicalize(const pf_registry *reg, const json_t *doc) {
    json_t *out = json_deep_copy(doc);
    json_t *nodes = sorted(json_object_get(doc, "nodes"), node_cmp);
    size_t i;
    json_t *node;
    json_array_foreach(nodes, i, node) complete_node(reg, node);
    json_object_set_new(out, "nodes", nodes);
    json_object_set_new(out, "edges", sorted(json_object_get(doc, "edges"), edge_cmp));
    json_t *inv = json_object_get(out, "invocation");
    if (!inv) json_object_set_new(out, "invocation", inv = json_object());
    if (!json_object_get(inv, "params")) json_object_set_new(inv, "params", json_object());
    if (!json_object_get(inv, "artifacts")) json_object_set_new(inv, "artifacts", json_object());
    if (!json_object_get(out, "version")) json_object_set_new(out, "version", json_integer(0));
    return out;
}

char *pf_workflow_canonical_text(const json_t *doc) {
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    if (!text) abort();
    return text;
}
