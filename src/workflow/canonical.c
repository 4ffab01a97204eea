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

/* Sort keys are read once, not on every comparison. */
typedef struct {
    const char *k[4];
    json_t *item;
} keyed;

static int keyed_cmp(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    for (size_t i = 0; i < 4; i++) {
        int r = strcmp(x->k[i], y->k[i]);
        if (r) return r;
    }
    return 0;
}

static json_t *sorted(const json_t *arr, bool edges) {
    size_t n = json_array_size(arr);
    keyed *items = pf_xcalloc(n + 1, sizeof *items);
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(arr, i);
        items[i].item = it;
        if (edges) {
            const json_t *to = json_object_get(it, "to"), *from = json_object_get(it, "from");
            items[i].k[0] = str_at(to, "node"), items[i].k[1] = str_at(to, "port");
            items[i].k[2] = str_at(from, "node"), items[i].k[3] = str_at(from, "port");
        } else {
            items[i].k[0] = str_at(it, "id");
            items[i].k[1] = items[i].k[2] = items[i].k[3] = "";
        }
    }
    qsort(items, n, sizeof *items, keyed_cmp);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(out, items[i].item);
    free(items);
    return out;
}

/* Explicit params, ui and policy, so the stored version says what will run. */
static json_t *complete_node(const pf_registry *reg, const json_t *node) {
    json_t *out = json_copy((json_t *)node);
    if (!json_object_get(out, "params")) json_object_set_new(out, "params", json_object());
    if (!json_object_get(out, "ui")) json_object_set_new(out, "ui", json_object());
    const pf_module *m = pf_registry_find(reg, str_at(node, "step"));
    json_t *policy = m ? json_copy((json_t *)m->policy) : json_object();
    json_object_update(policy, json_object_get(node, "policy"));
    json_object_set_new(out, "policy", policy);
    return out;
}

json_t *pf_workflow_canonicalize(const pf_registry *reg, const json_t *doc) {
    json_t *out = json_copy((json_t *)doc);
    json_t *nodes = sorted(json_object_get(doc, "nodes"), false);
    for (size_t i = 0; i < json_array_size(nodes); i++)
        json_array_set_new(nodes, i, complete_node(reg, json_array_get(nodes, i)));
    json_object_set_new(out, "nodes", nodes);
    json_object_set_new(out, "edges", sorted(json_object_get(doc, "edges"), true));
    json_t *inv = json_copy(json_object_get(doc, "invocation"));
    if (!inv) inv = json_object();
    if (!json_object_get(inv, "params")) json_object_set_new(inv, "params", json_object());
    if (!json_object_get(inv, "artifacts")) json_object_set_new(inv, "artifacts", json_object());
    json_object_set_new(out, "invocation", inv);
    if (!json_object_get(out, "version")) json_object_set_new(out, "version", json_integer(0));
    return out;
}

char *pf_workflow_canonical_text(const json_t *doc) {
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    if (!text) abort();
    return text;
}
