/* The official JSON Schema Test Suite (draft 7), every case of every file
 * for the keywords docs/json-schema-subset.md says we support. */
#include "check.h"

#include "core/jsonschema.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

static const char *const files[] = {
    "type",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "patternProperties",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "default",
    "oneOf",
    "anyOf",
    "boolean_schema",
    "uniqueItems",
};

int main(void) {
    const char *dir = getenv("JSON_SCHEMA_TEST_SUITE");
    if (!dir || !*dir) dir = "/usr/share/json-schema-test-suite/tests/draft7";
    size_t total = 0, passed = 0;
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char *path = pf_asprintf("%s/%s.json", dir, files[f]);
        json_error_t jerr;
        json_t *groups = json_load_file(path, 0, &jerr);
        CHECK_MSG(groups != NULL, "cannot read %s (install json-schema-test-suite): %s", path, jerr.text);
        size_t file_total = 0, file_passed = 0, g, t;
        json_t *group, *test;
        json_array_foreach(groups, g, group) {
            const json_t *schema = json_object_get(group, "schema");
            json_array_foreach(json_object_get(group, "tests"), t, test) {
                bool expect = json_is_true(json_object_get(test, "valid"));
                const json_t *data = json_object_get(test, "data");
                bool got = pf_schema_is_valid(schema, data);
                /* The collecting path must agree with the yes/no path. */
                pf_errors errs;
                pf_errors_init(&errs);
                bool collected = pf_schema_validate(schema, data, "", &errs) == 0;
                pf_errors_clear(&errs);
                file_total++;
                if (got == expect && collected == expect) file_passed++;
                CHECK_MSG(got == expect && collected == expect, "%s: \"%s\" / \"%s\": expected %s", files[f],
                          json_string_value(json_object_get(group, "description")),
                          json_string_value(json_object_get(test, "description")), expect ? "valid" : "invalid");
            }
        }
        printf("%-28s %3zu/%zu cases\n", path + strlen(dir) + 1, file_passed, file_total);
        total += file_total;
        passed += file_passed;
        json_decref(groups);
        free(path);
    }
    printf("JSON Schema Test Suite (draft7): %zu files, %zu/%zu cases passed\n", sizeof files / sizeof *files, passed,
           total);
    CHECK(total > 200);
    return pf_check_done("jsonschema_suite");
}
