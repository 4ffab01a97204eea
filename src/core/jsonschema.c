#include "core/jsonschema.h"

#include "core/closest.h"

#include "core/json_text.h"
#include "core/mem.h"
#include "core/regex.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Where an instance value sits, as a chain of stack frames; the pointer
 * text is built only when a problem is reported, which keeps the valid
 * path free of allocations. */
typedef struct seg {
    const struct seg *parent;
    const char *key; /* NULL for an array index, or on the root frame */
    size_t index;
    const char *base; /* only on the root frame */
} seg;

/* A validation pass either collects problems (errs != NULL) or only
 * answers yes/no, which oneOf/anyOf need and which stops at the first miss.
 * budget: what pattern matching may still cost, shared with the passes
 * anyOf/oneOf start (see PF_REGEX_BUDGET). */
typedef struct {
    pf_errors *errs;
    size_t failures;
    long *budget;
    pf_schema_visit_fn visit; /* items of the root's array members (pf_schema_run_visiting) */
    void *visit_user;
} pass;

static char *pointer_of(const seg *s) {
    if (!s->parent) return pf_strdup(s->base ? s->base : "");
    char *up = pointer_of(s->parent);
    char *out = s->key ? pf_ptr_join(up, s->key) : pf_ptr_index(up, s->index);
    free(up);
    return out;
}

/* The subject of a sentence: the value's name, quoted. */
static char *subject(const seg *s) {
    if (!s->parent) {
        const char *last = s->base ? strrchr(s->base, '/') : NULL;
        return last ? pf_asprintf("\"%s\"", last + 1) : pf_strdup("the value");
    }
    if (s->key) return pf_asprintf("\"%s\"", s->key);
    return pf_asprintf("item %zu", s->index);
}

