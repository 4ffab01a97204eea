#include "runtime/parity.h"
#include "core/json.h"

#include "core/mem.h"
#include "core/png.h"

#include <stdlib.h>
#include <string.h>

/* The other run of a shadow pair. */
static pf_error *partner(pf_store *store, const json_t *run, char **legacy_id, char **graph_id) {
    const json_t *subject = json_object_get(run, "subject");
    const char *mode = pf_json_str(subject, "mode");
    if (mode && strcmp(mode, "shadow") == 0 && pf_json_str(subject, "shadow_of")) {
        *legacy_id = pf_strdup(pf_json_str(subject, "shadow_of"));
        *graph_id = pf_strdup(pf_json_str(run, "id"));
        return NULL;
    }
    json_t *list = NULL;
    pf_error *err = pf_store_run_list(store, NULL, &list);
    size_t i;
    const json_t *other;
    json_array_foreach(list, i, other) {
        const char *of = pf_json_str(json_object_get(other, "subject"), "shadow_of");
        if (!of || strcmp(of, pf_json_str(run, "id")) != 0) continue;
        *legacy_id = pf_strdup(pf_json_str(run, "id"));
        *graph_id = pf_strdup(pf_json_str(other, "id"));
        break;
    }
    json_decref(list);
    if (!err && !*legacy_id)
        err = pf_error_new(PF_ENOTFOUND, "", "run %s is not part of a shadow rollout: no parity to report",
                           pf_json_str(run, "id"));
    return err;
}

static const json_t *node_output(const json_t *run, const char *from) {
    const char *dot = from ? strchr(from, '.') : NULL;
    if (!dot) return NULL;
    char *node = pf_strndup(from, (size_t)(dot - from));
    const json_t *v = json_object_get(
        json_object_get(json_object_get(json_object_get(json_object_get(run, "nodes"), node), "state"), "outputs"),
        dot + 1);
    free(node);
    return v;
}

static void differ(json_t *list, const char *what, const json_t *legacy, const json_t *graph) {
    json_array_append_new(list, json_pack("{s:s, s:O?, s:O?}", "what", what, "legacy", legacy, "graph", graph));
}

static json_t *compare_pixels(const char *a, const char *b, json_t *diffs, const char *role) {
    pf_image x, y;
    pf_error *ea = pf_png_read(a, &x), *eb = pf_png_read(b, &y);
    json_t *out = NULL;
    if (ea || eb) {
        out = json_pack("{s:s}", "error", (ea ? ea : eb)->message);
    } else if (x.width != y.width || x.height != y.height) {
        char *what = pf_asprintf("%s image size", role);
        json_t *a = json_pack("[i, i]", x.width, x.height), *b = json_pack("[i, i]", y.width, y.height);
        differ(diffs, what, a, b);
        json_decref(a);
        json_decref(b);
        free(what);
        out = json_pack("{s:b}", "identical", 0);
    } else {
        size_t n = (size_t)x.width * x.height, differing = 0;
        int max = 0;
        for (size_t i = 0; i < n; i++) {
            int d = 0;
            for (int c = 0; c < 4; c++) {
                int v = abs((int)x.rgba[i * 4 + c] - (int)y.rgba[i * 4 + c]);
                if (v > d) d = v;
            }
            if (d) differing++;
            if (d > max) max = d;
        }
        out = json_pack("{s:b, s:[i, i], s:I, s:i}", "identical", differing == 0, "size", x.width, x.height,
                        "differing_pixels", (json_int_t)differing, "max_channel_difference", max);
        if (differing) {
            char *what = pf_asprintf("%s pixels", role);
            json_array_append_new(diffs, json_pack("{s:s, s:I, s:i}", "what", what, "differing_pixels",
                                                   (json_int_t)differing, "max_channel_difference", max));
            free(what);
        }
    }
    pf_error_free(ea);
    pf_error_free(eb);
    pf_image_free(&x);
    pf_image_free(&y);
    return out;
}

static json_t *compare_artifacts(const json_t *legacy, const json_t *graph, json_t *diffs) {
    json_t *roles = json_object();
    const json_t *runs[2] = {legacy, graph};
    for (int r = 0; r < 2; r++) {
        const char *role;
        const json_t *spec;
        json_object_foreach(
            json_object_get(json_object_get(json_object_get(json_object_get(runs[r], "doc"), "workflow"), "invocation"),
                            "artifacts"),
            role, spec) json_object_set_new(roles, role, json_true());
    }
    json_t *out = json_array();
    const char *role;
    const json_t *unused;
    json_object_foreach(roles, role, unused) {
        const json_t *specs[2], *values[2];
        for (int r = 0; r < 2; r++) {
            specs[r] = json_object_get(
                json_object_get(
                    json_object_get(json_object_get(json_object_get(runs[r], "doc"), "workflow"), "invocation"),
                    "artifacts"),
                role);
            values[r] = node_output(runs[r], pf_json_str(specs[r], "from"));
        }
        json_t *entry = json_pack("{s:s}", "role", role);
        const char *fields[] = {"kind", "media_type"};
        for (int f = 0; f < 2; f++) {
            const json_t *a = f == 0 ? json_object_get(specs[0], "kind") : json_object_get(values[0], "media_type");
            const json_t *b = f == 0 ? json_object_get(specs[1], "kind") : json_object_get(values[1], "media_type");
            json_object_set_new(entry, fields[f], json_pack("{s:O?, s:O?}", "legacy", a, "graph", b));
            if (!json_equal(a, b) && !(a == NULL && b == NULL)) {
                char *what = pf_asprintf("%s %s", role, fields[f]);
                differ(diffs, what, a, b);
                free(what);
            }
        }
        if (!values[0] || !values[1]) {
            char *what = pf_asprintf("%s delivered", role);
            differ(diffs, what, json_boolean(values[0] != NULL), json_boolean(values[1] != NULL)); /* singletons */
            free(what);
        } else if (pf_json_str(values[0], "media_type") &&
                   strcmp(pf_json_str(values[0], "media_type"), "image/png") == 0) {
            json_object_set_new(
                entry, "pixels",
                compare_pixels(pf_json_str(values[0], "path"), pf_json_str(values[1], "path"), diffs, role));
        } else if (!json_equal(json_object_get(values[0], "sha256"), json_object_get(values[1], "sha256"))) {
            char *what = pf_asprintf("%s content", role);
            differ(diffs, what, json_object_get(values[0], "sha256"), json_object_get(values[1], "sha256"));
            free(what);
        }
        json_array_append_new(out, entry);
    }
    json_decref(roles);
    return out;
}

