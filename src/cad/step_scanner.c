/* The STEP scanner. Pass 1 maps the file and splits it into records
 * (step_split.c), keeping only records of interest, parsed into an arena.
 * Pass 2 resolves products, the assembly tree, colours and the length unit
 * from those records. */
#include "cad/step_scanner.h"

#include "cad/step_record.h"
#include "cad/step_split.h"
#include "cad/step_text.h"
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Records are kept only when their entity name is one of these (every
 * record is asked, so most are refused by length alone). All are shorter
 * than 64 characters. */
#define KEPT_NAMES(X)                                                                                                  \
    X(PRODUCT)                                                                                                         \
    X(PRODUCT_DEFINITION_FORMATION)                                                                                    \
    X(PRODUCT_DEFINITION_FORMATION_WITH_SPECIFIED_SOURCE)                                                              \
    X(PRODUCT_DEFINITION)                                                                                              \
    X(NEXT_ASSEMBLY_USAGE_OCCURRENCE)                                                                                  \
    X(PRODUCT_DEFINITION_SHAPE)                                                                                        \
    X(SHAPE_DEFINITION_REPRESENTATION)                                                                                 \
    X(SHAPE_REPRESENTATION_RELATIONSHIP)                                                                               \
    X(STYLED_ITEM)                                                                                                     \
    X(OVER_RIDING_STYLED_ITEM)                                                                                         \
    X(PRESENTATION_STYLE_ASSIGNMENT)                                                                                   \
    X(SURFACE_STYLE_USAGE)                                                                                             \
    X(SURFACE_SIDE_STYLE)                                                                                              \
    X(SURFACE_STYLE_FILL_AREA)                                                                                         \
    X(FILL_AREA_STYLE)                                                                                                 \
    X(FILL_AREA_STYLE_COLOUR)                                                                                          \
    X(COLOUR_RGB)
/* What a kept record is, judged once when it is kept: the resolving passes
 * walk every kept record several times, and comparing its name there meant
 * reading the name from the arena, a cache miss each (6% of an inspect's
 * time went to strcmp). K_SHAPE_REP is any representation whose name ends
 * in SHAPE_REPRESENTATION (its items carry styles). */
#define KIND(name) K_##name,
typedef enum { K_OTHER, KEPT_NAMES(KIND) K_SHAPE_REP } record_kind;
#undef KIND
#define KEPT(name) {#name, sizeof #name - 1, K_##name},
#define LENGTH_BIT(name) | (uint64_t)1 << (sizeof #name - 1)
static const struct {
    const char *name;
    size_t len;
    record_kind kind;
} kept_names[] = {KEPT_NAMES(KEPT)};
static const uint64_t kept_lengths = 0 KEPT_NAMES(LENGTH_BIT);
#undef LENGTH_BIT
#undef KEPT
#define MAX_TREE_NODES 200000 /* expanded instances; beyond it the tree is marked truncated */
#define MAX_TREE_DEPTH 32

typedef struct {
    pf_step_record *items;
    unsigned char *kinds; /* record_kind of items[i] */
    size_t len, cap;
    /* id -> index, open addressing over a power-of-two table */
    uint64_t *ids;
    size_t *slots;
    size_t n_slots;
} record_set;

typedef struct tree_node {
    char *path, *name, *parent, *product, *instance_of;
    bool is_assembly;
    bool has_colour;
    double colour[3];
} tree_node;

struct pf_step_summary {
    char *schema;
    char *unit_name;
    double metres_per_unit;
    uint64_t entity_count;
    record_set records;
    pf_arena arena;   /* the records' values */
    json_t *products; /* array */
    tree_node *tree;
    size_t n_tree;
    json_t *colours;
    size_t n_nauo;
    bool truncated_tree;
};

/* ---- pass 1: keeping the records of interest ---- */