static void fail(pass *p, const seg *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(pass *p, const seg *at, const char *fmt, ...) {
    p->failures++;
    if (!p->errs) return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = pf_vasprintf(fmt, ap);
    va_end(ap);
    char *ptr = pointer_of(at);
    char *who = subject(at);
    /* A message that starts with "@" starts with the value's name. */
    char *full = msg[0] == '@' ? pf_asprintf("%s%s", who, msg + 1) : NULL;
    pf_errors_add(p->errs, PF_EINVAL, ptr, "%s", full ? full : msg);
    free(full);
    free(who);
    free(ptr);
    free(msg);
}

static char *show(const json_t *v) {
    char *text = pf_json_text(v, true);
    if (text && strlen(text) > 60) strcpy(text + 57, "...");
    return text ? text : pf_strdup("?");
}

static const char *type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static size_t utf8_length(const char *s, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return count;
}

static char *num(double v) {
    if (v == floor(v) && fabs(v) < 1e15) return pf_asprintf("%lld", (long long)v);
    return pf_asprintf("%g", v);
}

static void check_const(pass *p, const json_t *c, const json_t *inst, const seg *at) {
    if (pf_json_equal(c, inst)) return;
    char *want = show(c);
    fail(p, at, "@ must be %s", want);
    free(want);
}

static void check_enum(pass *p, const json_t *e, const json_t *inst, const seg *at) {
    size_t i;
    const json_t *v;
    json_array_foreach(e, i, v) {
        if (pf_json_equal(v, inst)) return;
    }
    char *want = show(e), *got = show(inst);
    fail(p, at, "@ must be one of %s, not %s", want, got);
    free(want);
    free(got);
}

static void bound(pass *p, const char *key, const json_t *b, const json_t *inst, const seg *at) {
    if (!json_is_number(b) || !json_is_number(inst)) return;
    double v = json_number_value(inst), limit = json_number_value(b);
    bool min = strstr(key, "inimum") != NULL, exclusive = key[0] == 'e';
    bool ok = min ? (exclusive ? v > limit : v >= limit) : (exclusive ? v < limit : v <= limit);
    if (ok) return;
    const char *rel = min ? (exclusive ? "greater than" : "at least") : (exclusive ? "less than" : "at most");
    char *lim = num(limit), *got = num(v);
    fail(p, at, "@ must be %s %s (got %s)", rel, lim, got);
    free(lim);
    free(got);
}

static void check_length(pass *p, const char *key, const json_t *b, const json_t *inst, const seg *at) {
    if (!json_is_number(b) || !json_is_string(inst)) return;
    size_t bytes = json_string_length(inst);
    double limit = json_number_value(b);
    /* A character is 1 to 4 bytes: the byte length mostly settles it
     * without counting (ids, names and ports are well within bounds). */
    if (key[1] == 'a' ? (double)bytes <= limit : (double)((bytes + 3) / 4) >= limit) return;
    size_t len = utf8_length(json_string_value(inst), bytes);
    if (key[1] == 'i' && (double)len < limit)
        fail(p, at, "@ must be at least %lld characters long (got %zu)", (long long)limit, len);
    if (key[1] == 'a' && (double)len > limit)
        fail(p, at, "@ must be at most %lld characters long (got %zu)", (long long)limit, len);
}

static void check_count(pass *p, const char *key, const json_t *b, const json_t *inst, const seg *at) {
    if (!json_is_number(b) || !json_is_array(inst)) return;
    size_t n = json_array_size(inst);
    double limit = json_number_value(b);
    if (key[1] == 'i' && (double)n < limit)
        fail(p, at, "@ must have at least %lld items (got %zu)", (long long)limit, n);
    if (key[1] == 'a' && (double)n > limit)
        fail(p, at, "@ must have at most %lld items (got %zu)", (long long)limit, n);
}

static void check_required(pass *p, const json_t *req, const json_t *inst, const seg *at) {
    if (!json_is_object(inst)) return;
    bool root = !at->parent && !(at->base && at->base[0]);
    size_t i;
    const json_t *r;
    json_array_foreach(req, i, r) {
        const char *name = json_string_value(r);
        if (!name || json_object_get(inst, name)) continue;
        if (root)
            fail(p, at, "the document is missing the required property \"%s\"", name);
        else
            fail(p, at, "@ is missing the required property \"%s\"", name);
    }
}

/* ---- compiled schemas ----
 * A schema is compiled once into a tree of C structs: keyword values are
 * read, patterns compiled and property names listed up front, so validating
 * many documents against one schema costs no hashing and no pattern
 * compilation. */

enum { T_NULL = 1, T_BOOL = 2, T_OBJECT = 4, T_ARRAY = 8, T_NUMBER = 16, T_STRING = 32, T_INTEGER = 64 };

typedef struct named_schema {
    const char *key;
    pf_schema *schema;
    bool required; /* named in the schema's "required" */
} named_schema;

typedef struct pattern_schema {
    const char *pattern;
    pf_regex re;
    char *refused; /* why the pattern did not compile, or NULL */
    pf_schema *schema;
} pattern_schema;

struct pf_schema {
    signed char boolean; /* -1: an object schema; 0: false; 1: true */
    unsigned types;      /* 0: any */
    const json_t *type_json, *enum_json, *const_json;
    const char *bound_key[4]; /* minimum, maximum, exclusiveMinimum, exclusiveMaximum, as given */
    const json_t *bound[4];
    const json_t *min_length, *max_length, *min_items, *max_items;
    bool unique_items;
    const char *pattern;
    pf_regex re;
    char *pattern_refused; /* why the pattern did not compile, or NULL */
    const json_t *required;
    size_t n_required_props; /* distinct "required" names, when all are listed properties; else 0 */
    named_schema *props;
    size_t n_props;
    pattern_schema *pprops;
    size_t n_pprops;
    bool object_pass;
    bool extra_false;
    pf_schema *extra;
    pf_schema *items;      /* one schema for every item */
    pf_schema **item_list; /* positional items */
    size_t n_item_list;
    pf_schema *extra_items;
    pf_schema **any_of, **one_of;
    size_t n_any_of, n_one_of;
};

static unsigned type_bit(const char *t) {
    static const struct {
        const char *name;
        unsigned bit;
    } map[] = {{"null", T_NULL},     {"boolean", T_BOOL},  {"object", T_OBJECT},  {"array", T_ARRAY},
               {"number", T_NUMBER}, {"string", T_STRING}, {"integer", T_INTEGER}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(map[i].name, t)) return map[i].bit;
    return 0;
}

static pf_schema **compile_list(const json_t *arr, size_t *n) {
    *n = json_array_size(arr);
    pf_schema **out = pf_xcalloc(*n + 1, sizeof *out);
    for (size_t i = 0; i < *n; i++)
        out[i] = pf_schema_compile(json_array_get(arr, i));
    return out;
}

static int named_cmp(const void *a, const void *b) {
    return strcmp(((const named_schema *)a)->key, ((const named_schema *)b)->key);
}

static named_schema *prop_entry(const pf_schema *s, const char *key);

/* When every "required" name is a listed property, an object's members
 * tell whether they are all there, without a look-up per name. */
static void mark_required(pf_schema *s) {
    size_t i, n = 0;
    const json_t *r;
    json_array_foreach(s->required, i, r) {
        named_schema *e = json_is_string(r) ? prop_entry(s, json_string_value(r)) : NULL;
        if (!e) {
            for (size_t k = 0; k < s->n_props; k++)
                s->props[k].required = false;
            return;
        }
        if (!e->required) n++;
        e->required = true;
    }
    s->n_required_props = n;
}

pf_schema *pf_schema_compile(const json_t *schema) {
    pf_schema *s = pf_xcalloc(1, sizeof *s);
    if (json_is_boolean(schema) || !json_is_object(schema)) {
        s->boolean = json_is_false(schema) ? 0 : 1;
        return s;
    }
    s->boolean = -1;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)schema, key, v) {
        if (!strcmp(key, "type")) {
            s->type_json = v;
            if (json_is_string(v)) s->types = type_bit(json_string_value(v));
            size_t i;
            const json_t *t;
            json_array_foreach(v, i, t) s->types |= json_is_string(t) ? type_bit(json_string_value(t)) : 0;
            if (!s->types) s->types = ~0u; /* only unknown names: pf_schema_check reports them */
        } else if (!strcmp(key, "enum") && json_is_array(v))
            s->enum_json = v;
        else if (!strcmp(key, "const"))
            s->const_json = v;
        else if (!strcmp(key, "minimum"))
            s->bound_key[0] = key, s->bound[0] = v;
        else if (!strcmp(key, "maximum"))
            s->bound_key[1] = key, s->bound[1] = v;
        else if (!strcmp(key, "exclusiveMinimum"))
            s->bound_key[2] = key, s->bound[2] = v;
        else if (!strcmp(key, "exclusiveMaximum"))
            s->bound_key[3] = key, s->bound[3] = v;
        else if (!strcmp(key, "minLength"))
            s->min_length = v;
        else if (!strcmp(key, "maxLength"))
            s->max_length = v;
        else if (!strcmp(key, "minItems"))
            s->min_items = v;
        else if (!strcmp(key, "maxItems"))
            s->max_items = v;
        else if (!strcmp(key, "uniqueItems"))
            s->unique_items = json_is_true(v);
        else if (!strcmp(key, "pattern") && json_is_string(v)) {
            s->pattern = json_string_value(v);
            s->pattern_refused = pf_regex_compile(&s->re, s->pattern, json_string_length(v));
        } else if (!strcmp(key, "required") && json_is_array(v))
            s->required = v;
        else if (!strcmp(key, "properties") && json_is_object(v)) {
            s->object_pass = true;
            s->props = pf_xcalloc(json_object_size(v) + 1, sizeof *s->props);
            const char *pk;
            const json_t *pv;
            json_object_foreach((json_t *)v, pk, pv) {
                s->props[s->n_props].key = pk;
                s->props[s->n_props++].schema = pf_schema_compile(pv);
            }
            if (s->n_props) qsort(s->props, s->n_props, sizeof *s->props, named_cmp);
        } else if (!strcmp(key, "patternProperties") && json_is_object(v)) {
            s->object_pass = true;
            s->pprops = pf_xcalloc(json_object_size(v) + 1, sizeof *s->pprops);
            const char *pk;
            const json_t *pv;
            json_object_foreach((json_t *)v, pk, pv) {
                pattern_schema *ps = &s->pprops[s->n_pprops++];
                ps->pattern = pk;
                ps->refused = pf_regex_compile(&ps->re, pk, strlen(pk));
                ps->schema = pf_schema_compile(pv);
            }
        } else if (!strcmp(key, "additionalProperties")) {
            s->object_pass = true;
            if (json_is_false(v))
                s->extra_false = true;
            else if (json_is_object(v))
                s->extra = pf_schema_compile(v);
        } else if (!strcmp(key, "items")) {
            if (json_is_array(v))
                s->item_list = compile_list(v, &s->n_item_list);
            else
                s->items = pf_schema_compile(v);
        } else if (!strcmp(key, "additionalItems"))
            s->extra_items = pf_schema_compile(v);
        else if (!strcmp(key, "anyOf") && json_is_array(v))
            s->any_of = compile_list(v, &s->n_any_of);
        else if (!strcmp(key, "oneOf") && json_is_array(v))
            s->one_of = compile_list(v, &s->n_one_of);
    }
    mark_required(s);
    return s;
}

