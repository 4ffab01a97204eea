#include "core/jsonschema.h"

#include "core/mem.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

/* A validation pass either collects problems (errs != NULL) or only
 * answers yes/no, which oneOf/anyOf need and which stops at the first miss. */
typedef struct {
    pf_errors *errs;
    size_t failures;
} pass;

static void fail(pass *p, const char *ptr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(pass *p, const char *ptr, const char *fmt, ...) {
    p->failures++;
    if (!p->errs) return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = pf_vasprintf(fmt, ap);
    va_end(ap);
    pf_errors_add(p->errs, PF_EINVAL, ptr, "%s", msg);
    free(msg);
}

/* The subject of a sentence: the last pointer token, quoted. */
static char *subject(const char *ptr) {
    const char *last = strrchr(ptr, '/');
    if (!last) return pf_strdup("the value");
    char *tok = pf_strdup(last + 1), *w = tok;
    for (const char *r = tok; *r; r++) {
        if (r[0] == '~' && r[1] == '0') { *w++ = '~'; r++; }
        else if (r[0] == '~' && r[1] == '1') { *w++ = '/'; r++; }
        else *w++ = *r;
    }
    *w = '\0';
    char *out = pf_asprintf("\"%s\"", tok);
    free(tok);
    return out;
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
    if (!strcmp(type, "number")) return json_is_number(v);
    if (!strcmp(type, "integer"))
        return json_is_integer(v) || (json_is_real(v) && isfinite(json_real_value(v)) &&
                                      json_real_value(v) == floor(json_real_value(v)));
    return !strcmp(type, type_name(v)) || (!strcmp(type, "boolean") && json_is_boolean(v));
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
        if (*p == '[' && !in_class) in_class = true;
        else if (*p == ']' && in_class) in_class = false;
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
    for (size_t i = 0; i < n; i++) count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return count;
}

static char *num(double v) {
    if (v == floor(v) && fabs(v) < 1e15) return pf_asprintf("%lld", (long long)v);
    return pf_asprintf("%g", v);
}

static void validate(pass *p, const json_t *schema, const json_t *inst, const char *ptr);

static void check_type(pass *p, const json_t *schema, const json_t *inst, const char *ptr) {
    const json_t *type = json_object_get(schema, "type");
    if (!type) return;
    bool ok = false;
    if (json_is_string(type)) ok = has_type(inst, json_string_value(type));
    size_t i;
    const json_t *t;
    json_array_foreach(type, i, t) ok = ok || (json_is_string(t) && has_type(inst, json_string_value(t)));
    if (ok) return;
    char *who = subject(ptr), *want = show(type);
    fail(p, ptr, "%s must be of type %s, not %s", who, want, type_name(inst));
    free(who);
    free(want);
}

static void check_enum_const(pass *p, const json_t *schema, const json_t *inst, const char *ptr) {
    const json_t *c = json_object_get(schema, "const");
    if (c && !pf_json_equal(c, inst)) {
        char *who = subject(ptr), *want = show(c);
        fail(p, ptr, "%s must be %s", who, want);
        free(who);
        free(want);
    }
    const json_t *e = json_object_get(schema, "enum");
    if (!json_is_array(e)) return;
    size_t i;
    const json_t *v;
    json_array_foreach(e, i, v) {
        if (pf_json_equal(v, inst)) return;
    }
    char *who = subject(ptr), *want = show(e), *got = show(inst);
    fail(p, ptr, "%s must be one of %s, not %s", who, want, got);
    free(who);
    free(want);
    free(got);
}

static void bound(pass *p, const json_t *schema, const char *key, double v, const char *ptr) {
    const json_t *b = json_object_get(schema, key);
    if (!json_is_number(b)) return;
    double limit = json_number_value(b);
    bool ok = !strcmp(key, "minimum")            ? v >= limit
              : !strcmp(key, "maximum")          ? v <= limit
              : !strcmp(key, "exclusiveMinimum") ? v > limit
                                                 : v < limit;
    if (ok) return;
    const char *rel = !strcmp(key, "minimum")            ? "at least"
                      : !strcmp(key, "maximum")          ? "at most"
                      : !strcmp(key, "exclusiveMinimum") ? "greater than"
                                                         : "less than";
    char *who = subject(ptr), *lim = num(limit), *got = num(v);
    fail(p, ptr, "%s must be %s %s (got %s)", who, rel, lim, got);
    free(who);
    free(lim);
    free(got);
}

static void check_number(pass *p, const json_t *schema, const json_t *inst, const char *ptr) {
    if (!json_is_number(inst)) return;
    double v = json_number_value(inst);
    bound(p, schema, "minimum", v, ptr);
    bound(p, schema, "maximum", v, ptr);
    bound(p, schema, "exclusiveMinimum", v, ptr);
    bound(p, schema, "exclusiveMaximum", v, ptr);
}

static void check_string(pass *p, const json_t *schema, const json_t *inst, const char *ptr) {
    if (!json_is_string(inst)) return;
    size_t len = utf8_length(json_string_value(inst), json_string_length(inst));
    const json_t *min = json_object_get(schema, "minLength"), *max = json_object_get(schema, "maxLength");
    char *who = subject(ptr);
    if (json_is_number(min) && (double)len < json_number_value(min))
        fail(p, ptr, "%s must be at least %lld characters long (got %zu)", who, (long long)json_number_value(min), len);
    if (json_is_number(max) && (double)len > json_number_value(max))
        fail(p, ptr, "%s must be at most %lld characters long (got %zu)", who, (long long)json_number_value(max), len);
    const char *pattern = json_string_value(json_object_get(schema, "pattern"));
    bool bad = false;
    if (pattern && !pattern_matches(pattern, json_string_value(inst), &bad))
        fail(p, ptr, bad ? "%s cannot be checked: the schema's pattern %s does not compile"
                         : "%s must match the pattern %s", who, pattern);
    free(who);
}

static void check_array(pass *p, const json_t *schema, const json_t *inst, const char *ptr) {
    if (!json_is_array(inst)) return;
    size_t n = json_array_size(inst);
    const json_t *min = json_object_get(schema, "minItems"), *max = json_object_get(schema, "maxItems");
    char *who = subject(ptr);
    if (json_is_number(min) && (double)n < json_number_value(min))
        fail(p, ptr, "%s must have at least %lld items (got %zu)", who, (long long)json_number_value(min), n);
    if (json_is_number(max) && (double)n > json_number_value(max))
        fail(p, ptr, "%s must have at most %lld items (got %zu)", who, (long long)json_number_value(max), n);
    free(who);
    const json_t *items = json_object_get(schema, "items");
    const json_t *extra = json_object_get(schema, "additionalItems");
    for (size_t i = 0; i < n && (items || extra); i++) {
        const json_t *sub = NULL;
        if (json_is_array(items)) sub = i < json_array_size(items) ? json_array_get(items, i) : extra;
        else sub = items;
        if (!sub) continue;
        char *ip = pf_ptr_index(ptr, i);
        validate(p, sub, json_array_get(inst, i), ip);
        free(ip);
        if (!p->errs && p->failures) return;
    }
}

static void check_object(pass *p, const json_t *schema, const json_t *inst, const char *ptr) {
    if (!json_is_object(inst)) return;
    size_t i;
    const json_t *req;
    json_array_foreach(json_object_get(schema, "required"), i, req) {
        const char *name = json_string_value(req);
        if (name && !json_object_get(inst, name)) {
            char *who = subject(ptr);
            fail(p, ptr, "%s is missing the required property \"%s\"", ptr[0] ? who : "the document", name);
            free(who);
        }
    }
    const json_t *props = json_object_get(schema, "properties");
    const json_t *pprops = json_object_get(schema, "patternProperties");
    const json_t *extra = json_object_get(schema, "additionalProperties");
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)inst, key, value) {
        if (!p->errs && p->failures) return;
        char *kp = pf_ptr_join(ptr, key);
        const json_t *sub = json_object_get(props, key);
        bool known = sub != NULL;
        if (sub) validate(p, sub, value, kp);
        const char *pattern;
        const json_t *psub;
        json_object_foreach((json_t *)pprops, pattern, psub) {
            bool bad = false;
            if (pattern_matches(pattern, key, &bad)) {
                known = true;
                validate(p, psub, value, kp);
            }
        }
        if (!known && json_is_false(extra))
            fail(p, kp, "unknown property \"%s\"", key);
        else if (!known && json_is_object(extra))
            validate(p, extra, value, kp);
        free(kp);
    }
}

