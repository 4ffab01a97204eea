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

/* Nodes sort by id alone. */
static int id_cmp(const void *a, const void *b) { return strcmp(((const keyed *)a)->k[0], ((const keyed *)b)->k[0]); }

static int keyed_cmp(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    for (size_t i = 0; i < 4; i++) {
        int r = strcmp(x->k[i], y->k[i]);
        if (r) return r;
    }
    return 0;
}

/* The items of arr in canonical order (borrowed pointers, n of them);
 * the caller frees the list. */
static json_t **sorted_items(const json_t *arr, bool edges, size_t *n_out);

static json_t *sorted(const json_t *arr, bool edges) {
    size_t n;
    json_t **items = sorted_items(arr, edges, &n);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(out, items[i]);
    free(items);
    return out;
}

static json_t **sorted_items(const json_t *arr, bool edges, size_t *n_out) {
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
    qsort(items, n, sizeof *items, edges ? keyed_cmp : id_cmp);
    json_t **out = pf_xmalloc((n + 1) * sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = items[i].item;
    free(items);
    *n_out = n;
    return out;
}

/* Explicit params, ui and policy, so the stored version says what will run.
 * An absent params or ui becomes the document's one empty object (empty),
 * as the module's policy is one object for its nodes: a copy per node
 * cost an allocation each, and nothing edits a canonical node in place. */
static json_t *complete_node(const pf_registry *reg, const json_t *node, json_t *empty, const char **last_step,
                             const pf_module **last_module, json_t **last_policy) {
    json_t *out = json_copy((json_t *)node);
    if (!json_object_get(out, "params")) json_object_set(out, "params", empty);
    if (!json_object_get(out, "ui")) json_object_set(out, "ui", empty);
    const char *step = str_at(node, "step");
    if (!*last_step || strcmp(*last_step, step) != 0) { /* neighbours mostly share a step */
        *last_step = step;
        *last_module = pf_registry_find(reg, step);
        *last_policy = NULL;
    }
    const pf_module *m = *last_module;
    const json_t *own = json_object_get(node, "policy");
    if (!own && m && *last_policy) { /* the module's policy as it is: one object for the run of such nodes */
        json_object_set(out, "policy", *last_policy);
        return out;
    }
    json_t *policy = m ? json_copy((json_t *)m->policy) : json_object();
    json_object_update(policy, (json_t *)own);
    json_object_set_new(out, "policy", policy);
    if (!own && m) *last_policy = policy;
    return out;
}

json_t *pf_workflow_canonicalize(const pf_registry *reg, const json_t *doc) {
    json_t *out = json_copy((json_t *)doc);
    size_t n;
    json_t **order = sorted_items(json_object_get(doc, "nodes"), false, &n);
    json_t *nodes = json_array();
    const char *last_step = NULL;
    const pf_module *last_module = NULL;
    json_t *last_policy = NULL; /* borrowed from an earlier node of this document */
    json_t *empty = json_object();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(nodes, complete_node(reg, order[i], empty, &last_step, &last_module, &last_policy));
    json_decref(empty);
    free(order);
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