static bool ends_in_shape_representation(const char *name, size_t n) {
    static const char rep[] = "SHAPE_REPRESENTATION"; /* and its subtypes */
    return n >= sizeof rep - 1 && name[n - 1] == 'N' && memcmp(name + n - (sizeof rep - 1), rep, sizeof rep - 1) == 0;
}

/* The listed kind of a name of n bytes, K_OTHER when it is not listed. */
static record_kind listed_kind(const char *name, size_t n) {
    if (n >= 64 || !(kept_lengths >> n & 1)) return K_OTHER;
    for (size_t i = 0; i < sizeof kept_names / sizeof *kept_names; i++)
        if (kept_names[i].len == n && kept_names[i].name[0] == name[0] && memcmp(kept_names[i].name, name, n) == 0)
            return kept_names[i].kind;
    return K_OTHER;
}

static bool is_kept_name(const char *name, size_t n) {
    return ends_in_shape_representation(name, n) || listed_kind(name, n) != K_OTHER;
}

/* A kept record's kind; a complex entity (no name) is K_OTHER. */
static record_kind kind_of_name(const char *name) {
    if (!name) return K_OTHER;
    size_t n = strlen(name);
    record_kind k = listed_kind(name, n);
    if (k == K_OTHER && ends_in_shape_representation(name, n) && !strstr(name, "RELATIONSHIP")) k = K_SHAPE_REP;
    return k;
}

/* Of complex entities only units and the contexts that assign them are
 * read (LENGTH_UNIT, GLOBAL_UNIT_ASSIGNED_CONTEXT); a large part file has
 * tens of thousands of others (the 2D contexts of its p-curves). A record
 * with a comment is kept too: the comment may split a name. */
static bool is_kept_complex(const char *raw, size_t n) {
    /* memchr for the 'U' first: the common 2D contexts have none at all. */
    for (const char *p = raw, *end = raw + n; (p = memchr(p, 'U', (size_t)(end - p))); p++)
        if (end - p >= 4 && memcmp(p, "UNIT", 4) == 0) return true;
    return memchr(raw, '/', n) != NULL;
}

static uint64_t hash_id(uint64_t id) { return id * 0x9E3779B97F4A7C15ull; }

static void set_index(record_set *rs, uint64_t id, size_t index) {
    size_t i = (size_t)(hash_id(id) >> 20) & (rs->n_slots - 1);
    while (rs->ids[i] && rs->ids[i] != id)
        i = (i + 1) & (rs->n_slots - 1);
    rs->ids[i] = id;
    rs->slots[i] = index;
}

static void rehash(record_set *rs) {
    free(rs->ids);
    free(rs->slots);
    rs->n_slots = rs->n_slots ? rs->n_slots * 2 : 64;
    rs->ids = pf_xcalloc(rs->n_slots, sizeof *rs->ids);
    rs->slots = pf_xcalloc(rs->n_slots, sizeof *rs->slots);
    for (size_t k = 0; k < rs->len; k++)
        if (rs->items[k].id) set_index(rs, rs->items[k].id, k);
}

static const pf_step_record *find(const record_set *rs, uint64_t id) {
    if (!rs->n_slots || !id) return NULL;
    size_t i = (size_t)(hash_id(id) >> 20) & (rs->n_slots - 1);
    while (rs->ids[i]) {
        if (rs->ids[i] == id) return &rs->items[rs->slots[i]];
        i = (i + 1) & (rs->n_slots - 1);
    }
    return NULL;
}

static void keep_record(pf_step_summary *s, pf_step_record *r) {
    record_set *rs = &s->records;
    if (rs->len == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 64;
        rs->items = pf_xrealloc(rs->items, rs->cap * sizeof *rs->items);
        rs->kinds = pf_xrealloc(rs->kinds, rs->cap);
    }
    rs->kinds[rs->len] = (unsigned char)kind_of_name(r->name);
    rs->items[rs->len++] = *r;
    if (rs->len * 2 > rs->n_slots)
        rehash(rs);
    else if (r->id)
        set_index(rs, r->id, rs->len - 1);
}

