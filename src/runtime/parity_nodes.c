/* The node side of a parity report: which nodes executed and which were
 * reused from the cache, and every node pair's resolved params. */
#include "runtime/parity_parts.h"

#include "core/json.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

void pf_parity_differ(json_t *diffs, const char *what, const json_t *legacy, const json_t *graph) {
    json_array_append_new(diffs, json_pack("{s:s, s:O?, s:O?}", "what", what, "legacy", legacy, "graph", graph));
}

static const json_t *node_state(const json_t *run, const char *id) {
    return json_object_get(json_object_get(json_object_get(run, "nodes"), id), "state");
}

const json_t *pf_parity_node(const json_t *run, const char *from) {
    const char *dot = from ? strchr(from, '.') : NULL;
    if (!dot) return NULL;
    char *id = pf_strndup(from, (size_t)(dot - from));
    const json_t *node = json_object_get(json_object_get(run, "nodes"), id);
    free(id);
    return node;
}

static const json_t *workflow_nodes(const json_t *run) {
    return json_object_get(json_object_get(json_object_get(run, "doc"), "workflow"), "nodes");
}

static const char *step_of(const json_t *run, const char *id) {
    size_t i;
    const json_t *node;
    json_array_foreach(workflow_nodes(run), i,
                       node) if (strcmp(pf_json_str(node, "id"), id) == 0) return pf_json_str(node, "step");
    return "";
}

json_t *pf_parity_execution(const json_t *legacy, const json_t *graph, json_t *diffs) {
    const json_t *runs[2] = {legacy, graph};
    const char *sides[2] = {"legacy", "graph"};
    json_t *compared = json_array(), *reused = json_array();
    bool both = true;
    for (int r = 0; r < 2; r++) {
        const json_t *workflow = json_object_get(json_object_get(runs[r], "doc"), "workflow");
        const char *id;
        const json_t *node;
        json_object_foreach(json_object_get(runs[r], "nodes"), id, node) {
            const json_t *cache = json_object_get(json_object_get(node, "state"), "cache");
            bool hit = json_is_true(json_object_get(cache, "hit"));
            if (hit)
                json_array_append_new(reused, json_pack("{s:s, s:s, s:s, s:b}", "run", sides[r], "node", id, "step",
                                                        step_of(runs[r], id), "compared",
                                                        pf_parity_compared_node(workflow, id)));
            if (!pf_parity_compared_node(workflow, id)) continue;
            /* executed: the module ran here, in this run (an attempt), not a hit */
            bool executed = !hit && json_array_size(json_object_get(json_object_get(node, "state"), "attempts")) > 0 &&
                            strcmp(pf_json_str(node, "status") ? pf_json_str(node, "status") : "", "succeeded") == 0;
            both = both && executed;
            json_array_append_new(compared, json_pack("{s:s, s:s, s:s, s:b, s:O?}", "run", sides[r], "node", id, "step",
                                                      step_of(runs[r], id), "executed", executed, "cache", cache));
            if (!executed) {
                char *what = pf_asprintf("%s node %s did not execute (%s): the comparison proves nothing", sides[r], id,
                                         hit ? "a cache hit" : "it did not succeed");
                pf_parity_differ(diffs, what, NULL, NULL);
                free(what);
            }
        }
    }
    return json_pack("{s:b, s:o, s:o}", "both_executed", both && json_array_size(compared) > 0, "compared", compared,
                     "reused_from_cache", reused);
}

/* Where a resolved value came from, in words: the "why" of a difference. */
static char *source_text(const json_t *source) {
    const char *s = pf_json_str(source, "source"), *via = pf_json_str(source, "via");
    if (!s) return pf_strdup("not set");
    const char *what = strcmp(s, "default") == 0      ? "the module default"
                       : strcmp(s, "node") == 0       ? "the workflow node's params"
                       : strcmp(s, "invocation") == 0 ? "the output type's override"
                       : strcmp(s, "order_line") == 0 ? "the order line's override"
                       : strcmp(s, "constraint") == 0 ? "a constraint"
                                                      : s;
    return via ? pf_asprintf("%s (%s)", what, via) : pf_strdup(what);
}

