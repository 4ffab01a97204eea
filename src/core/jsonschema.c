#include "core/jsonschema.h"

#include "core/mem.h"

#include <math.h>
#include <regex.h>
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
 * answers yes/no, which oneOf/anyOf need and which stops at the first miss. */
typedef struct {
    pf_errors *errs;
    size_t failures;
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
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
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

bool pf_json_equal(const json_t *a, const json_t *b) {
    if (json_is_number(a) && json_is_number(b)) return json_number_value(a) == json_number_value(b);
    if (json_typeof(a) != json_typeof(b)) return false;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b)) return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!pf_json_equal(json_array_get(a, i), json_array_get(b, i))) return false;
        return true;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b)) return false;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v) {
            json_t *w = json_object_get(b, k);
            if (!w || !pf_json_equal(v, w)) return false;
        }
        return true;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

static bool has_type(const json_t *v, const char *type) {
    switch (type[0]) {
    case 'n': return type[2] == 'm' ? json_is_number(v) : json_is_null(v); /* number, null */
    case 'i':
        return json_is_integer(v) ||
               (json_is_real(v) && isfinite(json_real_value(v)) && json_real_value(v) == floor(json_real_value(v)));
    case 'b': return json_is_boolean(v);
    case 's': return json_is_string(v);
    case 'o': return json_is_object(v);
    case 'a': return json_is_array(v);
    default: return false;
    }
}

/* ECMA-262 escapes that POSIX ERE lacks, rewritten; (?: becomes (. */
static char *translate_pattern(const char *src) {
    char *out = pf_xmalloc(strlen(src) * 12 + 1), *w = out;
    bool in_class = false;
    for (const char *p = src; *p; p++) {
        if (p[0] == '\\' && p[1]) {
            const char *rep = NULL;
            switch (p[1]) {
            case 'd': rep = in_class ? "0-9" : "[0-9]"; break;
            case 'D': rep = "[^0-9]"; break;
            case 'w': rep = in_class ? "A-Za-z0-9_" : "[A-Za-z0-9_]"; break;
            case 'W': rep = "[^A-Za-z0-9_]"; break;
            case 's': rep = in_class ? "[:space:]" : "[[:space:]]"; break;
            case 'S': rep = "[^[:space:]]"; break;
            case '/': rep = "/"; break;
            default: break;
            }
            if (rep) {
                w = stpcpy(w, rep);
            } else if (in_class) {
                *w++ = p[1]; /* inside brackets an escaped char stands for itself */
            } else {
                *w++ = '\\';
                *w++ = p[1];
            }
            p++;
            continue;
        }
        if (!in_class && p[0] == '(' && p[1] == '?' && p[2] == ':') {
            *w++ = '(';
            p += 2;
            continue;
        }
        if (*p == '[' && !in_class)
            in_class = true;
        else if (*p == ']' && in_class)
            in_class = false;
        *w++ = *p;
    }
    *w = '\0';
    return out;
}

static int compile_pattern(regex_t *re, const char *pattern) {
    char *ere = translate_pattern(pattern);
    int rc = regcomp(re, ere, REG_EXTENDED | REG_NOSUB);
    free(ere);
    return rc;
}

