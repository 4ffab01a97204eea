/* Malformed workflows: each case mutates a valid intake workflow and names
 * the exact JSON pointer (and a phrase of the sentence) it must be reported at. */
#include "check.h"

#include "core/mem.h"
#include "core/regex.h"
#include "runtime/params.h"
#include "workflow/workflow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *ops;     /* JSON array of ["set", PTR, VALUE] | ["remove", PTR] | ["append", PTR, VALUE] */
    const char *pointer; /* a problem must sit exactly here */
    const char *phrase;  /* ... and its message must contain this */
} bad_case;

static const bad_case cases[] = {
    {"wrong schema tag", "[[\"set\",\"/schema\",\"prodflow.workflow/v0\"]]", "/schema", "prodflow.workflow/v1"},
    {"missing schema tag", "[[\"remove\",\"/schema\"]]", "", "schema"},
    {"bad id", "[[\"set\",\"/id\",\"Bad Id\"]]", "/id", ""},
    {"reserved id", "[[\"set\",\"/id\",\"validate\"]]", "/id", "reserved"},
    {"empty name", "[[\"set\",\"/name\",\"\"]]", "/name", ""},
    {"name not a string", "[[\"set\",\"/name\",42]]", "/name", ""},
    {"unknown family", "[[\"set\",\"/family\",\"cad\"]]", "/family", "unknown family"},
    {"family of other nodes", "[[\"set\",\"/family\",\"order_line\"]]", "/nodes/0/step", "belongs to family"},
    {"negative version", "[[\"set\",\"/version\",-1]]", "/version", ""},
    {"nodes not an array", "[[\"set\",\"/nodes\",{}]]", "/nodes", ""},
    {"no nodes", "[[\"set\",\"/nodes\",[]],[\"set\",\"/edges\",[]],[\"set\",\"/invocation\",{}]]", "/nodes",
     "no nodes"},
    {"node without step", "[[\"remove\",\"/nodes/1/step\"]]", "/nodes/1", "step"},
    {"unknown step", "[[\"set\",\"/nodes/1/step\",\"cad.nope\"]]", "/nodes/1/step", "unknown step \"cad.nope\""},
    {"duplicate node id", "[[\"set\",\"/nodes/2/id\",\"extract\"]]", "/nodes/2/id", "duplicate node id"},
    {"node id with a dot", "[[\"set\",\"/nodes/4/id\",\"mat.erials\"]]", "/nodes/4/id", "letters, digits"},
    {"unknown node field", "[[\"set\",\"/nodes/1/colour\",\"red\"]]", "/nodes/1/colour", ""},
    {"negative retries", "[[\"set\",\"/nodes/1/policy\",{\"retries\":-1}]]", "/nodes/1/policy/retries", ""},
    {"unknown on_failure", "[[\"set\",\"/nodes/1/policy\",{\"on_failure\":\"explode\"}]]", "/nodes/1/policy/on_failure",
     ""},
    {"zero timeout", "[[\"set\",\"/nodes/1/policy\",{\"timeout_s\":0}]]", "/nodes/1/policy/timeout_s", ""},
    {"unknown param", "[[\"set\",\"/nodes/2/params/bogus\",1]]", "/nodes/2/params/bogus", ""},
    {"param of wrong type", "[[\"set\",\"/nodes/2/params/linear_deflection\",\"fine\"]]",
     "/nodes/2/params/linear_deflection", ""},
    {"param out of range", "[[\"set\",\"/nodes/2/params/angular_deflection\",5]]", "/nodes/2/params/angular_deflection",
     ""},
    {"param outside its enum", "[[\"set\",\"/nodes/1/params/mode\",\"slow\"]]", "/nodes/1/params/mode", ""},
    {"params not an object", "[[\"set\",\"/nodes/1/params\",[]]]", "/nodes/1/params", ""},
    {"no entry node", "[[\"set\",\"/nodes/0/step\",\"cad.compute_bbox\"]]", "/nodes", "no entry node"},
    {"second entry node", "[[\"append\",\"/nodes\",{\"id\":\"resolve2\",\"step\":\"cad.resolve_step_path\"}]]",
     "/nodes/6/step", "second entry node"},
    {"entry of the other family", "[[\"append\",\"/nodes\",{\"id\":\"line\",\"step\":\"order.resolve_line\"}]]",
     "/nodes/6/step", "belongs to family order_line"},
    {"node of the other family", "[[\"append\",\"/nodes\",{\"id\":\"still\",\"step\":\"render.blender_still\"}]]",
     "/nodes/6/step", "node \"still\""},
    {"edge from unknown node", "[[\"set\",\"/edges/0/from/node\",\"ghost\"]]", "/edges/0/from/node",
     "no node \"ghost\""},
    {"edge to unknown node", "[[\"set\",\"/edges/0/to/node\",\"ghost\"]]", "/edges/0/to/node", "no node \"ghost\""},
    {"unknown output port", "[[\"set\",\"/edges/0/from/port\",\"stp\"]]", "/edges/0/from/port",
     "no output port \"stp\""},
    {"unknown input port", "[[\"set\",\"/edges/0/to/port\",\"stp\"]]", "/edges/0/to/port", "no input port \"stp\""},
    {"port type mismatch", "[[\"set\",\"/edges/4/from\",{\"node\":\"bbox\",\"port\":\"bbox\"}]]", "/edges/4",
     "port types differ"},
    {"input fed twice",
     "[[\"append\",\"/"
     "edges\",{\"from\":{\"node\":\"resolve\",\"port\":\"step\"},\"to\":{\"node\":\"extract\",\"port\":\"step\"}}]]",
     "/edges/7/to", "already fed"},
    {"required input unconnected", "[[\"remove\",\"/edges/3\"]]", "/nodes/4", "required input \"objects\""},
    {"cycle",
     "[[\"append\",\"/nodes\",{\"id\":\"m1\",\"step\":\"materials.resolve_map\"}],"
     "[\"append\",\"/nodes\",{\"id\":\"m2\",\"step\":\"materials.resolve_map\"}],"
     "[\"append\",\"/"
     "edges\",{\"from\":{\"node\":\"extract\",\"port\":\"objects\"},\"to\":{\"node\":\"m1\",\"port\":\"objects\"}}],"
     "[\"append\",\"/"
     "edges\",{\"from\":{\"node\":\"extract\",\"port\":\"objects\"},\"to\":{\"node\":\"m2\",\"port\":\"objects\"}}],"
     "[\"append\",\"/"
     "edges\",{\"from\":{\"node\":\"m1\",\"port\":\"material_map\"},\"to\":{\"node\":\"m2\",\"port\":\"auto_map\"}}],"
     "[\"append\",\"/"
     "edges\",{\"from\":{\"node\":\"m2\",\"port\":\"material_map\"},\"to\":{\"node\":\"m1\",\"port\":\"auto_map\"}}]]",
     "/nodes/6", "m1 -> m2 -> m1"},
    {"self loop",
     "[[\"append\",\"/nodes\",{\"id\":\"m1\",\"step\":\"materials.resolve_map\"}],"
     "[\"append\",\"/"
     "edges\",{\"from\":{\"node\":\"extract\",\"port\":\"objects\"},\"to\":{\"node\":\"m1\",\"port\":\"objects\"}}],"
     "[\"append\",\"/"
     "edges\",{\"from\":{\"node\":\"m1\",\"port\":\"material_map\"},\"to\":{\"node\":\"m1\",\"port\":\"auto_map\"}}]]",
     "/nodes/6", "m1 -> m1"},
    {"edge without target", "[[\"remove\",\"/edges/0/to\"]]", "/edges/0", "to"},
    {"unknown edge field", "[[\"set\",\"/edges/0/label\",\"x\"]]", "/edges/0/label", ""},
    {"edges not an array", "[[\"set\",\"/edges\",\"none\"]]", "/edges", ""},
    {"unknown top-level field", "[[\"set\",\"/extra\",true]]", "/extra", ""},
    {"invocation target names no node",
     "[[\"set\",\"/invocation/params/deflection/targets/0\",\"nope.linear_deflection\"]]",
     "/invocation/params/deflection/targets/0", "names no node"},
    {"invocation target names no param", "[[\"set\",\"/invocation/params/deflection/targets/0\",\"glb.nope\"]]",
     "/invocation/params/deflection/targets/0", "has no param \"nope\""},
    {"invocation target without a dot", "[[\"set\",\"/invocation/params/deflection/targets/0\",\"nodot\"]]",
     "/invocation/params/deflection/targets/0", ""},
    {"invocation type disagrees", "[[\"set\",\"/invocation/params/deflection/schema\",{\"type\":\"string\"}]]",
     "/invocation/params/deflection/targets/1", "is string"},
    {"invocation target bound twice",
     "[[\"set\",\"/invocation/params/d2\",{\"schema\":{\"type\":\"number\"},\"targets\":[\"glb.linear_deflection\"]}]]",
     "/invocation/params/d2/targets/0", "already bound"},
    {"invocation default unsuitable",
     "[[\"set\",\"/invocation/params/deflection/schema\",{\"type\":\"number\",\"default\":500}]]",
     "/invocation/params/deflection/schema/default", "does not suit"},
    {"invocation without targets", "[[\"remove\",\"/invocation/params/deflection/targets\"]]",
     "/invocation/params/deflection", "targets"},
    {"invocation empty targets", "[[\"set\",\"/invocation/params/deflection/targets\",[]]]",
     "/invocation/params/deflection/targets", ""},
    {"unknown artifact kind", "[[\"set\",\"/invocation/artifacts/cad.glb/kind\",\"hologram\"]]",
     "/invocation/artifacts/cad.glb/kind", "unknown artifact kind"},
    {"kind the family cannot deliver", "[[\"set\",\"/invocation/artifacts/render.thumbnail/kind\",\"still_image\"]]",
     "/invocation/artifacts/render.thumbnail/kind", "cannot deliver"},
    {"artifact from unknown port", "[[\"set\",\"/invocation/artifacts/cad.glb/from\",\"glb.mesh\"]]",
     "/invocation/artifacts/cad.glb/from", "no output port \"mesh\""},
    {"artifact from unknown node", "[[\"set\",\"/invocation/artifacts/cad.glb/from\",\"mesh.glb\"]]",
     "/invocation/artifacts/cad.glb/from", "names no node"},
    {"artifact kind and port disagree", "[[\"set\",\"/invocation/artifacts/cad.glb/from\",\"bbox.bbox\"]]",
     "/invocation/artifacts/cad.glb/from", "needs glb"},
    {"unknown artifact role",
     "[[\"set\",\"/invocation/artifacts/cad.hologram\",{\"kind\":\"glb_model\",\"from\":\"glb.glb\"}]]",
     "/invocation/artifacts/cad.hologram", "unknown artifact role"},
    {"artifact without kind", "[[\"remove\",\"/invocation/artifacts/cad.glb/kind\"]]", "/invocation/artifacts/cad.glb",
     "kind"},
};