static void check_combinators(pass *p, const json_t *schema, const json_t *inst, const char *ptr) {
    const json_t *any = json_object_get(schema, "anyOf");
    if (json_is_array(any)) {
        bool ok = false;
        size_t i;
        const json_t *sub;
        json_array_foreach(any, i, sub) ok = ok || pf_schema_is_valid(sub, inst);
        if (!ok) {
            char *who = subject(ptr);
            fail(p, ptr, "%s matches none of the %zu allowed forms (anyOf)", who, json_array_size(any));
            free(who);
        }
    }
    const json_t *one = json_object_get(schema, "oneOf");
    if (json_is_array(one)) {
        size_t matched = 0, i;
        const json_t *sub;
        json_array_foreach(one, i, sub) matched += pf_schema_is_valid(sub, inst);
        if (matched != 1) {
            char *who = subject(ptr);
            fail(p, ptr, "%s must match exactly one of the %zu allowed forms (oneOf), but matches %zu", who,
                 json_array_size(one), matched);
            free(who);
        }
    }
}

static void validate(pass *p, const json_t *schema, const json_t *inst, const char *ptr) {
    if (json_is_true(schema)) return;
    if (json_is_false(schema)) {
        char *who = subject(ptr);
        fail(p, ptr, "%s is not allowed here", who);
        free(who);
        return;
    }
    if (!json_is_object(schema)) return;
    check_type(p, schema, inst, ptr);
    check_enum_const(p, schema, inst, ptr);
    check_number(p, schema, inst, ptr);
    check_string(p, schema, inst, ptr);
    check_array(p, schema, inst, ptr);
    check_object(p, schema, inst, ptr);
    check_combinators(p, schema, inst, ptr);
}

