/* libFuzzer target: the JSON Schema subset validator (core/jsonschema.h)
 * with a schema and an instance from one input. The input is split at the
 * first NUL byte (schema before, instance after); without one it is read as
 * a JSON array [schema, instance], or as a schema that is its own instance.
 *
 * Every entry point runs: pf_schema_check, pf_schema_compile and
 * pf_schema_run, pf_schema_validate, pf_schema_is_valid and
 * pf_schema_apply_defaults. Patterns and patternProperties reach PCRE2; its
 * compile and match limits must refuse a pattern that blows up, which
 * libFuzzer's -timeout and -rss_limit_mb turn into a finding when they do
 * not. Checked properties (a violation traps):
 *   - compiled and one-shot validation report the same number of problems,
 *     each one entry in the list, and is_valid agrees with "no problems";
 *   - apply_defaults leaves its (borrowed) instance unchanged, keeps every
 *     member the instance had and only adds members the schema names. */
#include "core/jsonschema.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Schemas come from contracts and requests as JSON documents; instances may
 * be any value (a parameter is often a string or a number). */
static json_t *parse(const uint8_t *p, size_t n) {
    return json_loadb((const char *)p, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
}

static size_t run_checked(const pf_schema *compiled, const json_t *schema, const json_t *inst) {
    pf_errors a, b;
    pf_errors_init(&a);
    pf_errors_init(&b);
    size_t na = pf_schema_run(compiled, inst, "/fuzz", &a);
    size_t nb = pf_schema_validate(schema, inst, "/fuzz", &b);
    if (na != a.len || nb != b.len || na != nb) __builtin_trap();
    for (size_t i = 0; i < a.len; i++) /* every pointer is under the base given */
        if (strncmp(a.items[i].pointer, "/fuzz", 5) != 0) __builtin_trap();
    if (pf_schema_is_valid(schema, inst) != (na == 0)) __builtin_trap();
    pf_errors_clear(&a);
    pf_errors_clear(&b);
    return na;
}

static void defaults(const json_t *schema, const json_t *inst) {
    json_t *before = json_deep_copy(inst);
    json_t *filled = pf_schema_apply_defaults(schema, inst);
    if (!json_equal(before, (json_t *)inst)) __builtin_trap(); /* the borrowed instance changed */
    if (json_is_object(inst)) {
        if (!json_is_object(filled)) __builtin_trap();
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)inst, key, v) {
            json_t *w = json_object_get(filled, key);
            if (!w) __builtin_trap(); /* a member was lost */
            /* Objects may gain defaults inside; anything else is kept as is. */
            if (!json_is_object(v) && !json_equal(v, w)) __builtin_trap();
        }
        json_object_foreach(filled, key, v) {
            if (!json_object_get(inst, key) && !json_object_get(json_object_get(schema, "properties"), key))
                __builtin_trap(); /* a member from nowhere */
        }
    } else if (!json_equal(filled, (json_t *)inst)) {
        __builtin_trap(); /* only objects get defaults */
    }
    /* The filled-in document validates without crashing too. */
    pf_errors errs;
    pf_errors_init(&errs);
    pf_schema_validate(schema, filled, "", &errs);
    pf_errors_clear(&errs);
    json_decref(filled);
    json_decref(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *schema = NULL, *inst = NULL;
    const uint8_t *nul = memchr(data, 0, size);
    if (nul) {
        schema = parse(data, (size_t)(nul - data));
        inst = parse(nul + 1, size - (size_t)(nul - data) - 1);
    } else {
        json_t *doc = parse(data, size);
        if (json_is_array(doc) && json_array_size(doc) == 2) {
            schema = json_incref(json_array_get(doc, 0));
            inst = json_incref(json_array_get(doc, 1));
        } else {
            schema = json_incref(doc);
        }
        json_decref(doc);
    }
    if (!schema) {
        json_decref(inst);
        return 0;
    }
    if (!inst) inst = json_incref(schema);

    pf_errors errs;
    pf_errors_init(&errs);
    size_t bad = pf_schema_check(schema, "/schema", &errs);
    if (bad != errs.len) __builtin_trap();
    pf_errors_clear(&errs);
    /* Unchecked schemas are compiled too: pf_schema_check itself validates
     * defaults against subschemas it has not finished checking. */
    pf_schema *compiled = pf_schema_compile(schema);
    run_checked(compiled, schema, inst);
    pf_schema_free(compiled);
    defaults(schema, inst);
    json_decref(inst);
    json_decref(schema);
    return 0;
}
