/* Workflow validation: structure first (the embedded workflow schema), then
 * the graph against the registry: steps, family, entry, ports, cycles,
 * params and the invocation contract. Every problem is reported. */
#include "workflow/workflow.h"

#include "core/jsonschema.h"
#include "core/mem.h"
#include "core/regex.h"
#include "modules/invoke.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *id;
    const pf_module *module; /* NULL for an unknown step */
    size_t index;            /* position in doc.nodes */
    size_t *out_edges;       /* indices into doc.edges that leave this node */
    size_t n_out, cap_out;
    size_t indegree;
    int mark; /* cycle search: 0 new, 1 on stack, 2 done */
    /* Inputs already fed: the contract's port object and the feeding edge.
     * Port objects are unique per module, so pointers identify ports. */
    struct {
        const pf_port *port;
        size_t edge;
    } fed[8];
    size_t n_fed;
} node_info;

typedef struct {
    const pf_registry *reg;
    const json_t *doc;
    const pf_family *family;
    pf_errors *errs;
    node_info *nodes;
    size_t n_nodes;
    /* node id -> index into nodes: open addressing, sized for the graph */
    struct {
        const char *id;
        size_t index;
    } * slots;
    size_t n_slots;
    size_t *edge_to;       /* per edge: target node index, or SIZE_MAX when the edge is broken */
    const char *last_step; /* the previous node's step and module: neighbours mostly share one */
    const pf_module *last_module;
    bool last_needs_defaults; /* its param_schema has "required" */
    bool last_allowed;        /* its family allows it */
    long pattern_budget;      /* one for every schema the document carries (core/jsonschema.h) */
} checker;

static void problem(checker *c, const char *pointer, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(checker *c, const char *pointer, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pf_errors_vadd(c->errs, PF_EINVAL, pointer, fmt, ap);
    va_end(ap);
}

static const char *str_at(const json_t *obj, const char *key) { return json_string_value(json_object_get(obj, key)); }

static size_t slot_of(const checker *c, const char *id) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    size_t i = (size_t)h & (c->n_slots - 1);
    while (c->slots[i].id && strcmp(c->slots[i].id, id) != 0)
        i = (i + 1) & (c->n_slots - 1);
    return i;
}

static node_info *node_named(checker *c, const char *id) {
    if (!id) return NULL;
    size_t i = slot_of(c, id);
    return c->slots[i].id ? &c->nodes[c->slots[i].index] : NULL;
}