/* Resolves the parent of ptr and its last token; NULL when the parent is missing. */
static json_t *parent_of(json_t *doc, const char *ptr, char **last) {
    char *copy = pf_strdup(ptr + 1);
    json_t *cur = doc;
    char *tok = copy, *slash;
    while ((slash = strchr(tok, '/'))) {
        *slash = '\0';
        cur = json_is_array(cur) ? json_array_get(cur, strtoul(tok, NULL, 10)) : json_object_get(cur, tok);
        tok = slash + 1;
    }
    *last = pf_strdup(tok);
    free(copy);
    return cur;
}

static json_t *apply(const json_t *base, const char *ops_text) {
    json_t *doc = json_deep_copy(base);
    json_t *ops = json_loads(ops_text, 0, NULL);
    if (!ops) {
        fprintf(stderr, "bad case ops: %s\n", ops_text);
        abort();
    }
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        const char *kind = json_string_value(json_array_get(op, 0));
        char *last = NULL;
        json_t *parent = parent_of(doc, json_string_value(json_array_get(op, 1)), &last);
        json_t *value = json_array_get(op, 2);
        if (!strcmp(kind, "append"))
            json_array_append(json_object_get(parent, last), value);
        else if (!strcmp(kind, "remove") && json_is_array(parent))
            json_array_remove(parent, strtoul(last, NULL, 10));
        else if (!strcmp(kind, "remove"))
            json_object_del(parent, last);
        else if (json_is_array(parent))
            json_array_set(parent, strtoul(last, NULL, 10), value);
        else
            json_object_set(parent, last, value);
        free(last);
    }
    json_decref(ops);
    return doc;
}