static void free_list(pf_schema **list, size_t n) {
    for (size_t i = 0; i < n; i++)
        pf_schema_free(list[i]);
    free(list);
}

void pf_schema_free(pf_schema *s) {
    if (!s) return;
    pf_regex_free(&s->re);
    free(s->pattern_refused);
    for (size_t i = 0; i < s->n_props; i++)
        pf_schema_free(s->props[i].schema);
    free(s->props);
    for (size_t i = 0; i < s->n_pprops; i++) {
        pf_regex_free(&s->pprops[i].re);
        free(s->pprops[i].refused);
        pf_schema_free(s->pprops[i].schema);
    }
    free(s->pprops);
    pf_schema_free(s->extra);
    pf_schema_free(s->items);
    free_list(s->item_list, s->n_item_list);
    pf_schema_free(s->extra_items);
    free_list(s->any_of, s->n_any_of);
    free_list(s->one_of, s->n_one_of);
    free(s);
}

static void run(pass *p, const pf_schema *s, const json_t *inst, const seg *at);

static bool compiled_valid(const pf_schema *s, const json_t *inst, long *budget) {
    pass p = {.budget = budget};
    seg root = {.base = ""};
    run(&p, s, inst, &root);
    return p.failures == 0;
}

static bool type_ok(unsigned types, const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return types & T_OBJECT;
    case JSON_ARRAY: return types & T_ARRAY;
    case JSON_STRING: return types & T_STRING;
    case JSON_INTEGER: return types & (T_INTEGER | T_NUMBER);
    case JSON_REAL:
        if (types & T_NUMBER) return true;
        return (types & T_INTEGER) && isfinite(json_real_value(v)) && json_real_value(v) == floor(json_real_value(v));
    case JSON_TRUE:
    case JSON_FALSE: return types & T_BOOL;
    default: return types & T_NULL;
    }
}