static void on_record(void *user, const char *t, size_t n) {
    pf_step_summary *s = user;
    if (t[0] == '#') {
        pf_step_record r;
        if (pf_step_record_parse(t, n, &s->arena, &r)) keep_record(s, &r);
    } else if (n >= 12 && memcmp(t, "FILE_SCHEMA(", 12) == 0 && !s->schema) {
        const char *q = memchr(t, '\'', n);
        const char *e = q ? memchr(q + 1, '\'', n - (size_t)(q + 1 - t)) : NULL;
        if (e) s->schema = pf_step_text_utf8(q + 1, (size_t)(e - q - 1));
    }
}

/* ---- pass 2: resolving ---- */

/* The summary's JSON is built member by member: json_pack parsed its
 * format string again for each of the thousands of products and nodes
 * (8% of an inspect's instructions). Names are valid UTF-8 already
 * (pf_step_text_utf8 repairs what is not), so jansson's check, which cost
 * 650 instructions a string, is skipped; NULL text is a JSON null. */
static void set_text(json_t *o, const char *key, const char *text) {
    json_object_set_new_nocheck(o, key, text ? json_stringn_nocheck(text, strlen(text)) : json_null());
}

static json_t *rgb_json(const double rgb[3]) {
    json_t *a = json_array();
    for (int i = 0; i < 3; i++)
        json_array_append_new(a, json_real(rgb[i]));
    return a;
}

static const pf_sv *ref_arg(const pf_step_record *r, size_t i) {
    const pf_sv *v = r ? pf_step_arg(r, i) : NULL;
    return v && v->kind == PF_SV_REF ? v : NULL;
}

static const pf_step_record *follow(const pf_step_summary *s, const pf_step_record *r, size_t i) {
    const pf_sv *v = ref_arg(r, i);
    return v ? find(&s->records, v->ref) : NULL;
}

static const char *text_arg(const pf_step_record *r, size_t i) {
    const pf_sv *v = pf_step_arg(r, i);
    return v && v->kind == PF_SV_STRING ? v->text : NULL;
}

/* Whether r (a kept record, or NULL) is of kind k. */
static bool is(const pf_step_summary *s, const pf_step_record *r, record_kind k) {
    return r && s->records.kinds[r - s->records.items] == k;
}

/* The product behind a product definition. */
static const pf_step_record *product_of_pd(const pf_step_summary *s, const pf_step_record *pd) {
    const pf_step_record *formation = follow(s, pd, 2);
    const pf_step_record *product = follow(s, formation, 2);
    return is(s, product, K_PRODUCT) ? product : NULL;
}

static double srgb_to_linear(double c) {
    if (c <= 0.04045) return c / 12.92;
    return pow((c + 0.055) / 1.055, 2.4);
}