static json_t *load_fixture(const char *name) {
    char *path = pf_asprintf("%s/tests/fixtures/%s", PF_SOURCE_DIR, name);
    json_t *doc = json_load_file(path, 0, NULL);
    free(path);
    return doc;
}

static void dump_problems(const pf_errors *errs) {
    for (size_t i = 0; i < errs->len; i++)
        fprintf(stderr, "    got %s: %s\n", errs->items[i].pointer, errs->items[i].message);
}

static void test_cases(const pf_registry *reg, const json_t *base) {
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        json_t *doc = apply(base, cases[c].ops);
        pf_errors errs;
        pf_errors_init(&errs);
        pf_workflow_validate(reg, doc, &errs);
        bool found = false;
        for (size_t i = 0; i < errs.len; i++)
            if (!strcmp(errs.items[i].pointer, cases[c].pointer) && strstr(errs.items[i].message, cases[c].phrase))
                found = true;
        CHECK_MSG(found, "case \"%s\": expected a problem at \"%s\" mentioning \"%s\"", cases[c].name, cases[c].pointer,
                  cases[c].phrase);
        if (!found) dump_problems(&errs);
        pf_errors_clear(&errs);
        json_decref(doc);
    }
    printf("%zu malformed-workflow cases\n", sizeof cases / sizeof *cases);
}