static named_schema *prop_entry(const pf_schema *s, const char *key) {
    size_t lo = 0, hi = s->n_props;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strcmp(s->props[mid].key, key);
        if (r == 0) return &s->props[mid];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

typedef struct {
    const char *key;
    const json_t *value;
    const named_schema *prop;
} member;

/* A name the schema does not list; a near miss of a listed one (a typo in
 * a --set key or a form field) gets that name as a suggestion. */
static void unknown_property(pass *p, const pf_schema *s, const char *key, const seg *at) {
    pf_closest near;
    pf_closest_init(&near, key);
    for (size_t i = 0; p->errs && i < s->n_props; i++)
        pf_closest_offer(&near, s->props[i].key);
    if (pf_closest_best(&near))
        fail(p, at, "unknown property \"%s\"; did you mean \"%s\"?", key, pf_closest_best(&near));
    else
        fail(p, at, "unknown property \"%s\"", key);
}

static void run_object(pass *p, const pf_schema *s, const json_t *inst, const seg *at) {
    if (!s->object_pass) {
        if (s->required) check_required(p, s->required, inst, at);
        return;
    }
    /* The members with their property schemas, found once; they also say
     * whether the required ones are all there. */
    member local[16], *members = local;
    size_t n = json_object_size(inst), k = 0, required_seen = 0;
    if (n > sizeof local / sizeof *local) members = pf_xmalloc(n * sizeof *members);
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)inst, key, value) {
        if (k == n) break;
        const named_schema *e = prop_entry(s, key);
        members[k++] = (member){key, value, e};
        required_seen += e && e->required;
    }
    if (s->required && (!s->n_required_props || required_seen < s->n_required_props))
        check_required(p, s->required, inst, at);
    for (size_t m = 0; m < k; m++) {
        key = members[m].key, value = members[m].value;
        if (!p->errs && p->failures) break;
        seg child = {.parent = at, .key = key};
        const pf_schema *sub = members[m].prop ? members[m].prop->schema : NULL;
        bool known = sub != NULL;
        if (sub) run(p, sub, value, &child);
        for (size_t i = 0; i < s->n_pprops; i++) {
            const pattern_schema *ps = &s->pprops[i];
            int found = ps->refused ? 0 : pf_regex_search(&ps->re, key, strlen(key), p->budget);
            if (found == 1) {
                known = true;
                run(p, ps->schema, value, &child);
            } else if ((found < 0 || ps->refused) && !p->errs) {
                p->failures++; /* a name that cannot be checked is not taken as valid */
            } else if (found < 0 || ps->refused) {
                char *shown = pf_regex_shown(ps->pattern);
                if (ps->refused)
                    fail(p, &child, "@ cannot be checked against the pattern property %s: %s", shown, ps->refused);
                else
                    fail(p, &child, "@ cannot be checked: the pattern property %s %s", shown, pf_regex_failure(found));
                free(shown);
            }
        }
        if (!known && s->extra_false)
            unknown_property(p, s, key, &child);
        else if (!known && s->extra)
            run(p, s->extra, value, &child);
    }
    if (members != local) free(members);
}