/* Walks STYLED_ITEM -> style assignment -> … -> COLOUR_RGB. */
static const pf_step_record *colour_of_style(const pf_step_summary *s, const pf_step_record *styled) {
    const pf_sv *psas = pf_step_arg(styled, 1);
    for (size_t i = 0; psas && psas->kind == PF_SV_LIST && i < psas->n_items; i++) {
        const pf_step_record *psa = psas->items[i].kind == PF_SV_REF ? find(&s->records, psas->items[i].ref) : NULL;
        const pf_sv *usages = psa ? pf_step_arg(psa, 0) : NULL;
        for (size_t j = 0; usages && usages->kind == PF_SV_LIST && j < usages->n_items; j++) {
            const pf_step_record *ssu =
                usages->items[j].kind == PF_SV_REF ? find(&s->records, usages->items[j].ref) : NULL;
            const pf_step_record *sss = follow(s, ssu, 1);
            const pf_sv *sides = sss ? pf_step_arg(sss, 1) : NULL;
            for (size_t k = 0; sides && sides->kind == PF_SV_LIST && k < sides->n_items; k++) {
                const pf_step_record *fill =
                    sides->items[k].kind == PF_SV_REF ? find(&s->records, sides->items[k].ref) : NULL;
                const pf_step_record *fas = is(s, fill, K_SURFACE_STYLE_FILL_AREA) ? follow(s, fill, 0) : NULL;
                const pf_sv *fascs = fas ? pf_step_arg(fas, 1) : NULL;
                for (size_t m = 0; fascs && fascs->kind == PF_SV_LIST && m < fascs->n_items; m++) {
                    const pf_step_record *fasc =
                        fascs->items[m].kind == PF_SV_REF ? find(&s->records, fascs->items[m].ref) : NULL;
                    const pf_step_record *rgb = follow(s, fasc, 1);
                    if (is(s, rgb, K_COLOUR_RGB)) return rgb;
                }
            }
        }
    }
    return NULL;
}

static bool rgb_linear(const pf_step_record *rgb, double out[3]) {
    for (int i = 0; i < 3; i++) {
        const pf_sv *v = pf_step_arg(rgb, (size_t)i + 1);
        if (!v || v->kind != PF_SV_NUMBER) return false;
        out[i] = round(srgb_to_linear(v->number) * 1e6) / 1e6;
    }
    return true;
}