static void test_valid(const pf_registry *reg, const json_t *base) {
    pf_errors errs;
    pf_errors_init(&errs);
    CHECK_INT(pf_workflow_validate(reg, base, &errs), 0);
    dump_problems(&errs);
    pf_errors_clear(&errs);
}

/* Several problems in one document are all reported. */
static void test_all_at_once(const pf_registry *reg, const json_t *base) {
    json_t *doc = apply(base, "[[\"set\",\"/nodes/1/step\",\"cad.nope\"],[\"set\",\"/edges/5/to/port\",\"x\"],"
                              "[\"set\",\"/invocation/artifacts/cad.glb/kind\",\"hologram\"]]");
    pf_errors errs;
    pf_errors_init(&errs);
    CHECK(pf_workflow_validate(reg, doc, &errs) >= 3);
    pf_errors_clear(&errs);
    json_decref(doc);
}

static long index_of(const pf_errors *errs, const char *pointer) {
    for (size_t i = 0; i < errs->len; i++)
        if (!strcmp(errs->items[i].pointer, pointer)) return (long)i;
    return -1;
}

/* Problems come in one order however the checks meet them (the graph's
 * checks run on each node and edge as the structural pass reads it):
 * structural ones first, in document order, then the reserved id, the
 * nodes, the entry, the edges. With the document's members in another
 * order (edges before nodes, as a stored canonical workflow has them),
 * the graph's problems are the same, in the same order. */