/* Node ids appear in "node.param" targets and DOM ids, so keep them plain. */
static bool node_id_ok(const char *id) {
    if (!id[0] || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z') || (id[0] >= '0' && id[0] <= '9')))
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-'))
            return false;
    return true;
}

static void check_family(checker *c) {
    const char *family = str_at(c->doc, "family");
    if (!family) return;
    c->family = pf_contract_family(&c->reg->contract, family);
    if (c->family) return;
    char known[256] = "";
    for (size_t i = 0; i < c->reg->contract.n_families; i++) {
        if (i) strncat(known, ", ", sizeof known - strlen(known) - 1);
        strncat(known, c->reg->contract.families[i].key, sizeof known - strlen(known) - 1);
    }
    problem(c, "/family", "unknown family \"%s\"; expected one of: %s", family, known);
}

static void check_node(checker *c, size_t i, const json_t *node) {
    char ptr[96]; /* formatted only when there is something to report */
    const char *id = str_at(node, "id");
    const char *step = str_at(node, "step");
    node_info *info = &c->nodes[c->n_nodes];
    info->id = id;
    info->index = i;
    if (id) {
        node_info *first = node_named(c, id);
        if (first || !node_id_ok(id)) snprintf(ptr, sizeof ptr, "/nodes/%zu/id", i);
        if (first) {
            problem(c, ptr, "duplicate node id \"%s\" (first used by /nodes/%zu)", id, first->index);
            return; /* the first node keeps the id; edges resolve to it */
        }
        if (!node_id_ok(id))
            problem(c, ptr,
                    "node id \"%s\" may hold only letters, digits, '_' and '-', and must start with a letter or digit",
                    id);
        size_t slot = slot_of(c, id);
        c->slots[slot].id = id;
        c->slots[slot].index = c->n_nodes;
    }
    c->n_nodes++;
    if (!step) return;
    if (!c->last_step || strcmp(c->last_step, step) != 0) {
        c->last_step = step;
        c->last_module = pf_registry_find(c->reg, step);
        c->last_needs_defaults = c->last_module && json_object_get(c->last_module->param_schema, "required") != NULL;
        c->last_allowed = !c->family || pf_family_allows_step(c->family, step);
    }
    info->module = c->last_module;
    bool foreign = info->module && !c->last_allowed;
    if (!info->module || foreign) snprintf(ptr, sizeof ptr, "/nodes/%zu/step", i);
    if (!info->module) {
        problem(c, ptr, "node \"%s\": unknown step \"%s\"", id ? id : "?", step);
        return;
    }
    if (foreign) {
        const json_t *fams = json_object_get(info->module->contract, "family");
        problem(c, ptr, "node \"%s\": step %s belongs to family %s, not to this workflow's family %s", id ? id : "?",
                step, json_string_value(json_array_get(fams, 0)), c->family->key);
    }
    const json_t *params = json_object_get(node, "params");
    if (params && !json_is_object(params)) return; /* reported by the structural schema */
    /* Defaults are checked at registry load, so only given params need
     * checking, unless the schema requires keys defaults would fill. */
    bool needs_defaults = c->last_needs_defaults;
    if (!needs_defaults && (!params || json_object_size(params) == 0)) return;
    if (needs_defaults) {
        snprintf(ptr, sizeof ptr, "/nodes/%zu/params", i);
        json_decref(pf_module_resolve_params(info->module, params, ptr, c->errs));
    } else if (pf_schema_run(info->module->params, params, NULL, NULL)) { /* yes/no first: no pointer text */
        snprintf(ptr, sizeof ptr, "/nodes/%zu/params", i);
        pf_schema_run(info->module->params, params, ptr, c->errs);
    }
}

static void check_entry(checker *c, const json_t *nodes) {
    const node_info *first = NULL;
    for (size_t k = 0; k < c->n_nodes; k++) {
        const node_info *n = &c->nodes[k];
        if (!n->module || !n->module->entry) continue;
        if (!first) {
            first = n;
            continue;
        }
        char ptr[96];
        snprintf(ptr, sizeof ptr, "/nodes/%zu/step", n->index);
        problem(c, ptr, "node \"%s\" is a second entry node; a workflow has exactly one (the first is \"%s\")",
                n->id ? n->id : "?", first->id ? first->id : "?");
    }
    if (!first && json_array_size(nodes) > 0)
        problem(c, "/nodes", "the workflow has no entry node; family %s starts with a %s node",
                c->family ? c->family->key : "?", c->family ? c->family->entry_step : "family entry");
    if (json_array_size(nodes) == 0) problem(c, "/nodes", "the workflow has no nodes");
}

/* Resolves one end of an edge to its node and port; reports what is wrong. */
static const pf_port *edge_end(checker *c, size_t i, const json_t *edge, const char *side, node_info **node_out) {
    const json_t *end = json_object_get(edge, side);
    const char *node_id = str_at(end, "node"), *port = str_at(end, "port");
    *node_out = NULL;
    if (!node_id || !port) return NULL;
    char ptr[96];
    node_info *n = node_named(c, node_id);
    if (!n) {
        snprintf(ptr, sizeof ptr, "/edges/%zu/%s/node", i, side);
        problem(c, ptr, "edge %zu: no node \"%s\"", i, node_id);
        return NULL;
    }
    if (!n->module) return NULL; /* already reported as an unknown step */
    bool out = strcmp(side, "from") == 0;
    const pf_ports *ports = out ? &n->module->outputs : &n->module->inputs;
    const pf_port *p = pf_module_port(ports, port);
    if (!p) {
        char names[256] = "";
        for (size_t k = 0; k < ports->len; k++) {
            if (k) strncat(names, ", ", sizeof names - strlen(names) - 1);
            strncat(names, ports->items[k].name, sizeof names - strlen(names) - 1);
        }
        snprintf(ptr, sizeof ptr, "/edges/%zu/%s/port", i, side);
        problem(c, ptr, "edge %zu: node \"%s\" (%s) has no %s port \"%s\"; its %s ports are: %s", i, node_id,
                n->module->key, out ? "output" : "input", port, out ? "output" : "input", names[0] ? names : "none");
        return NULL;
    }
    *node_out = n;
    return p;
}

static void add_out_edge(node_info *n, size_t edge) {
    if (n->n_out == n->cap_out) {
        n->cap_out = n->cap_out ? n->cap_out * 2 : 4;
        n->out_edges = pf_xrealloc(n->out_edges, n->cap_out * sizeof *n->out_edges);
    }
    n->out_edges[n->n_out++] = edge;
}

static const size_t *fed_by(const node_info *n, const pf_port *port) {
    for (size_t k = 0; k < n->n_fed; k++)
        if (n->fed[k].port == port) return &n->fed[k].edge;
    return NULL;
}

static void check_edge(checker *c, size_t i, const json_t *edge) {
    char ptr[96];
    c->edge_to[i] = SIZE_MAX;
    node_info *from, *to;
    const pf_port *out_port = edge_end(c, i, edge, "from", &from);
    const pf_port *in_port = edge_end(c, i, edge, "to", &to);
    if (!out_port || !in_port) return;
    const char *ot = out_port->type, *it = in_port->type, *op = out_port->name, *ip = in_port->name;
    if (!pf_contract_ports_compatible(&c->reg->contract, ot, it)) {
        snprintf(ptr, sizeof ptr, "/edges/%zu", i);
        problem(c, ptr, "edge %zu: cannot connect %s.%s (%s) to %s.%s (%s): the port types differ", i, from->id, op, ot,
                to->id, ip, it);
        return;
    }
    const size_t *prev = fed_by(to, in_port);
    if (prev) {
        snprintf(ptr, sizeof ptr, "/edges/%zu/to", i);
        problem(c, ptr, "edge %zu: input %s.%s is already fed by edge %zu; an input takes one edge", i, to->id, ip,
                *prev);
    } else if (to->n_fed < sizeof to->fed / sizeof *to->fed) {
        to->fed[to->n_fed].port = in_port;
        to->fed[to->n_fed++].edge = i;
    }
    c->edge_to[i] = (size_t)(to - c->nodes);
    add_out_edge(from, i);
    to->indegree++;
}

static void check_required_inputs(checker *c) {
    char ptr[96];
    for (size_t k = 0; k < c->n_nodes; k++) {
        const node_info *n = &c->nodes[k];
        if (!n->module || !n->id) continue;
        for (size_t i = 0; i < n->module->inputs.len; i++) {
            const pf_port *port = &n->module->inputs.items[i];
            if (!port->required) continue;
            if (!fed_by(n, port)) {
                snprintf(ptr, sizeof ptr, "/nodes/%zu", n->index);
                problem(c, ptr, "node \"%s\" (%s): required input \"%s\" (%s) is not connected", n->id, n->module->key,
                        port->name, port->type);
            }
        }
    }
}

/* Depth-first search from n; on finding a back edge, reports the cycle. */
static bool find_cycle(checker *c, node_info *n, node_info **stack, size_t depth) {
    n->mark = 1;
    stack[depth] = n;
    for (size_t k = 0; k < n->n_out; k++) {
        node_info *next = &c->nodes[c->edge_to[n->out_edges[k]]];
        if (next->mark == 1) {
            size_t start = depth;
            while (stack[start] != next)
                start--;
            size_t len = 0;
            for (size_t j = start; j <= depth; j++)
                len += strlen(stack[j]->id) + 5;
            char *path = pf_xmalloc(len + strlen(next->id) + 1);
            path[0] = '\0';
            for (size_t j = start; j <= depth; j++) {
                strcat(path, stack[j]->id);
                strcat(path, " -> ");
            }
            strcat(path, next->id);
            char ptr[96];
            snprintf(ptr, sizeof ptr, "/nodes/%zu", next->index);
            problem(c, ptr, "the graph has a cycle: %s", path);
            free(path);
            n->mark = 2;
            return true;
        }
        if (next->mark == 0 && find_cycle(c, next, stack, depth + 1)) {
            n->mark = 2;
            return true;
        }
    }
    n->mark = 2;
    return false;
}

static void check_cycles(checker *c) {
    /* Kahn's algorithm peels the acyclic part; what is left holds cycles. */
    size_t *queue = pf_xmalloc((c->n_nodes + 1) * sizeof *queue);
    size_t *indeg = pf_xmalloc((c->n_nodes + 1) * sizeof *indeg);
    size_t head = 0, tail = 0, seen = 0;
    for (size_t k = 0; k < c->n_nodes; k++) {
        indeg[k] = c->nodes[k].indegree;
        if (!indeg[k]) queue[tail++] = k;
    }
    while (head < tail) {
        node_info *n = &c->nodes[queue[head++]];
        n->mark = 2;
        seen++;
        for (size_t k = 0; k < n->n_out; k++) {
            size_t to = c->edge_to[n->out_edges[k]];
            if (--indeg[to] == 0) queue[tail++] = to;
        }
    }
    if (seen < c->n_nodes) {
        node_info **stack = pf_xmalloc(c->n_nodes * sizeof *stack);
        for (size_t k = 0; k < c->n_nodes; k++)
            if (c->nodes[k].mark == 0) find_cycle(c, &c->nodes[k], stack, 0);
        free(stack);
    }
    free(queue);
    free(indeg);
}

/* Splits "node.rest" at the first dot; returns the node or NULL. */
static node_info *target_node(checker *c, const char *target, const char **rest) {
    const char *dot = strchr(target, '.');
    if (!dot) return NULL;
    char *id = pf_strndup(target, (size_t)(dot - target));
    node_info *n = node_named(c, id);
    free(id);
    *rest = dot + 1;
    return n;
}

static bool types_agree(const json_t *from, const json_t *to) {
    const char *a = str_at(from, "type"), *b = str_at(to, "type");
    if (!a || !b) return true; /* untyped schemas (enum, const) are checked through the default */
    return strcmp(a, b) == 0 || (strcmp(a, "integer") == 0 && strcmp(b, "number") == 0);
}

static void check_invocation_params(checker *c, const json_t *params) {
    json_t *bound = json_object(); /* "node.param" -> invocation param name */
    const char *name;
    const json_t *spec;
    json_object_foreach((json_t *)params, name, spec) {
        char *base = pf_ptr_join("/invocation/params", name);
        const json_t *schema = json_object_get(spec, "schema");
        char *sptr = pf_ptr_join(base, "schema");
        if (json_is_object(schema)) pf_schema_check_paid(schema, sptr, c->errs, &c->pattern_budget);
        size_t k;
        const json_t *t;
        json_array_foreach(json_object_get(spec, "targets"), k, t) {
            const char *target = json_string_value(t), *param = NULL;
            if (!target || !strchr(target, '.')) continue; /* reported by the structural schema */
            char *tbase = pf_ptr_join(base, "targets");
            char *ptr = pf_ptr_index(tbase, k);
            free(tbase);
            node_info *n = target_node(c, target, &param);
            const json_t *pschema = n && n->module ? pf_module_param(n->module, param) : NULL;
            const char *other = str_at(bound, target);
            if (!n)
                problem(c, ptr, "invocation param \"%s\": target \"%s\" names no node", name, target);
            else if (n->module && !pschema)
                problem(c, ptr, "invocation param \"%s\": node \"%s\" (%s) has no param \"%s\"", name, n->id,
                        n->module->key, param);
            else if (pschema && json_is_object(schema) && !types_agree(schema, pschema))
                problem(c, ptr, "invocation param \"%s\" is %s, but its target %s is %s", name, str_at(schema, "type"),
                        target, str_at(pschema, "type"));
            else if (other)
                problem(c, ptr, "invocation param \"%s\": %s is already bound to invocation param \"%s\"", name, target,
                        other);
            else if (pschema && json_object_get(schema, "default")) {
                char *dptr = pf_ptr_join(sptr, "default");
                pf_errors local;
                pf_errors_init(&local);
                if (pf_schema_validate_paid(pschema, json_object_get(schema, "default"), dptr, &local,
                                            &c->pattern_budget))
                    problem(c, dptr, "invocation param \"%s\": its default does not suit %s: %s", name, target,
                            local.items[0].message);
                pf_errors_clear(&local);
                free(dptr);
            }
            if (!other) json_object_set_new(bound, target, json_string(name));
            free(ptr);
        }
        free(sptr);
        free(base);
    }
    json_decref(bound);
}

static void check_invocation_artifacts(checker *c, const json_t *artifacts) {
    const pf_contract *ct = &c->reg->contract;
    const char *role;
    const json_t *spec;
    json_object_foreach((json_t *)artifacts, role, spec) {
        char *base = pf_ptr_join("/invocation/artifacts", role);
        char *kptr = pf_ptr_join(base, "kind"), *fptr = pf_ptr_join(base, "from");
        const json_t *role_def = pf_contract_artifact_role(ct, role);
        const char *kind = str_at(spec, "kind"), *from = str_at(spec, "from");
        const json_t *kind_def = kind ? pf_contract_artifact_kind(ct, kind) : NULL;
        if (!role_def) problem(c, base, "unknown artifact role \"%s\"", role);
        if (kind && !kind_def)
            problem(c, kptr, "artifact \"%s\": unknown artifact kind \"%s\"", role, kind);
        else if (kind && c->family && !pf_family_delivers_kind(c->family, kind))
            problem(c, kptr, "artifact \"%s\": family %s cannot deliver the artifact kind %s", role, c->family->key,
                    kind);
        const char *port = NULL;
        node_info *n = from && strchr(from, '.') ? target_node(c, from, &port) : NULL;
        const pf_port *p = n && n->module ? pf_module_port(&n->module->outputs, port) : NULL;
        if (from && strchr(from, '.') && !n)
            problem(c, fptr, "artifact \"%s\": \"%s\" names no node", role, from);
        else if (n && n->module && !p)
            problem(c, fptr, "artifact \"%s\": node \"%s\" (%s) has no output port \"%s\"", role, n->id, n->module->key,
                    port);
        else if (p && kind_def && !pf_contract_ports_compatible(ct, p->type, str_at(kind_def, "port_type")))
            problem(c, fptr, "artifact \"%s\": %s gives %s, but the kind %s needs %s", role, from, p->type, kind,
                    str_at(kind_def, "port_type"));
        else if (p && role_def && !pf_contract_ports_compatible(ct, p->type, str_at(role_def, "port_type")))
            problem(c, fptr, "artifact \"%s\": %s gives %s, but the role needs %s", role, from, p->type,
                    str_at(role_def, "port_type"));
        free(kptr);
        free(fptr);
        free(base);
    }
}

/* The graph's checks of nodes and edges, met item by item as the
 * structural schema pass reads them (pf_schema_run_visiting). */
typedef struct {
    checker *c;
    const json_t *nodes, *edges;
    size_t nodes_seen, edges_seen; /* items checked, in order */
    pf_errors *edge_errs;          /* the edges' problems, which come after check_entry's */
} walk;

static void visit_item(void *user, const char *key, size_t i, const json_t *item) {
    walk *w = user;
    if (w->nodes && i == w->nodes_seen && strcmp(key, "nodes") == 0) {
        if (json_is_object(item)) check_node(w->c, i, item);
        w->nodes_seen++;
    } else if (w->edges && i == w->edges_seen && strcmp(key, "edges") == 0 &&
               w->nodes_seen == json_array_size(w->nodes)) { /* edges resolve against every node */
        pf_errors *errs = w->c->errs;
        w->c->errs = w->edge_errs;
        check_edge(w->c, i, item);
        w->c->errs = errs;
        w->edges_seen++;
    }
}

/* Moves the problems of from to the end of to. */
static void append_errors(pf_errors *to, pf_errors *from) {
    for (size_t i = 0; i < from->len; i++)
        pf_errors_add(to, from->items[i].code, from->items[i].pointer, "%s", from->items[i].message);
    pf_errors_clear(from);
}

size_t pf_workflow_validate(const pf_registry *reg, const json_t *doc, pf_errors *errs) {
    size_t before = errs->len;
    if (!json_is_object(doc)) {
        pf_errors_add(errs, PF_EINVAL, "", "a workflow must be a JSON object");
        return 1;
    }
    /* The structural problems come first, then the graph's (graph), in
     * that order whatever order the checks met them in. */
    pf_errors graph, edge_errs;
    pf_errors_init(&graph);
    pf_errors_init(&edge_errs);
    const char *id = str_at(doc, "id");
    if (id && (!strcmp(id, "validate") || !strcmp(id, "starters") || !strcmp(id, "node-definitions")))
        pf_errors_add(&graph, PF_EINVAL, "/id", "workflow id \"%s\" is reserved by the API", id);

    checker c = {.reg = reg, .doc = doc, .errs = &graph, .pattern_budget = PF_REGEX_BUDGET};
    check_family(&c);
    const json_t *nodes = json_object_get(doc, "nodes");
    const json_t *edges = json_object_get(doc, "edges");
    walk w = {.c = &c, .edge_errs = &edge_errs};
    if (json_is_array(nodes)) {
        w.nodes = nodes;
        c.nodes = pf_xcalloc(json_array_size(nodes) + 1, sizeof *c.nodes);
        for (c.n_slots = 16; c.n_slots < 2 * json_array_size(nodes); c.n_slots *= 2) {
        }
        c.slots = pf_xcalloc(c.n_slots, sizeof *c.slots);
        if (json_is_array(edges)) {
            w.edges = edges;
            c.edge_to = pf_xcalloc(json_array_size(edges) + 1, sizeof *c.edge_to);
        }
    }
    pf_schema_run_visiting(reg->contract.workflow_compiled, doc, "", errs, visit_item, &w);
    if (!json_is_array(nodes)) {
        append_errors(errs, &graph);
        return errs->len - before;
    }
    size_t i;
    const json_t *item;
    json_array_foreach(nodes, i, item) { /* those the schema pass did not hand over */
        if (i >= w.nodes_seen && json_is_object(item)) check_node(&c, i, item);
    }
    check_entry(&c, nodes);
    if (json_is_array(edges)) {
        append_errors(&graph, &edge_errs);
        json_array_foreach(edges, i, item) {
            if (i >= w.edges_seen) check_edge(&c, i, item);
        }
        check_cycles(&c);
    }
    check_required_inputs(&c);
    const json_t *inv = json_object_get(doc, "invocation");
    if (json_is_object(json_object_get(inv, "params"))) check_invocation_params(&c, json_object_get(inv, "params"));
    if (json_is_object(json_object_get(inv, "artifacts")))
        check_invocation_artifacts(&c, json_object_get(inv, "artifacts"));

    append_errors(errs, &graph);
    for (size_t k = 0; k < c.n_nodes; k++)
        free(c.nodes[k].out_edges);
    free(c.nodes);
    free(c.edge_to);
    free(c.slots);
    return errs->len - before;
}