static void check_unique(pass *p, const json_t *inst, const seg *at) {
    size_t n = json_array_size(inst);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (pf_json_equal(json_array_get(inst, i), json_array_get(inst, j))) {
                fail(p, at, "@ must not repeat an item (items %zu and %zu are equal)", i, j);
                return;
            }
}

static void run_array(pass *p, const pf_schema *s, const json_t *inst, const seg *at) {
    if (s->min_items) check_count(p, "minItems", s->min_items, inst, at);
    if (s->max_items) check_count(p, "maxItems", s->max_items, inst, at);
    if (s->unique_items) check_unique(p, inst, at);
    size_t n = json_array_size(inst);
    for (size_t i = 0; i < n && (s->items || s->item_list); i++) {
        const pf_schema *sub = s->items ? s->items : i < s->n_item_list ? s->item_list[i] : s->extra_items;
        if (!sub) continue;
        seg child = {.parent = at, .index = i};
        run(p, sub, json_array_get(inst, i), &child);
        if (p->visit && at->key && at->parent && !at->parent->parent)
            p->visit(p->visit_user, at->key, i, json_array_get(inst, i));
        if (!p->errs && p->failures) return;
    }
}

static void run_string(pass *p, const pf_schema *s, const json_t *inst, const seg *at) {
    if (s->min_length) check_length(p, "minLength", s->min_length, inst, at);
    if (s->max_length) check_length(p, "maxLength", s->max_length, inst, at);
    if (!s->pattern) return;
    int found =
        s->pattern_refused ? 0 : pf_regex_search(&s->re, json_string_value(inst), json_string_length(inst), p->budget);
    if (found == 1) return;
    if (!p->errs) { /* a yes/no pass: no sentence to build */
        p->failures++;
        return;
    }
    char *shown = pf_regex_shown(s->pattern);
    if (s->pattern_refused)
        fail(p, at, "@ cannot be checked against the pattern %s: %s", shown, s->pattern_refused);
    else if (found < 0)
        fail(p, at, "@ cannot be checked: the pattern %s %s", shown, pf_regex_failure(found));
    else
        fail(p, at, "@ must match the pattern %s", shown);
    free(shown);
}