static void test_problem_order(const pf_registry *reg, const json_t *base) {
    json_t *doc = apply(base, "[[\"set\",\"/id\",\"validate\"],[\"set\",\"/nodes/1/colour\",\"red\"],"
                              "[\"set\",\"/nodes/2/step\",\"cad.nope\"],[\"set\",\"/edges/0/to/node\",\"ghost\"],"
                              "[\"set\",\"/edges/1/from/extra\",1],[\"append\",\"/nodes\",{\"id\":\"resolve2\","
                              "\"step\":\"cad.resolve_step_path\"}]]");
    const char *order[] = {"/nodes/1/colour", "/edges/1/from/extra", "/id",
                           "/nodes/2/step",   "/nodes/6/step",       "/edges/0/to/node"};
    pf_errors errs;
    pf_errors_init(&errs);
    pf_workflow_validate(reg, doc, &errs);
    long last = -1;
    for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
        long at = index_of(&errs, order[k]);
        CHECK_MSG(at > last, "%s is problem %ld, expected after problem %ld", order[k], at, last);
        last = at;
    }
    if (last < 0) dump_problems(&errs);
    /* The members in reverse order: edges (and their structural problem)
     * come first; the graph's problems do not move. */
    json_t *reversed = json_object();
    const char *keys[16];
    size_t n = 0;
    const char *key;
    json_t *value;
    json_object_foreach(doc, key, value) if (n < 16) keys[n++] = key;
    while (n-- > 0)
        json_object_set(reversed, keys[n], json_object_get(doc, keys[n]));
    pf_errors again;
    pf_errors_init(&again);
    pf_workflow_validate(reg, reversed, &again);
    CHECK_INT(again.len, errs.len);
    size_t graph_from = (size_t)index_of(&errs, "/id"), graph_again = (size_t)index_of(&again, "/id");
    CHECK_INT(graph_from, graph_again);
    for (size_t i = graph_from; i < errs.len && i < again.len; i++) {
        CHECK_STR(again.items[i].pointer, errs.items[i].pointer);
        CHECK_STR(again.items[i].message, errs.items[i].message);
    }
    CHECK(index_of(&again, "/edges/1/from/extra") < index_of(&again, "/nodes/1/colour"));
    pf_errors_clear(&again);
    pf_errors_clear(&errs);
    json_decref(reversed);
    json_decref(doc);
}

static void test_canonical(const pf_registry *reg, const json_t *base) {
    /* The same graph with keys and arrays in another order. */
    json_t *shuffled = json_deep_copy(base);
    json_t *nodes = json_object_get(shuffled, "nodes"), *edges = json_object_get(shuffled, "edges");
    json_t *rev_nodes = json_array(), *rev_edges = json_array();
    for (size_t i = json_array_size(nodes); i-- > 0;)
        json_array_append(rev_nodes, json_array_get(nodes, i));
    for (size_t i = json_array_size(edges); i-- > 0;)
        json_array_append(rev_edges, json_array_get(edges, i));
    json_object_set_new(shuffled, "nodes", rev_nodes);
    json_object_set_new(shuffled, "edges", rev_edges);
    char *text = json_dumps(shuffled, JSON_PRESERVE_ORDER);
    json_t *reparsed = json_loads(text, 0, NULL);
    free(text);
    json_t *a = pf_workflow_canonicalize(reg, base), *b = pf_workflow_canonicalize(reg, reparsed);
    char *ta = pf_workflow_canonical_text(a), *tb = pf_workflow_canonical_text(b);
    CHECK_STR(ta, tb);
    /* Policies come out explicit, from the module's defaults. */
    json_t *thumb = json_array_get(json_object_get(a, "nodes"), 5);
    CHECK_STR(json_string_value(json_object_get(thumb, "id")), "thumb");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(thumb, "policy"), "retries")), 2);
    CHECK(json_object_get(json_object_get(thumb, "policy"), "timeout_s") != NULL);
    /* Canonical output is itself valid and a fixed point. */
    pf_errors errs;
    pf_errors_init(&errs);
    CHECK_INT(pf_workflow_validate(reg, a, &errs), 0);
    pf_errors_clear(&errs);
    json_t *again = pf_workflow_canonicalize(reg, a);
    char *tc = pf_workflow_canonical_text(again);
    CHECK_STR(ta, tc);
    free(ta);
    free(tb);
    free(tc);
    json_decref(a);
    json_decref(b);
    json_decref(again);
    json_decref(reparsed);
    json_decref(shuffled);
}