size_t pf_schema_validate(const json_t *schema, const json_t *instance, const char *base_pointer, pf_errors *out) {
    pass p = {.errs = out};
    validate(&p, schema, instance, base_pointer ? base_pointer : "");
    return p.failures;
}

bool pf_schema_is_valid(const json_t *schema, const json_t *instance) {
    pass p = {0};
    validate(&p, schema, instance, "");
    return p.failures == 0;
}

json_t *pf_schema_apply_defaults(const json_t *schema, const json_t *instance) {
    json_t *out = json_deep_copy(instance);
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

static const char *const annotations[] = {"title", "description", "default", "examples", "$comment", "$schema", "$id",
                                          "readOnly", "writeOnly"};
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

static void bad(pf_errors *out, size_t *count, const char *ptr, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
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
        if (json_is_string(v) && !IN(types, json_string_value(v))) bad(out, count, kp, "unknown type \"%s\"", json_string_value(v));
        else if (json_is_array(v)) {
            json_array_foreach(v, i, t) if (!json_is_string(t) || !IN(types, json_string_value(t)))
                bad(out, count, kp, "unknown type in the type list");
        } else if (!json_is_string(v)) bad(out, count, kp, "\"type\" must be a string or a list of strings");
    } else if (!strcmp(key, "enum")) {
        if (!json_is_array(v)) bad(out, count, kp, "\"enum\" must be an array");
    } else if (!strcmp(key, "const")) {
    } else if (IN(number_keys, key)) {
        if (!json_is_number(v)) bad(out, count, kp, "\"%s\" must be a number", key);
    } else if (IN(count_keys, key)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) bad(out, count, kp, "\"%s\" must be a non-negative integer", key);
    } else if (!strcmp(key, "pattern")) {
        regex_t re;
        if (!json_is_string(v) || compile_pattern(&re, json_string_value(v)) != 0)
            bad(out, count, kp, "\"pattern\" is not a regular expression this validator supports");
        else regfree(&re);
    } else if (!strcmp(key, "required")) {
        size_t i;
        const json_t *r;
        if (!json_is_array(v)) bad(out, count, kp, "\"required\" must be an array of names");
        json_array_foreach(v, i, r) if (!json_is_string(r)) bad(out, count, kp, "\"required\" must be an array of names");
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
        } else check_schema(out, count, v, kp);
    } else if (IN(list_keys, key)) {
        size_t i;
        const json_t *sub;
        if (!json_is_array(v) || !json_array_size(v)) bad(out, count, kp, "\"%s\" must be a non-empty array of schemas", key);
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
