/* A run's graph in memory, built from its stored record. */
#include "runtime/runtime_internal.h"

#include "core/mem.h"
#include "runtime/parity.h"

#include <stdlib.h>

/* ---------------------------------------------------------------- runs */

void rt_run_free(rt_run *run) {
    for (size_t i = 0; i < run->n; i++) {
        free(run->nodes[i].in);
        free(run->nodes[i].down);
        json_decref(run->nodes[i].state);
        rt_live_clear(&run->nodes[i]);
        rt_ahead_clear(&run->nodes[i]);
    }
    free(run->nodes);
    json_decref(run->record);
    free(run->stalled);
    free(run->id);
    free(run);
}

/* A node's position: a canonical workflow lists its nodes sorted by id. */
static size_t node_index(const rt_run *run, const char *id) {
    size_t lo = 0, hi = run->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(run->nodes[mid].id, id);
        if (c == 0) return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    abort(); /* a validated workflow's edges name its nodes */
}

/* Builds the in-memory graph from the record; node states from `nodes`
 * (id -> {status, state}) when resuming, else fresh. */
rt_run *rt_run_build(const pf_registry *reg, const char *id, json_t *record, const json_t *nodes) {
    rt_run *run = pf_xcalloc(1, sizeof *run);
    run->id = pf_strdup(id);
    run->record = record;
    run->workflow = json_object_get(record, "workflow");
    const json_t *list = json_object_get(run->workflow, "nodes");
    run->n = json_array_size(list);
    run->nodes = pf_xcalloc(run->n ? run->n : 1, sizeof *run->nodes);
    for (size_t i = 0; i < run->n; i++) {
        rt_node *n = &run->nodes[i];
        n->doc = json_array_get(list, i);
        n->id = str(n->doc, "id");
        const char *step = str(n->doc, "step");
        n->module = i > 0 && step && run->nodes[i - 1].module && strcmp(run->nodes[i - 1].module->key, step) == 0
                        ? run->nodes[i - 1].module /* neighbours mostly share a step */
                        : pf_registry_find(reg, step);
        const json_t *saved = json_object_get(nodes, n->id);
        n->status = N_PENDING;
        n->fresh = json_is_true(json_object_get(record, "parity")) && pf_parity_compared_node(run->workflow, n->id);
        for (int s = 0; saved && s <= N_CANCELLED; s++)
            if (strcmp(str(saved, "status"), node_status_name[s]) == 0) n->status = (node_status)s;
        if (n->status == N_RUNNING) n->status = N_PENDING; /* interrupted: it runs again */
        n->state = saved ? json_deep_copy(json_object_get(saved, "state")) : json_object();
        if (!json_is_object(n->state)) {
            json_decref(n->state);
            n->state = json_object();
        }
    }
    /* Two passes over the edges: count, then fill arrays of exact size. */
    const json_t *edges = json_object_get(run->workflow, "edges");
    size_t n_edges = json_array_size(edges);
    struct {
        size_t from, to;
        const char *from_port, *to_port;
    } *ends = pf_xcalloc(n_edges ? n_edges : 1, sizeof *ends);
    for (size_t k = 0; k < n_edges; k++) {
        const json_t *edge = json_array_get(edges, k);
        const json_t *from = json_object_get(edge, "from"), *to = json_object_get(edge, "to");
        ends[k].from = node_index(run, str(from, "node"));
        ends[k].to = node_index(run, str(to, "node"));
        ends[k].from_port = str(from, "port");
        ends[k].to_port = str(to, "port");
        run->nodes[ends[k].from].n_down++;
        run->nodes[ends[k].to].n_in++;
    }
    for (size_t i = 0; i < run->n; i++) {
        rt_node *n = &run->nodes[i];
        n->down = pf_xcalloc(n->n_down ? n->n_down : 1, sizeof *n->down);
        n->in = pf_xcalloc(n->n_in ? n->n_in : 1, sizeof *n->in);
        n->n_down = n->n_in = 0;
    }
    for (size_t k = 0; k < n_edges; k++) {
        rt_node *f = &run->nodes[ends[k].from], *t = &run->nodes[ends[k].to];
        f->down[f->n_down++] = ends[k].to;
        t->in[t->n_in++] = (rt_edge){ends[k].from, ends[k].from_port, ends[k].to_port};
    }
    free(ends);
    return run;
}
