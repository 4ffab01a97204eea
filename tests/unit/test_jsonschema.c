/* Our own cases for the schema validator: pointers, sentences, defaults,
 * and the check that a schema stays inside the supported subset. */
#include "check.h"

#include "core/jsonschema.h"
#include "core/mem.h"

#include <pthread.h>
#include <stdlib.h>

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
        {"{\"patternProperties\":{\"[\":{}}}", "/patternProperties/[", "missing terminating ]"},
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

/* Whether a string matches a pattern, through the validator. */
static bool matches(const char *pattern, const char *subject, size_t len) {
    json_t *schema = json_pack("{s:s}", "pattern", pattern), *value = json_stringn(subject, len);
    bool ok = pf_schema_is_valid(schema, value);
    json_decref(value);
    json_decref(schema);
    return ok;
}

/* ECMA-262 features JSON Schema patterns use, searched unanchored. */
static void test_pattern_features(void) {
    static const struct {
        const char *pattern, *subject;
        bool match;
    } cases[] = {
        {"a+", "xxaayy", true}, /* a search, not a whole-string match */
        {"^a+$", "xxaayy", false},
        {"^\\d+$", "123", true},
        {"^\\d+$", "12a", false},
        {"^\\d+$", "\xd9\xa1\xd9\xa2", false}, /* Arabic-Indic digits: \d is ASCII, as in ECMA-262 */
        {"^\\D$", "x", true},
        {"^\\w+$", "abc_1", true},
        {"^\\w+$", "\xc3\xa9t\xc3\xa9", false}, /* \w is ASCII too */
        {"^\\W$", "-", true},
        {"^\\s\\S$", "\ta", true},
        {"^(?:ab)+$", "abab", true},
        {"^(?:ab)+$", "aba", false},
        {"^(ab|cd){2}$", "abcd", true},
        {"^(a)\\1$", "aa", true}, /* back-references: plain groups capture */
        {"^(a)\\1$", "ab", false},
        {"^(?<x>b)\\k<x>$", "bb", true},
        {"^a$", "a\n", false}, /* $ is the end of the string, not before a final newline */
        {"^a", "b\na", false}, /* no multiline anchors */
        {"^.$", "\n", false},
        {"^.$", "\r", false},
        {"^.$", "\xc3\xa9", true},         /* one code point, two bytes */
        {"^.$", "\xf0\x9f\x98\x80", true}, /* U+1F600, four bytes */
        {"^\\u00e9$", "\xc3\xa9", true},
        {"^\\u{1F600}$", "\xf0\x9f\x98\x80", true},
        {"^\\x41$", "A", true},
        {"^\\x{3}$", "xxx", true},    /* "x" three times, as in ECMA-262 without the u flag */
        {"^\\s$", "\xc2\xa0", false}, /* differs from ECMA-262: \s is ASCII white space (documented) */
        {"^[\\u00e0-\\u00ff]+$", "\xc3\xa0\xc3\xbf", true},
        {"^\\p{L}+$", "h\xc3\xa9llo", true},
        {"^\\p{L}+$", "h3", false},
        {"^[a-c\\d_]+$", "a1_c", true},
        {"^[a-c\\d_]+$", "ad", false},
        {"^[^0-9]+$", "abc", true},
        {"^[^]$", "x", true}, /* ECMA-262: any character */
        {"[]", "x", false},   /* ECMA-262: matches nothing */
        {"^a{2,3}$", "aaa", true},
        {"^a{2,3}$", "aaaa", false},
        {"^a{2,}$", "aaaaaa", true},
        {"^x{1000}$", "x", false},
        {"^a+?$", "aaa", true},
        {"(?=b)b", "ab", true},
        {"^(?!b).", "b", false},
        {"(?<=a)b", "ab", true},
        {"(?<=a)b", "cb", false},
        {"\\bfoo\\b", "a foo b", true},
        {"\\bfoo\\b", "afoob", false},
        {"X_", "a_x_3", false}, /* case-sensitive */
        {"^\\{1,2000\\}$", "{1,2000}", true},
        {"^[{]5000}$", "{5000}", true},
        {"^[a-z0-9][a-z0-9_.-]{0,63}$", "cad_intake-1.2", true},
        {"^[^.]+[.].+$", "glb.linear_deflection", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK_MSG(matches(cases[i].pattern, cases[i].subject, strlen(cases[i].subject)) == cases[i].match,
                  "/%s/ on \"%s\" should %s", cases[i].pattern, cases[i].subject,
                  cases[i].match ? "match" : "not match");
    /* The whole value is searched, NUL bytes included. */
    CHECK(matches("^a\\x00b$", "a\0b", 3));
    CHECK(!matches("^a$", "a\0b", 3));
}

/* Patterns refused where schemas are checked, each with why and where. */
static void test_pattern_limits(void) {
    char long_pattern[1100];
    memset(long_pattern, 'a', 1025);
    long_pattern[1025] = '\0';
    char nested[100] = "";
    for (int i = 0; i < 40; i++)
        strcat(nested, "(");
    strcat(nested, "a");
    for (int i = 0; i < 40; i++)
        strcat(nested, ")");
    const struct {
        const char *pattern, *phrase;
    } refused[] = {
        /* Small once compiled (about 340 bytes), but it nests a huge
         * repetition in a repeated group: what made regcomp take 6 GB. */
        {"(a{1,32767}){1,10}", "the pattern repeats up to 32767 times at offset 2, over the limit of 1000"},
        {"a{1001}", "repeats up to 1001 times at offset 1"},
        {"\\d{1,5000}", "repeats up to 5000 times at offset 2"},
        {"[a-z]{3,4000}", "repeats up to 4000 times at offset 5"},
        {"(\\x{5000}){1,10}", "repeats up to 5000 times at offset 3"}, /* "x" 5000 times, as in ECMA-262 */
        {"\\Qab\\E{2000}", "repeats up to 2000 times at offset 6"},
        {long_pattern, "the pattern is longer than 1024 bytes (it has 1025)"},
        {"(?:abcdefgh|ijklmnop){1,1000}", "the pattern compiles to 48130 bytes, over the 32768-byte limit"},
        {"((?:abcdefgh){1,1000}){1,1000}", "the pattern compiles to more than the 32768-byte limit"},
        {"(", "not a regular expression this validator supports: missing closing parenthesis (at offset 1)"},
        {"ab[c", "missing terminating ] for character class (at offset 4)"},
        {"a{3,2}", "numbers out of order in {} quantifier (at offset 5)"},
        {"a\\C", "(at offset 3)"}, /* \C could split a UTF-8 character */
        {nested, "parentheses are too deeply nested (at offset 33)"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        /* As "pattern", in a property's schema, and as a patternProperties name. */
        json_t *schema =
            json_pack("{s:{s:{s:s, s:s}}}", "properties", "code", "type", "string", "pattern", refused[i].pattern);
        pf_errors e;
        pf_errors_init(&e);
        CHECK(pf_schema_check(schema, "/invocation/params/code/schema", &e) > 0);
        CHECK_MSG(has(&e, "/invocation/params/code/schema/properties/code/pattern", refused[i].phrase),
                  "pattern %.40s: %s", refused[i].pattern, e.len ? e.items[0].message : "no problem");
        pf_errors_clear(&e);
        json_decref(schema);

        schema = json_pack("{s:{s:b}}", "patternProperties", refused[i].pattern, 1);
        pf_errors_init(&e);
        char *ptr = pf_ptr_join("/patternProperties", refused[i].pattern);
        CHECK(pf_schema_check(schema, "", &e) > 0);
        CHECK_MSG(has(&e, ptr, refused[i].phrase), "pattern property %.40s", refused[i].pattern);
        free(ptr);
        pf_errors_clear(&e);
        json_decref(schema);
    }

    /* Within the limits: large-ish but allowed. */
    const char *const allowed[] = {"a{1000}",      "^(?:a|b){1,1000}$", "\\u{41}{2}", "\\k<n>{2}(?<n>a)",
                                   "[\\x{41}]{3}", "\\p{L}{3}",         "x{99999",    "\\Q{5000}\\E"};
    for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++) {
        json_t *schema = json_pack("{s:s}", "pattern", allowed[i]);
        pf_errors e;
        pf_errors_init(&e);
        CHECK_MSG(pf_schema_check(schema, "", &e) == 0, "%s: %s", allowed[i], e.len ? e.items[0].message : "");
        pf_errors_clear(&e);
        json_decref(schema);
    }
    json_t *schema = json_pack("{s:i}", "pattern", 5);
    pf_errors e;
    pf_errors_init(&e);
    CHECK(pf_schema_check(schema, "", &e) == 1 && has(&e, "/pattern", "\"pattern\" must be a string"));
    pf_errors_clear(&e);
    json_decref(schema);

    /* A schema used without being checked first: values cannot pass a
     * refused pattern, and the problem says why. */
    e = run("{\"properties\":{\"id\":{\"pattern\":\"(a{1,32767}){1,10}\"}}}", "{\"id\":\"aaa\"}", "");
    CHECK_INT(e.len, 1);
    CHECK(has(&e, "/id", "\"id\" cannot be checked against the pattern (a{1,32767}){1,10}: the pattern repeats"));
    pf_errors_clear(&e);
    e = run("{\"patternProperties\":{\"(\":{}}}", "{\"id\":1}", "");
    CHECK(has(&e, "/id", "cannot be checked against the pattern property (: the pattern is not a regular"));
    pf_errors_clear(&e);
}

/* Catastrophic backtracking stops at the match limits and fails the value
 * with a clear problem. */
static void test_pattern_cost(void) {
    char subject[64];
    memset(subject, 'a', 40);
    strcpy(subject + 40, "b");
    json_t *schema = json_pack("{s:{s:{s:s}}}", "properties", "name", "pattern", "^(a+)+$");
    json_t *doc = json_pack("{s:s}", "name", subject);
    pf_errors e;
    pf_errors_init(&e);
    CHECK_INT(pf_schema_validate(schema, doc, "/params", &e), 1);
    CHECK(has(&e, "/params/name",
              "\"name\" cannot be checked: the pattern ^(a+)+$ is too costly to match against "
              "this value"));
    pf_errors_clear(&e);
    CHECK(!pf_schema_is_valid(schema, doc));
    json_decref(doc);
    /* The same pattern on values it can decide is fine. */
    doc = json_pack("{s:s}", "name", "aaaa");
    CHECK(pf_schema_is_valid(schema, doc));
    json_decref(doc);
    json_decref(schema);

    /* A default checked against its own schema says why it fails. */
    schema = json_pack("{s:s, s:s}", "pattern", "^(a+)+$", "default", subject);
    pf_errors_init(&e);
    CHECK_INT(pf_schema_check(schema, "/schema", &e), 1);
    CHECK(has(&e, "/schema/default",
              "the default does not satisfy its own schema: the value cannot be checked: the "
              "pattern ^(a+)+$ is too costly to match against this value"));
    pf_errors_clear(&e);
    json_decref(schema);

    /* As a property name pattern: the member fails, it is not let through. */
    schema = json_pack("{s:{s:b}, s:b}", "patternProperties", "^(a+)+$", 1, "additionalProperties", 1);
    doc = json_pack("{s:i}", subject, 1);
    pf_errors_init(&e);
    CHECK_INT(pf_schema_validate(schema, doc, "", &e), 1);
    char *ptr = pf_ptr_join("", subject);
    CHECK(has(&e, ptr, "the pattern property ^(a+)+$ is too costly to match against this value"));
    free(ptr);
    pf_errors_clear(&e);
    json_decref(doc);
    json_decref(schema);

    /* A long value through a repeated group stays within the limits. */
    char *text = pf_xmalloc(5001);
    for (int i = 0; i < 5000; i++)
        text[i] = "ab c"[i % 4];
    text[5000] = '\0';
    CHECK(matches("^(?:a|b| |c)*$", text, 5000));
    CHECK(matches("^(\\w+\\s?)+$", text, 5000));
    free(text);
}

/* The limits bound one match; a budget bounds one validation. 500 strings
 * against ^(a+)+$ in one array kept a validation busy for minutes
 * (fuzz/fuzz_jsonschema.c found it); now what the budget cannot pay for
 * fails at once (the budget counts match steps, so this test needs no
 * clock: it ends because the budget runs out). Cheap matches stay cheap: a long array of plain strings
 * still validates. */
static void test_pattern_budget(void) {
    json_t *schema = j("{\"items\":{\"pattern\":\"^(a+)+$\"}}"), *costly = json_array();
    for (int i = 0; i < 20000; i++)
        json_array_append_new(costly, json_string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
    pf_errors e;
    pf_errors_init(&e);
    CHECK_INT(pf_schema_validate(schema, costly, "", &e), 20000);
    CHECK(has(&e, "/0", "is too costly to match against this value"));
    CHECK(has(&e, "/19999", "was not matched: this validation's patterns have used up their time"));
    pf_errors_clear(&e);
    CHECK(!pf_schema_is_valid(schema, costly));
    json_decref(costly);
    json_decref(schema);

    schema = j("{\"items\":{\"pattern\":\"^[a-z]+-\\\\d+$\"}}");
    json_t *plain = json_array();
    for (int i = 0; i < 50000; i++)
        json_array_append_new(plain, json_string("part-12"));
    CHECK(pf_schema_is_valid(schema, plain));
    json_decref(plain);
    json_decref(schema);
}

/* One compiled schema used from several threads at once. */
typedef struct {
    const pf_schema *schema;
    int wrong;
} worker;

static void *validate_many(void *arg) {
    worker *w = arg;
    json_t *good = json_pack("{s:s}", "id", "abc-123"), *bad = json_pack("{s:s}", "id", "ABC");
    for (int i = 0; i < 300; i++) {
        pf_errors e;
        pf_errors_init(&e);
        w->wrong += pf_schema_run(w->schema, good, "", NULL) != 0;
        w->wrong += pf_schema_run(w->schema, bad, "", &e) != 1 || !has(&e, "/id", "must match the pattern");
        pf_errors_clear(&e);
    }
    json_decref(good);
    json_decref(bad);
    return NULL;
}

static void test_pattern_threads(void) {
    json_t *doc = j("{\"properties\":{\"id\":{\"pattern\":\"^[a-z]+-\\\\d+$\"}},"
                    "\"patternProperties\":{\"^i\":{\"type\":\"string\"}}}");
    pf_schema *schema = pf_schema_compile(doc);
    worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){schema, 0};
        CHECK(pthread_create(&t[i], NULL, validate_many, &w[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_INT(w[i].wrong, 0);
    }
    pf_schema_free(schema);
    json_decref(doc);
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
    test_pattern_features();
    test_pattern_limits();
    test_pattern_cost();
    test_pattern_budget();
    test_pattern_threads();
    test_equal();
    return pf_check_done("jsonschema");
}
