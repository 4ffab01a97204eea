/* Our own cases for the schema validator: pointers, sentences, defaults,
 * and the check that a schema stays inside the supported subset. */
#include "check.h"

#include "core/jsonschema.h"

static json_t *j(const char *text) {
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!v) fprintf(stderr, "bad JSON in test: %s\n", text);
    return v;
}

/* Validates and returns the problems; the caller clears them. */
static pf_errors run(const char *schema, const char *instance, const char *base) {
    json_t *s = j(schema), *i = j(instance);
    pf_errors errs;
    pf_errors_init(&errs);
    pf_schema_validate(s, i, base, &errs);
    json_decref(s);
    json_decref(i);
    return errs;
}

static bool has(const pf_errors *e, const char *ptr, const char *phrase) {
    for (size_t k = 0; k < e->len; k++)
        if (!strcmp(e->items[k].pointer, ptr) && strstr(e->items[k].message, phrase)) return true;
    return false;
}

static void test_pointers(void) {
    const char *schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"object\",\"properties\":{\"b\":{"
                         "\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"c\"],\"properties\":{\"c\":"
                         "{\"type\":\"integer\",\"maximum\":10}}}}}}}}";
    pf_errors e = run(schema, "{\"a\":{\"b\":[{\"c\":1},{\"c\":2},{\"c\":20},{}]}}", "");
    CHECK_INT(e.len, 2);
    CHECK(has(&e, "/a/b/2/c", "\"c\" must be at most 10 (got 20)"));
    CHECK(has(&e, "/a/b/3", "missing the required property \"c\""));
    pf_errors_clear(&e);

    e = run("{\"properties\":{\"x~y/z\":{\"type\":\"string\"}}}", "{\"x~y/z\":1}", "/params");
    CHECK(has(&e, "/params/x~0y~1z", "\"x~y/z\" must be of type \"string\", not integer"));
    pf_errors_clear(&e);
}

static void test_messages(void) {
    pf_errors e = run("{\"properties\":{\"mode\":{\"enum\":[\"fast\",\"full\"]}}}", "{\"mode\":\"slow\"}", "");
    CHECK(has(&e, "/mode", "must be one of [\"fast\",\"full\"], not \"slow\""));
    pf_errors_clear(&e);
    e = run("{\"additionalProperties\":false,\"properties\":{\"a\":{}}}", "{\"a\":1,\"b\":2,\"c\":3}", "");
    CHECK_INT(e.len, 2);
    CHECK(has(&e, "/b", "unknown property \"b\""));
    CHECK(has(&e, "/c", "unknown property \"c\""));
    pf_errors_clear(&e);
    e = run("{\"properties\":{\"n\":{\"exclusiveMinimum\":0}}}", "{\"n\":0}", "");
    CHECK(has(&e, "/n", "greater than 0"));
    pf_errors_clear(&e);
    e = run("{\"properties\":{\"s\":{\"minLength\":3}}}", "{\"s\":\"\xc3\xa9\xc3\xa9\"}", "");
    CHECK(has(&e, "/s", "at least 3 characters long (got 2)"));
    pf_errors_clear(&e);
    e = run("{\"properties\":{\"id\":{\"pattern\":\"^\\\\d+$\"}}}", "{\"id\":\"12a\"}", "");
    CHECK(has(&e, "/id", "must match the pattern"));
    pf_errors_clear(&e);
    e = run("{\"properties\":{\"id\":{\"pattern\":\"^\\\\d+$\"}}}", "{\"id\":\"123\"}", "");
    CHECK_INT(e.len, 0);
    pf_errors_clear(&e);
    e = run("{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "3", "/v");
    CHECK(has(&e, "/v", "exactly one"));
    pf_errors_clear(&e);
    e = run("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"boolean\"}]}", "3", "/v");
    CHECK(has(&e, "/v", "none of the 2 allowed forms"));
    pf_errors_clear(&e);
    e = run("{\"maxItems\":1,\"items\":{\"const\":1}}", "[1,2]", "");
    CHECK_INT(e.len, 2);
    CHECK(has(&e, "", "at most 1 items"));
    CHECK(has(&e, "/1", "must be 1"));
    pf_errors_clear(&e);
}

static void test_defaults(void) {
    json_t *schema = j("{\"properties\":{\"a\":{\"default\":1},\"b\":{\"default\":{\"x\":[1]}},"
                       "\"c\":{\"properties\":{\"d\":{\"default\":true}}}}}");
    json_t *in = j("{\"a\":5,\"c\":{}}");
    json_t *out = pf_schema_apply_defaults(schema, in);
    CHECK_INT(json_integer_value(json_object_get(out, "a")), 5);
    json_t *want = j("{\"x\":[1]}");
    CHECK(json_equal(json_object_get(out, "b"), want));
    json_decref(want);
    CHECK(json_is_true(json_object_get(json_object_get(out, "c"), "d")));
    CHECK(json_object_get(in, "b") == NULL); /* the input is not modified */
    json_decref(out);
    json_decref(in);
    json_decref(schema);
}

static void test_check(void) {
    const struct {
        const char *schema, *pointer, *phrase;
    } bad[] = {
        {"{\"type\":\"text\"}", "/type", "unknown type"},
        {"{\"pattern\":\"(\"}", "/pattern", "not a regular expression"},
        {"{\"format\":\"email\"}", "/format", "not in the supported JSON Schema subset"},
        {"{\"properties\":{\"a\":{\"minLength\":-1}}}", "/properties/a/minLength", "non-negative"},
        {"{\"type\":\"integer\",\"minimum\":1,\"default\":0}", "/default", "does not satisfy"},
        {"{\"oneOf\":[]}", "/oneOf", "non-empty"},
        {"{\"items\":[{\"type\":\"nope\"}]}", "/items/0/type", "unknown type"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *s = j(bad[i].schema);
        pf_errors e;
        pf_errors_init(&e);
        CHECK(pf_schema_check(s, "", &e) > 0);
        CHECK_MSG(has(&e, bad[i].pointer, bad[i].phrase), "schema %s", bad[i].schema);
        pf_errors_clear(&e);
        json_decref(s);
    }
    json_t *good = j("{\"type\":\"object\",\"title\":\"t\",\"properties\":{\"w\":{\"type\":\"integer\",\"minimum\":1,"
                     "\"default\":2}},\"additionalProperties\":false}");
    pf_errors e;
    pf_errors_init(&e);
    CHECK_INT(pf_schema_check(good, "", &e), 0);
    pf_errors_clear(&e);
    json_decref(good);
}

static void test_equal(void) {
    json_t *a = j("{\"x\":[1,2.0,{\"y\":null}]}"), *b = j("{\"x\":[1.0,2,{\"y\":null}]}"), *c = j("{\"x\":[1,2]}");
    CHECK(pf_json_equal(a, b));
    CHECK(!pf_json_equal(a, c));
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

int main(void) {
    test_pointers();
    test_messages();
    test_defaults();
    test_check();
    test_equal();
    return pf_check_done("jsonschema");
}