static void run(pass *p, const pf_schema *s, const json_t *inst, const seg *at) {
    if (s->boolean == 1) return;
    if (s->boolean == 0) {
        fail(p, at, "@ is not allowed here");
        return;
    }
    if (s->types && !type_ok(s->types, inst)) {
        char *want = show(s->type_json);
        fail(p, at, "@ must be of type %s, not %s", want, type_name(inst));
        free(want);
    }
    if (s->const_json) check_const(p, s->const_json, inst, at);
    if (s->enum_json) check_enum(p, s->enum_json, inst, at);
    switch (json_typeof(inst)) {
    case JSON_OBJECT: run_object(p, s, inst, at); break;
    case JSON_ARRAY: run_array(p, s, inst, at); break;
    case JSON_STRING: run_string(p, s, inst, at); break;
    case JSON_INTEGER:
    case JSON_REAL:
        for (int i = 0; i < 4; i++)
            if (s->bound[i]) bound(p, s->bound_key[i], s->bound[i], inst, at);
        break;
    default: break;
    }
    if (s->n_any_of) {
        bool ok = false;
        for (size_t i = 0; i < s->n_any_of && !ok; i++)
            ok = compiled_valid(s->any_of[i], inst, p->budget);
        if (!ok) fail(p, at, "@ matches none of the %zu allowed forms (anyOf)", s->n_any_of);
    }
    if (s->n_one_of) {
        size_t matched = 0;
        for (size_t i = 0; i < s->n_one_of; i++)
            matched += compiled_valid(s->one_of[i], inst, p->budget);
        if (matched != 1)
            fail(p, at, "@ must match exactly one of the %zu allowed forms (oneOf), but matches %zu", s->n_one_of,
                 matched);
    }
}

static size_t run_with(const pf_schema *schema, const json_t *instance, const char *base_pointer, pf_errors *out,
                       long *budget) {
    pass p = {.errs = out, .budget = budget};
    seg root = {.base = base_pointer ? base_pointer : ""};
    run(&p, schema, instance, &root);
    return p.failures;
}

size_t pf_schema_run(const pf_schema *schema, const json_t *instance, const char *base_pointer, pf_errors *out) {
    long budget = PF_REGEX_BUDGET;
    return run_with(schema, instance, base_pointer, out, &budget);
}

size_t pf_schema_run_visiting(const pf_schema *schema, const json_t *instance, const char *base_pointer, pf_errors *out,
                              pf_schema_visit_fn visit, void *user) {
    long budget = PF_REGEX_BUDGET;
    pass p = {.errs = out, .budget = &budget, .visit = visit, .visit_user = user};
    seg root = {.base = base_pointer ? base_pointer : ""};
    run(&p, schema, instance, &root);
    return p.failures;
}

static size_t validate_with(const json_t *schema, const json_t *instance, const char *base_pointer, pf_errors *out,
                            long *budget) {
    pf_schema *s = pf_schema_compile(schema);
    size_t n = run_with(s, instance, base_pointer, out, budget);
    pf_schema_free(s);
    return n;
}

size_t pf_schema_validate(const json_t *schema, const json_t *instance, const char *base_pointer, pf_errors *out) {
    long budget = PF_REGEX_BUDGET;
    return validate_with(schema, instance, base_pointer, out, &budget);
}

size_t pf_schema_validate_paid(const json_t *schema, const json_t *instance, const char *base_pointer, pf_errors *out,
                               long *budget) {
    return validate_with(schema, instance, base_pointer, out, budget);
}

