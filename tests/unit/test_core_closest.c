/* "Did you mean": edit distance, the closest known name within a third of
 * its length, and the JSON Schema validator's suggestion for an unknown
 * property (what a mistyped --set key or form field sees). */
#include "check.h"

#include "core/closest.h"
#include "core/jsonschema.h"

#include <string.h>

static const char *closest(const char *word, const char *const *known) {
    static pf_closest c;
    pf_closest_init(&c, word);
    for (; *known; known++)
        pf_closest_offer(&c, *known);
    return pf_closest_best(&c);
}

int main(void) {
    static const struct {
        const char *a, *b;
        size_t d;
    } distances[] = {
        {"", "", 0},
        {"width", "width", 0},
        {"widht", "width", 1},
        {"with", "width", 1},
        {"widths", "width", 1},
        {"wdth", "width", 1},
        {"kitten", "sitting", 3},
        {"", "abc", 3},
        {"samples", "", 7},
    };
    for (size_t i = 0; i < sizeof distances / sizeof *distances; i++)
        CHECK_MSG(pf_edit_distance(distances[i].a, distances[i].b) == distances[i].d, "%s/%s: %zu, not %zu",
                  distances[i].a, distances[i].b, pf_edit_distance(distances[i].a, distances[i].b), distances[i].d);

    const char *const params[] = {"width", "height", "samples", "frames", "fps", "material_override", NULL};
    static const struct {
        const char *word, *want; /* want NULL: no suggestion */
    } cases[] = {
        {"widht", "width"},  {"heigth", "height"}, {"sample", "samples"},
        {"frams", "frames"}, {"fsp", "fps"},       {"material-override", "material_override"},
        {"colour", NULL},    {"x", NULL},          {"width", NULL}, /* a known name is no typo */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = closest(cases[i].word, params);
        if (cases[i].want)
            CHECK_MSG(got && strcmp(got, cases[i].want) == 0, "%s: %s, not %s", cases[i].word, got ? got : "(none)",
                      cases[i].want);
        else
            CHECK_MSG(!got, "%s: suggested %s", cases[i].word, got);
    }

    json_t *schema = json_pack("{s:s, s:{s:{s:s}, s:{s:s}}, s:b}", "type", "object", "properties", "width", "type",
                               "integer", "height", "type", "integer", "additionalProperties", 0);
    json_t *typo = json_pack("{s:i}", "widht", 64), *other = json_pack("{s:i}", "colour", 1);
    pf_errors errs;
    pf_errors_init(&errs);
    pf_schema_validate(schema, typo, "/params", &errs);
    CHECK_INT(errs.len, 1);
    CHECK(errs.len && strstr(errs.items[0].message, "did you mean \"width\"?"));
    CHECK(errs.len && strcmp(errs.items[0].pointer, "/params/widht") == 0);
    pf_errors_clear(&errs);
    pf_schema_validate(schema, other, "/params", &errs);
    CHECK(errs.len == 1 && !strstr(errs.items[0].message, "did you mean"));
    pf_errors_clear(&errs);
    json_decref(schema);
    json_decref(typo);
    json_decref(other);
    return pf_check_done("core_closest");
}