static json_t *compare_pair(const json_t *legacy, const json_t *graph, const char *module, const char *lid,
                            const char *gid, json_t *diffs) {
    const json_t *ls = node_state(legacy, lid), *gs = node_state(graph, gid);
    const json_t *lp = json_object_get(ls, "params"), *gp = json_object_get(gs, "params");
    json_t *keys = json_object(), *changed = json_array();
    const char *param;
    const json_t *v;
    json_object_foreach((json_t *)lp, param, v) json_object_set_new(keys, param, json_true());
    json_object_foreach((json_t *)gp, param, v) json_object_set_new(keys, param, json_true());
    json_object_foreach(keys, param, v) {
        const json_t *a = json_object_get(lp, param), *b = json_object_get(gp, param);
        if (json_equal(a, b)) continue;
        const json_t *sa = json_object_get(json_object_get(ls, "param_sources"), param);
        const json_t *sb = json_object_get(json_object_get(gs, "param_sources"), param);
        char *ta = source_text(sa), *tb = source_text(sb);
        char *why = pf_asprintf("legacy takes it from %s, graph from %s", ta, tb);
        json_array_append_new(changed, json_pack("{s:s, s:O?, s:O?, s:O?, s:O?, s:s}", "param", param, "legacy", a,
                                                 "graph", b, "legacy_source", sa, "graph_source", sb, "why", why));
        char *what = strcmp(lid, gid) == 0 ? pf_asprintf("%s.%s", module, param)
                                           : pf_asprintf("%s (%s / %s).%s", module, lid, gid, param);
        pf_parity_differ(diffs, what, a, b);
        json_object_set_new(json_array_get(diffs, json_array_size(diffs) - 1), "why", json_string(why));
        free(what);
        free(why);
        free(ta);
        free(tb);
    }
    json_decref(keys);
    return json_pack("{s:s, s:s, s:s, s:b, s:o}", "module", module, "legacy_node", lid, "graph_node", gid, "identical",
                     json_array_size(changed) == 0, "differences", changed);
}

/* Module key -> [node ids] in workflow order (canonical: sorted by id). */
static json_t *by_module(const json_t *run) {
    json_t *map = json_object();
    size_t i;
    const json_t *node;
    json_array_foreach(workflow_nodes(run), i, node) {
        const char *step = pf_json_str(node, "step");
        json_t *list = json_object_get(map, step);
        if (!list) json_object_set_new(map, step, list = json_array());
        json_array_append_new(list, json_string(pf_json_str(node, "id")));
    }
    return map;
}

/* A node of one side with no node of the other to pair with. */
static void unpaired(json_t *diffs, const char *module, const json_t *node, bool legacy_side) {
    char *what = pf_asprintf("%s node %s has no %s counterpart", module, json_string_value(node),
                             legacy_side ? "graph" : "legacy");
    pf_parity_differ(diffs, what, legacy_side ? node : NULL, legacy_side ? NULL : node);
    free(what);
}

/* Within a module, nodes of the same id pair first; the rest pair in
 * order. */
json_t *pf_parity_compare_nodes(const json_t *legacy, const json_t *graph, json_t *diffs) {
    json_t *lm = by_module(legacy), *gm = by_module(graph), *out = json_array();
    const char *module;
    json_t *lnodes;
    json_object_foreach(lm, module, lnodes) {
        json_t *gnodes = json_deep_copy(json_object_get(gm, module) ? json_object_get(gm, module) : json_array());
        json_t *rest = json_array();
        size_t i;
        json_t *l;
        json_array_foreach(lnodes, i, l) {
            bool paired = false;
            for (size_t k = 0; k < json_array_size(gnodes) && !paired; k++)
                if (json_equal(json_array_get(gnodes, k), l)) {
                    json_array_append_new(
                        out, compare_pair(legacy, graph, module, json_string_value(l), json_string_value(l), diffs));
                    json_array_remove(gnodes, k);
                    paired = true;
                }
            if (!paired) json_array_append(rest, l);
        }
        json_array_foreach(rest, i, l) {
            if (json_array_size(gnodes)) {
                json_array_append_new(out, compare_pair(legacy, graph, module, json_string_value(l),
                                                        json_string_value(json_array_get(gnodes, 0)), diffs));
                json_array_remove(gnodes, 0);
            } else {
                unpaired(diffs, module, l, true);
            }
        }
        json_array_foreach(gnodes, i, l) unpaired(diffs, module, l, false);
        json_decref(rest);
        json_decref(gnodes);
    }
    json_object_foreach(gm, module, lnodes) {
        if (json_object_get(lm, module)) continue;
        size_t i;
        json_t *g;
        json_array_foreach(lnodes, i, g) unpaired(diffs, module, g, false);
    }
    json_decref(lm);
    json_decref(gm);
    return out;
}