static bool pattern_matches(const char *pattern, const char *s, bool *bad) {
    regex_t re;
    if (compile_pattern(&re, pattern) != 0) {
        *bad = true;
        return false;
    }
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
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

static void validate(pass *p, const json_t *schema, const json_t *inst, const seg *at);

static void check_type(pass *p, const json_t *type, const json_t *inst, const seg *at) {
    bool ok = false;
    if (json_is_string(type)) ok = has_type(inst, json_string_value(type));
    size_t i;
    const json_t *t;
    json_array_foreach(type, i, t) ok = ok || (json_is_string(t) && has_type(inst, json_string_value(t)));
    if (ok) return;
    char *want = show(type);
    fail(p, at, "@ must be of type %s, not %s", want, type_name(inst));
    free(want);
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
    size_t len = utf8_length(json_string_value(inst), json_string_length(inst));
    double limit = json_number_value(b);
    if (key[1] == 'i' && (double)len < limit)
        fail(p, at, "@ must be at least %lld characters long (got %zu)", (long long)limit, len);
    if (key[1] == 'a' && (double)len > limit)
        fail(p, at, "@ must be at most %lld characters long (got %zu)", (long long)limit, len);
}

static void check_pattern(pass *p, const json_t *pat, const json_t *inst, const seg *at) {
    const char *pattern = json_string_value(pat);
    if (!pattern || !json_is_string(inst)) return;
    bool bad = false;
    if (pattern_matches(pattern, json_string_value(inst), &bad)) return;
    if (bad)
        fail(p, at, "@ cannot be checked: the schema's pattern %s does not compile", pattern);
    else
        fail(p, at, "@ must match the pattern %s", pattern);
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

static void check_items(pass *p, const json_t *items, const json_t *extra, const json_t *inst, const seg *at) {
    if (!json_is_array(inst)) return;
    size_t n = json_array_size(inst);
    for (size_t i = 0; i < n; i++) {
        const json_t *sub =
            json_is_array(items) ? (i < json_array_size(items) ? json_array_get(items, i) : extra) : items;
        if (!sub) continue;
        seg child = {.parent = at, .index = i};
        validate(p, sub, json_array_get(inst, i), &child);
        if (!p->errs && p->failures) return;
    }
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

static void check_properties(pass *p, const json_t *props, const json_t *pprops, const json_t *extra,
                             const json_t *inst, const seg *at) {
    if (!json_is_object(inst)) return;
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)inst, key, value) {
        if (!p->errs && p->failures) return;
        seg child = {.parent = at, .key = key};
        const json_t *sub = props ? json_object_get(props, key) : NULL;
        bool known = sub != NULL;
        if (sub) validate(p, sub, value, &child);
        const char *pattern;
        const json_t *psub;
        json_object_foreach((json_t *)pprops, pattern, psub) {
            bool bad = false;
            if (pattern_matches(pattern, key, &bad)) {
                known = true;
                validate(p, psub, value, &child);
            }
        }
        if (!known && json_is_false(extra))
            fail(p, &child, "unknown property \"%s\"", key);
        else if (!known && json_is_object(extra))
            validate(p, extra, value, &child);
    }
}

static void check_any_of(pass *p, const json_t *any, const json_t *inst, const seg *at) {
    size_t i;
    const json_t *sub;
    json_array_foreach(any, i, sub) {
        if (pf_schema_is_valid(sub, inst)) return;
    }
    fail(p, at, "@ matches none of the %zu allowed forms (anyOf)", json_array_size(any));
}

static void check_one_of(pass *p, const json_t *one, const json_t *inst, const seg *at) {
    size_t matched = 0, i;
    const json_t *sub;
    json_array_foreach(one, i, sub) matched += pf_schema_is_valid(sub, inst);
    if (matched != 1)
        fail(p, at, "@ must match exactly one of the %zu allowed forms (oneOf), but matches %zu", json_array_size(one),
             matched);
}

/* One pass over the schema's own keywords: only those present cost anything. */
static void validate(pass *p, const json_t *schema, const json_t *inst, const seg *at) {
    if (json_is_true(schema)) return;
    if (json_is_false(schema)) {
        fail(p, at, "@ is not allowed here");
        return;
    }
    if (!json_is_object(schema)) return;
    const json_t *props = NULL, *pprops = NULL, *extra = NULL, *items = NULL, *extra_items = NULL;
    bool object_pass = false;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)schema, key, v) {
        switch (key[0]) {
        case 't':
            if (!strcmp(key, "type")) check_type(p, v, inst, at);
            break;
        case 'e':
            if (!strcmp(key, "enum"))
                check_enum(p, v, inst, at);
            else if (!strncmp(key, "exclusiveM", 10))
                bound(p, key, v, inst, at);
            break;
        case 'c':
            if (!strcmp(key, "const")) check_const(p, v, inst, at);
            break;
        case 'm':
            if (!strcmp(key, "minimum") || !strcmp(key, "maximum"))
                bound(p, key, v, inst, at);
            else if (!strcmp(key, "minLength") || !strcmp(key, "maxLength"))
                check_length(p, key, v, inst, at);
            else if (!strcmp(key, "minItems") || !strcmp(key, "maxItems"))
                check_count(p, key, v, inst, at);
            break;
        case 'p':
            if (!strcmp(key, "pattern"))
                check_pattern(p, v, inst, at);
            else if (!strcmp(key, "properties"))
                props = v, object_pass = true;
            else if (!strcmp(key, "patternProperties"))
                pprops = v, object_pass = true;
            break;
        case 'a':
            if (!strcmp(key, "additionalProperties"))
                extra = v, object_pass = true;
            else if (!strcmp(key, "additionalItems"))
                extra_items = v;
            else if (!strcmp(key, "anyOf") && json_is_array(v))
                check_any_of(p, v, inst, at);
            break;
        case 'i':
            if (!strcmp(key, "items")) items = v;
            break;
        case 'r':
            if (!strcmp(key, "required")) check_required(p, v, inst, at);
            break;
        case 'o':
            if (!strcmp(key, "oneOf") && json_is_array(v)) check_one_of(p, v, inst, at);
            break;
        default: break;
        }
    }
    if (object_pass) check_properties(p, props, pprops, extra, inst, at);
    if (items) check_items(p, items, extra_items, inst, at);
}