/* Reads one LENGTH_UNIT record; false when r is not one. */
static bool read_unit(pf_step_summary *s, const pf_step_record *r) {
    static const struct {
        const char *prefix;
        double scale;
        const char *name;
    } si[] = {{"MILLI", 1e-3, "millimetre"},
              {"CENTI", 1e-2, "centimetre"},
              {"DECI", 1e-1, "decimetre"},
              {"KILO", 1e3, "kilometre"},
              {"MICRO", 1e-6, "micrometre"}};
    if (!r || !pf_step_part(r, "LENGTH_UNIT")) return false;
    const pf_sv *unit = pf_step_part(r, "SI_UNIT");
    const pf_sv *conv = pf_step_part(r, "CONVERSION_BASED_UNIT");
    if (conv && conv->n_items >= 1 && conv->items[0].kind == PF_SV_STRING) {
        s->unit_name = pf_strdup(conv->items[0].text);
        for (char *c = s->unit_name; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        s->metres_per_unit = !strcmp(s->unit_name, "inch") ? 0.0254 : !strcmp(s->unit_name, "foot") ? 0.3048 : 0;
        return true;
    }
    if (!unit || unit->n_items < 2) return false;
    s->unit_name = pf_strdup("metre");
    s->metres_per_unit = 1;
    const pf_sv *prefix = &unit->items[0];
    for (size_t k = 0; prefix->kind == PF_SV_ENUM && k < sizeof si / sizeof *si; k++)
        if (!strcmp(prefix->text, si[k].prefix)) {
            free(s->unit_name);
            s->unit_name = pf_strdup(si[k].name);
            s->metres_per_unit = si[k].scale;
        }
    return true;
}

/* The length unit the geometry context assigns; else the first one found. */
static void find_unit(pf_step_summary *s) {
    for (size_t i = 0; i < s->records.len; i++) {
        const pf_sv *ctx = pf_step_part(&s->records.items[i], "GLOBAL_UNIT_ASSIGNED_CONTEXT");
        const pf_sv *units = ctx && ctx->n_items ? &ctx->items[0] : NULL;
        for (size_t k = 0; units && units->kind == PF_SV_LIST && k < units->n_items; k++)
            if (units->items[k].kind == PF_SV_REF && read_unit(s, find(&s->records, units->items[k].ref))) return;
    }
    for (size_t i = 0; i < s->records.len; i++)
        if (read_unit(s, &s->records.items[i])) return;
}

/* A u64 -> u64 map, open addressing; keys are entity ids (never 0). */
typedef struct {
    uint64_t *keys, *vals;
    size_t n_slots, len;
} u64map;

static void map_put(u64map *m, uint64_t k, uint64_t v);

static void map_grow(u64map *m) {
    u64map old = *m;
    m->n_slots = m->n_slots ? m->n_slots * 2 : 64;
    m->keys = pf_xcalloc(m->n_slots, sizeof *m->keys);
    m->vals = pf_xcalloc(m->n_slots, sizeof *m->vals);
    m->len = 0;
    for (size_t i = 0; i < old.n_slots; i++)
        if (old.keys[i]) map_put(m, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
}

static void map_put(u64map *m, uint64_t k, uint64_t v) {
    if ((m->len + 1) * 2 > m->n_slots) map_grow(m);
    size_t i = (size_t)(hash_id(k) >> 20) & (m->n_slots - 1);
    while (m->keys[i] && m->keys[i] != k)
        i = (i + 1) & (m->n_slots - 1);
    if (!m->keys[i]) m->len++;
    m->keys[i] = k;
    m->vals[i] = v;
}

static bool map_get(const u64map *m, uint64_t k, uint64_t *v) {
    if (!m->n_slots) return false;
    size_t i = (size_t)(hash_id(k) >> 20) & (m->n_slots - 1);
    while (m->keys[i]) {
        if (m->keys[i] == k) {
            *v = m->vals[i];
            return true;
        }
        i = (i + 1) & (m->n_slots - 1);
    }
    return false;
}

static void map_free(u64map *m) {
    free(m->keys);
    free(m->vals);
}

/* An assembly link: a NEXT_ASSEMBLY_USAGE_OCCURRENCE, by relating definition. */
typedef struct {
    uint64_t parent_pd, child_pd;
    const pf_step_record *nauo;
} nauo_link;

typedef struct {
    pf_step_summary *s;
    nauo_link *links;
    size_t n_links;
    u64map pd_colour; /* product definition -> COLOUR_RGB id */
} resolver;

static int link_cmp(const void *a, const void *b) {
    const nauo_link *x = a, *y = b;
    if (x->parent_pd != y->parent_pd) return x->parent_pd < y->parent_pd ? -1 : 1;
    return x->nauo->id < y->nauo->id ? -1 : x->nauo->id > y->nauo->id;
}

static size_t first_link(const resolver *rv, uint64_t pd) {
    size_t lo = 0, hi = rv->n_links;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (rv->links[mid].parent_pd < pd)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Colours reach parts through styled items on a part's shape representation
 * or on an item inside it. Best effort: face-level styles are not parts. */
static void map_colours(resolver *rv) {
    const pf_step_summary *s = rv->s;
    const record_set *rs = &s->records;
    u64map rep_pd = {0}, item_rep = {0};
    for (size_t i = 0; i < rs->len; i++) {
        const pf_step_record *r = &rs->items[i];
        if (is(s, r, K_SHAPE_DEFINITION_REPRESENTATION)) {
            const pf_sv *pd = ref_arg(follow(s, r, 0), 2), *rep = ref_arg(r, 1);
            if (pd && rep) map_put(&rep_pd, rep->ref, pd->ref);
        } else if (rs->kinds[i] == K_SHAPE_REP) {
            const pf_sv *items = pf_step_arg(r, 1);
            for (size_t k = 0; items && items->kind == PF_SV_LIST && k < items->n_items; k++)
                if (items->items[k].kind == PF_SV_REF) map_put(&item_rep, items->items[k].ref, r->id);
        }
    }
    /* Simple representation relationships join a part's two representations;
     * complex ones place children in assemblies and must not carry colour up. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < rs->len; i++) {
            const pf_step_record *r = &rs->items[i];
            const pf_sv *a = is(s, r, K_SHAPE_REPRESENTATION_RELATIONSHIP) ? ref_arg(r, 2) : NULL;
            const pf_sv *b = a ? ref_arg(r, 3) : NULL;
            uint64_t pd;
            if (!b) continue;
            if (map_get(&rep_pd, a->ref, &pd) && !map_get(&rep_pd, b->ref, &(uint64_t){0}))
                map_put(&rep_pd, b->ref, pd);
            if (map_get(&rep_pd, b->ref, &pd) && !map_get(&rep_pd, a->ref, &(uint64_t){0}))
                map_put(&rep_pd, a->ref, pd);
        }
    for (size_t i = 0; i < rs->len; i++) {
        const pf_step_record *r = &rs->items[i];
        if (!is(s, r, K_STYLED_ITEM) && !is(s, r, K_OVER_RIDING_STYLED_ITEM)) continue;
        const pf_sv *item = ref_arg(r, 2);
        const pf_step_record *rgb = item ? colour_of_style(s, r) : NULL;
        uint64_t pd, rep;
        if (!rgb) continue;
        if (map_get(&rep_pd, item->ref, &pd) || (map_get(&item_rep, item->ref, &rep) && map_get(&rep_pd, rep, &pd)))
            if (!map_get(&rv->pd_colour, pd, &(uint64_t){0})) map_put(&rv->pd_colour, pd, rgb->id);
    }
    map_free(&rep_pd);
    map_free(&item_rep);
}

static char *escape_segment(const char *name) {
    char *out = pf_xmalloc(strlen(name) * 2 + 1), *w = out;
    for (const char *p = name; *p; p++) {
        if (*p == '/' || *p == '\\') *w++ = '\\';
        *w++ = *p;
    }
    *w = '\0';
    return out;
}

static const char *product_name(const pf_step_record *product) {
    const char *n = product ? text_arg(product, 1) : NULL;
    if (!n || !*n) n = product ? text_arg(product, 0) : NULL;
    return n;
}

/* An assembly's chain of product definitions, to refuse cyclic files. */
typedef struct ancestry {
    const struct ancestry *up;
    uint64_t pd;
} ancestry;

/* occurrence > 1 marks the second and later siblings of the same name. */
static void add_node(resolver *rv, const char *parent, const char *name, uint64_t pd, size_t occurrence,
                     const ancestry *up, int depth) {
    pf_step_summary *s = rv->s;
    bool cyclic = false;
    for (const ancestry *a = up; a; a = a->up)
        cyclic = cyclic || a->pd == pd;
    if (cyclic || s->n_tree >= MAX_TREE_NODES || depth > MAX_TREE_DEPTH) {
        s->truncated_tree = true;
        return;
    }
    ancestry me = {up, pd};
    const pf_step_record *pdr = find(&s->records, pd);
    const pf_step_record *product = pdr ? product_of_pd(s, pdr) : NULL;
    const char *pname = product_name(product);
    if (!name || !*name) name = pname ? pname : "unnamed";
    char *seg = escape_segment(name);
    char *path = occurrence > 1 ? pf_asprintf("%s/%s[%zu]", parent ? parent : "", seg, occurrence)
                                : pf_asprintf("%s/%s", parent ? parent : "", seg);
    free(seg);
    if ((s->n_tree & (s->n_tree - 1)) == 0)
        s->tree = pf_xrealloc(s->tree, (s->n_tree ? s->n_tree * 2 : 1) * sizeof *s->tree);
    tree_node *node = &s->tree[s->n_tree++];
    memset(node, 0, sizeof *node);
    node->path = path;
    node->name = pf_strdup(name);
    node->parent = parent ? pf_strdup(parent) : NULL;
    node->product = pf_strdup(pname ? pname : "");
    node->instance_of = product && text_arg(product, 0) ? pf_strdup(text_arg(product, 0)) : NULL;
    size_t first = first_link(rv, pd);
    node->is_assembly = first < rv->n_links && rv->links[first].parent_pd == pd;
    uint64_t rgb_id;
    node->has_colour = map_get(&rv->pd_colour, pd, &rgb_id) && rgb_linear(find(&s->records, rgb_id), node->colour);
    if (!node->is_assembly) return;  /* a leaf: no children to name */
    char *my_path = pf_strdup(path); /* s->tree may move while children are added */
    json_t *seen = json_object();    /* sibling name -> occurrences so far */
    for (size_t i = first; i < rv->n_links && rv->links[i].parent_pd == pd; i++) {
        const pf_step_record *nauo = rv->links[i].nauo;
        const char *inst = text_arg(nauo, 1);
        if (!inst || !*inst) inst = text_arg(nauo, 0);
        if (!inst || !*inst) inst = product_name(product_of_pd(s, find(&s->records, rv->links[i].child_pd)));
        if (!inst) inst = "unnamed";
        json_int_t n = json_integer_value(json_object_get(seen, inst)) + 1;
        json_object_set_new(seen, inst, json_integer(n));
        add_node(rv, my_path, inst, rv->links[i].child_pd, (size_t)n, &me, depth + 1);
    }
    json_decref(seen);
    free(my_path);
}

static void resolve(pf_step_summary *s) {
    find_unit(s);
    s->products = json_array();
    s->colours = json_array();
    resolver rv = {.s = s};
    record_set *rs = &s->records;
    u64map used = {0};
    rv.links = pf_xcalloc(rs->len + 1, sizeof *rv.links);
    for (size_t i = 0; i < rs->len; i++) {
        const pf_step_record *r = &rs->items[i];
        if (is(s, r, K_PRODUCT)) {
            json_t *p = json_object();
            set_text(p, "id", text_arg(r, 0) ? text_arg(r, 0) : "");
            set_text(p, "name", text_arg(r, 1) ? text_arg(r, 1) : "");
            json_object_set_new_nocheck(p, "entity", json_integer((json_int_t)r->id));
            json_array_append_new(s->products, p);
        }
        double rgb[3];
        if (is(s, r, K_COLOUR_RGB) && rgb_linear(r, rgb)) {
            json_t *c = rgb_json(rgb);
            bool seen = false;
            size_t k;
            json_t *o;
            json_array_foreach(s->colours, k, o) seen = seen || json_equal(o, c);
            if (!seen) json_array_append(s->colours, c);
            json_decref(c);
        }
        const pf_sv *relating = is(s, r, K_NEXT_ASSEMBLY_USAGE_OCCURRENCE) ? ref_arg(r, 3) : NULL;
        const pf_sv *related = relating ? ref_arg(r, 4) : NULL;
        if (related) {
            rv.links[rv.n_links++] = (nauo_link){relating->ref, related->ref, r};
            map_put(&used, related->ref, 1);
        }
    }
    s->n_nauo = rv.n_links;
    if (rv.n_links) qsort(rv.links, rv.n_links, sizeof *rv.links, link_cmp);
    map_colours(&rv);
    /* Roots: product definitions no assembly uses. */
    for (size_t i = 0; i < rs->len; i++) {
        const pf_step_record *pd = &rs->items[i];
        if (is(s, pd, K_PRODUCT_DEFINITION) && !map_get(&used, pd->id, &(uint64_t){0}))
            add_node(&rv, NULL, NULL, pd->id, 1, NULL, 0);
    }
    map_free(&used);
    map_free(&rv.pd_colour);
    free(rv.links);
}

/* ---- entry points ---- */

static pf_error *scan(const char *data, size_t len, const char *source, pf_step_summary **out) {
    pf_step_summary *s = pf_xcalloc(1, sizeof *s);
    pf_step_split_fns fns = {.wanted = is_kept_name, .wanted_complex = is_kept_complex, .record = on_record, .user = s};
    pf_error *err = pf_step_split(data, len, source, &fns, &s->entity_count);
    if (err) {
        pf_step_summary_free(s);
        return err;
    }
    resolve(s);
    *out = s;
    return NULL;
}

pf_error *pf_step_scan_buffer(const char *data, size_t len, pf_step_summary **out) {
    *out = NULL;
    return scan(data, len, "the buffer", out);
}

/* Whatever cannot be mapped (a pipe) is read into memory whole. */
static pf_error *scan_unmappable(FILE *f, const char *path, pf_step_summary **out) {
    size_t len = 0, cap = 1 << 16;
    char *buf = pf_xmalloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0)
        if ((len += n) == cap) buf = pf_xrealloc(buf, cap *= 2);
    pf_error *err = ferror(f) ? pf_error_new(PF_EIO, "", "error while reading %s", path) : scan(buf, len, path, out);
    free(buf);
    return err;
}

pf_error *pf_step_scan_file(const char *path, pf_step_summary **out) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        return pf_error_new(e == ENOENT ? PF_ENOTFOUND : PF_EIO, "", "cannot read %s: %s", path, strerror(e));
    }
    /* A regular file is mapped and split in place: no copy into a buffer,
     * and the pages come straight from the page cache (populated at once:
     * one call instead of a fault per few pages). */
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        close(fd);
        if (map == MAP_FAILED) return pf_error_new(PF_EIO, "", "cannot read %s: %s", path, strerror(errno));
        pf_error *err = scan(map, (size_t)st.st_size, path, out);
        munmap(map, (size_t)st.st_size);
        return err;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return pf_error_new(PF_EIO, "", "cannot read %s: %s", path, strerror(errno));
    }
    pf_error *err = scan_unmappable(f, path, out);
    fclose(f);
    return err;
}