bool pf_schema_is_valid(const json_t *schema, const json_t *instance) {
    pf_schema *s = pf_schema_compile(schema);
    long budget = PF_REGEX_BUDGET;
    bool ok = compiled_valid(s, instance, &budget);
    pf_schema_free(s);
    return ok;
}

/* Whether pf_schema_apply_defaults would fill in anything. */
static bool defaults_missing(const json_t *schema, const json_t *instance) {
    if (!json_is_object(instance)) return false;
    const char *key;
    const json_t *sub;
    json_object_foreach(json_object_get(schema, "properties"), key, sub) {
        const json_t *have = json_object_get(instance, key);
        if (!have && json_object_get(sub, "default")) return true;
        if (json_is_object(have) && json_object_get(sub, "properties") && defaults_missing(sub, have)) return true;
    }
    return false;
}

json_t *pf_schema_apply_defaults(const json_t *schema, const json_t *instance) {
    /* Complete params (what the runtime hands the module layer) are not
     * copied again. */
    if (!defaults_missing(schema, instance)) return json_incref((json_t *)instance);
    /* Shallow: untouched values are shared, only filled-in levels are new. */
    json_t *out = json_copy((json_t *)instance);
    if (!json_is_object(out)) return out;
    const char *key;
    const json_t *sub;
    json_object_foreach(json_object_get(schema, "properties"), key, sub) {
        json_t *have = json_object_get(out, key);
        const json_t *def = json_object_get(sub, "default");
        if (!have && def) {
            json_object_set_new(out, key, json_deep_copy(def));
        } else if (json_is_object(have) && json_object_get(sub, "properties")) {
            json_object_set_new(out, key, pf_schema_apply_defaults(sub, have));
        }
    }
    return out;
}

/* ---- checking a schema itself ---- */

static const char *const annotations[] = {"title",   "description", "default",  "examples", "$comment",
                                          "$schema", "$id",         "readOnly", "writeOnly"};
static const char *const number_keys[] = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"};
static const char *const count_keys[] = {"minLength", "maxLength", "minItems", "maxItems"};
static const char *const schema_keys[] = {"additionalProperties", "additionalItems"};
static const char *const list_keys[] = {"anyOf", "oneOf"};
static const char *const map_keys[] = {"properties", "patternProperties"};
static const char *const types[] = {"null", "boolean", "object", "array", "number", "string", "integer"};

#define IN(list, key) in_list(list, sizeof list / sizeof *list, key)
static bool in_list(const char *const *list, size_t n, const char *key) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], key)) return true;
    return false;
}

/* budget: one for the whole pf_schema_check, which validates every default. */
static void check_schema(pf_errors *out, size_t *count, const json_t *schema, const char *ptr, long *budget);