size_t pf_schema_validate(const json_t *schema, const json_t *instance, const char *base_pointer, pf_errors *out) {
    pass p = {.errs = out};
    seg root = {.base = base_pointer ? base_pointer : ""};
    validate(&p, schema, instance, &root);
    return p.failures;
}

bool pf_schema_is_valid(const json_t *schema, const json_t *instance) {
    pass p = {0};
    seg root = {.base = ""};
    validate(&p, schema, instance, &root);
    return p.failures == 0;
}

json_t *pf_schema_apply_defaults(const json_t *schema, const json_t *instance) {
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

static void check_schema(pf_errors *out, size_t *count, const json_t *schema, const char *ptr);

static void bad(pf_errors *out, size_t *count, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void bad(pf_errors *out, size_t *count, const char *ptr, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = pf_vasprintf(fmt, ap);
    va_end(ap);
    pf_errors_add(out, PF_EINVAL, ptr, "%s", msg);
    free(msg);
    (*count)++;
}

static void check_keyword(pf_errors *out, size_t *count, const char *key, const json_t *v, const char *kp) {
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
    } else if (!strcmp(key, "pattern")) {
        regex_t re;
        if (!json_is_string(v) || compile_pattern(&re, json_string_value(v)) != 0)
            bad(out, count, kp, "\"pattern\" is not a regular expression this validator supports");
        else
            regfree(&re);
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
            check_schema(out, count, sub, sp);
            free(sp);
        }
    } else if (IN(schema_keys, key)) {
        check_schema(out, count, v, kp);
    } else if (!strcmp(key, "items")) {
        if (json_is_array(v)) {
            size_t i;
            const json_t *sub;
            json_array_foreach(v, i, sub) {
                char *sp = pf_ptr_index(kp, i);
                check_schema(out, count, sub, sp);
                free(sp);
            }
        } else
            check_schema(out, count, v, kp);
    } else if (IN(list_keys, key)) {
        size_t i;
        const json_t *sub;
        if (!json_is_array(v) || !json_array_size(v))
            bad(out, count, kp, "\"%s\" must be a non-empty array of schemas", key);
        json_array_foreach(v, i, sub) {
            char *sp = pf_ptr_index(kp, i);
            check_schema(out, count, sub, sp);
            free(sp);
        }
    } else {
        bad(out, count, kp, "the keyword \"%s\" is not in the supported JSON Schema subset", key);
    }
}

static void check_schema(pf_errors *out, size_t *count, const json_t *schema, const char *ptr) {
    if (json_is_boolean(schema)) return;
    if (!json_is_object(schema)) {
        bad(out, count, ptr, "a schema must be an object or a boolean");
        return;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)schema, key, v) {
        char *kp = pf_ptr_join(ptr, key);
        check_keyword(out, count, key, v, kp);
        free(kp);
    }
    const json_t *def = json_object_get(schema, "default");
    if (def && !pf_schema_is_valid(schema, def)) {
        char *dp = pf_ptr_join(ptr, "default");
        bad(out, count, dp, "the default does not satisfy its own schema");
        free(dp);
    }
}

size_t pf_schema_check(const json_t *schema, const char *base_pointer, pf_errors *out) {
    size_t count = 0;
    check_schema(out, &count, schema, base_pointer ? base_pointer : "");
    return count;
}