void pf_step_summary_free(pf_step_summary *s) {
    if (!s) return;
    pf_arena_free(&s->arena);
    free(s->records.items);
    free(s->records.kinds);
    free(s->records.ids);
    free(s->records.slots);
    for (size_t i = 0; i < s->n_tree; i++) {
        free(s->tree[i].path);
        free(s->tree[i].name);
        free(s->tree[i].parent);
        free(s->tree[i].product);
        free(s->tree[i].instance_of);
    }
    free(s->tree);
    json_decref(s->products);
    json_decref(s->colours);
    free(s->schema);
    free(s->unit_name);
    free(s);
}

json_t *pf_step_summary_json(const pf_step_summary *s) {
    json_t *tree = json_array();
    size_t assemblies = 0;
    for (size_t i = 0; i < s->n_tree; i++) {
        const tree_node *n = &s->tree[i];
        assemblies += n->is_assembly;
        json_t *node = json_object();
        set_text(node, "path", n->path);
        set_text(node, "name", n->name);
        set_text(node, "parent", n->parent);
        set_text(node, "product", n->product);
        set_text(node, "instance_of", n->instance_of);
        json_object_set_new_nocheck(node, "is_assembly", json_boolean(n->is_assembly));
        json_object_set_new_nocheck(node, "colour", n->has_colour ? rgb_json(n->colour) : json_null());
        json_array_append_new(tree, node);
    }
    json_t *unit = s->unit_name ? json_pack("{s:s, s:f}", "name", s->unit_name, "metres_per_unit", s->metres_per_unit)
                                : json_null();
    return json_pack("{s:s?, s:o, s:I, s:O, s:o, s:O, s:{s:I, s:I, s:I, s:I, s:b}}", "schema", s->schema, "length_unit",
                     unit, "entity_count", (json_int_t)s->entity_count, "products", s->products, "tree", tree,
                     "colours", s->colours, "summary", "products", (json_int_t)json_array_size(s->products),
                     "assemblies", (json_int_t)assemblies, "instances", (json_int_t)s->n_tree, "assembly_links",
                     (json_int_t)s->n_nauo, "tree_truncated", s->truncated_tree);
}