/* One budget pays for every pattern a request carries (core/regex.h): the
 * schemas of a workflow's invocation params, or the overrides of a run or
 * an order, however many there are. ^(a+)+$ against 40 a's and a b costs a
 * match its whole limit; 120 such defaults exceed one budget, so the last
 * ones are refused unmatched, where a budget per schema would have paid for
 * each again (120 times the bound). */
#define COSTLY_PARAMS 120
static json_t *costly_schema(void) {
    char value[48];
    memset(value, 'a', 40);
    strcpy(value + 40, "b");
    return json_pack("{s:s, s:s, s:s}", "type", "string", "pattern", "^(a+)+$", "default", value);
}

static size_t count_phrase(const pf_errors *errs, const char *phrase) {
    size_t n = 0;
    for (size_t i = 0; i < errs->len; i++)
        n += strstr(errs->items[i].message, phrase) != NULL;
    return n;
}

static void test_pattern_budget_per_request(const pf_registry *reg, const json_t *base) {
    json_t *doc = json_deep_copy(base);
    json_t *params = json_object_get(json_object_get(doc, "invocation"), "params");
    json_t *overrides = json_object();
    for (int i = 0; i < COSTLY_PARAMS; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        json_object_set_new(params, name, json_pack("{s:o, s:[]}", "schema", costly_schema(), "targets"));
        json_object_set(overrides, name,
                        json_object_get(json_object_get(json_object_get(params, name), "schema"), "default"));
    }
    pf_errors errs;
    pf_errors_init(&errs);
    pf_workflow_validate(reg, doc, &errs);
    CHECK(count_phrase(&errs, "is too costly to match") > 0);
    CHECK(count_phrase(&errs, "used up their time") > 0);
    CHECK(count_phrase(&errs, "is too costly to match") < COSTLY_PARAMS);
    long last = index_of(&errs, "/invocation/params/p119/schema/default");
    CHECK(last >= 0 && strstr(errs.items[last].message, "used up their time"));
    pf_errors_clear(&errs);

    long budget = PF_REGEX_BUDGET;
    pf_params_check_overrides(doc, overrides, "/overrides", &errs, &budget);
    CHECK_INT(errs.len, COSTLY_PARAMS);
    CHECK(count_phrase(&errs, "used up their time") > 0);
    CHECK(budget < 100000);
    /* A cheap override still costs next to nothing from a fresh budget. */
    pf_errors_clear(&errs);
    budget = PF_REGEX_BUDGET;
    json_t *cheap = json_pack("{s:s}", "p0", "aaa");
    pf_params_check_overrides(doc, cheap, "/overrides", &errs, &budget);
    CHECK_INT(errs.len, 0);
    CHECK(budget > PF_REGEX_BUDGET - 1000);
    json_decref(cheap);
    pf_errors_clear(&errs);
    json_decref(overrides);
    json_decref(doc);
}

int main(void) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = pf_registry_load(&errs);
    CHECK(reg != NULL);
    if (!reg) {
        dump_problems(&errs);
        return pf_check_done("workflow_validate");
    }
    json_t *base = load_fixture("intake_valid.json");
    CHECK(base != NULL);
    test_valid(reg, base);
    test_cases(reg, base);
    test_all_at_once(reg, base);
    test_problem_order(reg, base);
    test_canonical(reg, base);
    test_pattern_budget_per_request(reg, base);
    json_decref(base);
    pf_registry_free(reg);
    return pf_check_done("workflow_validate");
}