/* Nodes of each run by module key (the first node of a module). */
static json_t *by_module(const json_t *run) {
    json_t *map = json_object();
    size_t i;
    const json_t *node;
    json_array_foreach(json_object_get(json_object_get(json_object_get(run, "doc"), "workflow"), "nodes"), i, node) {
        if (!json_object_get(map, pf_json_str(node, "step")))
            json_object_set_new(map, pf_json_str(node, "step"), json_string(pf_json_str(node, "id")));
    }
    return map;
}

static json_t *compare_modules(const json_t *legacy, const json_t *graph, json_t *diffs) {
    json_t *lm = by_module(legacy), *gm = by_module(graph), *out = json_array();
    const char *module;
    const json_t *lnode;
    json_object_foreach(lm, module, lnode) {
        const json_t *gnode = json_object_get(gm, module);
        if (!gnode) {
            char *what = pf_asprintf("module %s", module);
            differ(diffs, what, json_true(), json_false());
            free(what);
            continue;
        }
        const json_t *lp = json_object_get(
            json_object_get(json_object_get(json_object_get(legacy, "nodes"), json_string_value(lnode)), "state"),
            "params");
        const json_t *gp = json_object_get(
            json_object_get(json_object_get(json_object_get(graph, "nodes"), json_string_value(gnode)), "state"),
            "params");
        json_t *changed = json_array();
        const char *param;
        const json_t *v;
        json_object_foreach((json_t *)lp, param, v) {
            if (json_equal(v, json_object_get(gp, param))) continue;
            json_array_append_new(changed, json_pack("{s:s, s:O, s:O?}", "param", param, "legacy", v, "graph",
                                                     json_object_get(gp, param)));
            char *what = pf_asprintf("%s.%s", module, param);
            differ(diffs, what, v, json_object_get(gp, param));
            free(what);
        }
        json_array_append_new(out, json_pack("{s:s, s:O, s:O, s:b, s:o}", "module", module, "legacy_node", lnode,
                                             "graph_node", gnode, "identical", json_array_size(changed) == 0,
                                             "differences", changed));
    }
    json_object_foreach(gm, module, lnode) {
        if (json_object_get(lm, module)) continue;
        char *what = pf_asprintf("module %s", module);
        differ(diffs, what, json_false(), json_true());
        free(what);
    }
    json_decref(lm);
    json_decref(gm);
    return out;
}

pf_error *pf_parity_report(pf_store *store, const char *run_id, json_t **report) {
    *report = NULL;
    json_t *run = NULL, *legacy = NULL, *graph = NULL;
    char *legacy_id = NULL, *graph_id = NULL;
    pf_error *err = pf_store_run_get(store, run_id, false, &run);
    if (!err) err = partner(store, run, &legacy_id, &graph_id);
    if (!err) err = pf_store_run_get(store, legacy_id, true, &legacy);
    if (!err) err = pf_store_run_get(store, graph_id, true, &graph);
    if (!err) {
        json_t *diffs = json_array();
        if (!json_equal(json_object_get(legacy, "status"), json_object_get(graph, "status")))
            differ(diffs, "run status", json_object_get(legacy, "status"), json_object_get(graph, "status"));
        json_t *artifacts = compare_artifacts(legacy, graph, diffs);
        json_t *modules = compare_modules(legacy, graph, diffs);
        bool done = strcmp(pf_json_str(legacy, "status"), "running") != 0 &&
                    strcmp(pf_json_str(graph, "status"), "running") != 0;
        *report = json_pack("{s:s, s:s, s:b, s:b, s:{s:O, s:O}, s:o, s:o, s:o}", "legacy_run", legacy_id, "graph_run",
                            graph_id, "complete", done, "identical", done && json_array_size(diffs) == 0, "status",
                            "legacy", json_object_get(legacy, "status"), "graph", json_object_get(graph, "status"),
                            "artifacts", artifacts, "modules", modules, "differences", diffs);
    }
    json_decref(run);
    json_decref(legacy);
    json_decref(graph);
    free(legacy_id);
    free(graph_id);
    return err;
}