static void bad(pf_errors *out, size_t *count, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void bad(pf_errors *out, size_t *count, const char *ptr, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pf_errors_vadd(out, PF_EINVAL, ptr, fmt, ap);
    va_end(ap);
    (*count)++;
}

static void check_keyword(pf_errors *out, size_t *count, const char *key, const json_t *v, const char *kp,
                          long *budget) {
    if (IN(annotations, key)) return;
    if (!strcmp(key, "type")) {
        const json_t *t;
        size_t i;
        if (json_is_string(v) && !IN(types, json_string_value(v)))
            bad(out, count, kp, "unknown type \"%s\"", json_string_value(v));
        else if (json_is_array(v)) {
            json_array_foreach(v, i, t) if (!json_is_string(t) || !IN(types, json_string_value(t)))
                bad(out, count, kp, "unknown type in the type list");
        } else if (!json_is_string(v))
            bad(out, count, kp, "\"type\" must be a string or a list of strings");
    } else if (!strcmp(key, "enum")) {
        if (!json_is_array(v)) bad(out, count, kp, "\"enum\" must be an array");
    } else if (!strcmp(key, "const")) {
    } else if (IN(number_keys, key)) {
        if (!json_is_number(v)) bad(out, count, kp, "\"%s\" must be a number", key);
    } else if (IN(count_keys, key)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            bad(out, count, kp, "\"%s\" must be a non-negative integer", key);
    } else if (!strcmp(key, "uniqueItems")) {
        if (!json_is_boolean(v)) bad(out, count, kp, "\"uniqueItems\" must be a boolean");
    } else if (!strcmp(key, "pattern")) {
        pf_regex re = {0};
        char *why = json_is_string(v) ? pf_regex_compile(&re, json_string_value(v), json_string_length(v))
                                      : pf_strdup("\"pattern\" must be a string");
        if (why) bad(out, count, kp, "%s", why);
        pf_regex_free(&re);
        free(why);
    } else if (!strcmp(key, "required")) {
        size_t i;
        const json_t *r;
        if (!json_is_array(v)) bad(out, count, kp, "\"required\" must be an array of names");
        json_array_foreach(v, i, r) if (!json_is_string(r))
            bad(out, count, kp, "\"required\" must be an array of names");
    } else if (IN(map_keys, key)) {
        const char *name;
        const json_t *sub;
        if (!json_is_object(v)) bad(out, count, kp, "\"%s\" must be an object of schemas", key);
        json_object_foreach((json_t *)v, name, sub) {
            char *sp = pf_ptr_join(kp, name);
            if (!strcmp(key, "patternProperties")) {
                pf_regex re;
                char *why = pf_regex_compile(&re, name, strlen(name));
                if (why) bad(out, count, sp, "%s", why);
                pf_regex_free(&re);
                free(why);
            }
            check_schema(out, count, sub, sp, budget);
            free(sp);
        }
    } else if (IN(schema_keys, key)) {
        check_schema(out, count, v, kp, budget);
    } else if (!strcmp(key, "items")) {
        if (json_is_array(v)) {
            size_t i;
            const json_t *sub;
            json_array_foreach(v, i, sub) {
                char *sp = pf_ptr_index(kp, i);
                check_schema(out, count, sub, sp, budget);
                free(sp);
            }
        } else
            check_schema(out, count, v, kp, budget);
    } else if (IN(list_keys, key)) {
        size_t i;
        const json_t *sub;
        if (!json_is_array(v) || !json_array_size(v))
            bad(out, count, kp, "\"%s\" must be a non-empty array of schemas", key);
        json_array_foreach(v, i, sub) {
            char *sp = pf_ptr_index(kp, i);
            check_schema(out, count, sub, sp, budget);
            free(sp);
        }
    } else {
        bad(out, count, kp, "the keyword \"%s\" is not in the supported JSON Schema subset", key);
    }
}

static void check_schema(pf_errors *out, size_t *count, const json_t *schema, const char *ptr, long *budget) {
    if (json_is_boolean(schema)) return;
    if (!json_is_object(schema)) {
        bad(out, count, ptr, "a schema must be an object or a boolean");
        return;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)schema, key, v) {
        char *kp = pf_ptr_join(ptr, key);
        check_keyword(out, count, key, v, kp, budget);
        free(kp);
    }
    const json_t *def = json_object_get(schema, "default");
    pf_errors why;
    pf_errors_init(&why);
    if (def && validate_with(schema, def, "", &why, budget)) {
        /* The first reason, so a default that is too costly to match says so. */
        char *dp = pf_ptr_join(ptr, "default");
        bad(out, count, dp, "the default does not satisfy its own schema: %s", why.items[0].message);
        free(dp);
    }
    pf_errors_clear(&why);
}

size_t pf_schema_check_paid(const json_t *schema, const char *base_pointer, pf_errors *out, long *budget) {
    size_t count = 0;
    check_schema(out, &count, schema, base_pointer ? base_pointer : "", budget);
    return count;
}

size_t pf_schema_check(const json_t *schema, const char *base_pointer, pf_errors *out) {
    long budget = PF_REGEX_BUDGET;
    return pf_schema_check_paid(schema, base_pointer, out, &budget);
}
