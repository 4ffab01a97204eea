/* materials.auto_populate and materials.resolve_map through the module layer,
 * on the hand-written gearbox (red housing, grey bolts, uncoloured bearings). */
#include "check.h"

#include "cad/cad_kernel.h"
#include "core/json.h"
#include "core/mem.h"
#include "modules/invoke.h"
#include "modules/materials/library.h"
#include "modules/registry.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <string.h>

static pf_registry *reg;
static pf_module_ctx ctx;

static json_t *invoke(const char *key, json_t *inputs, json_t *params, pf_error **err_out) {
    json_t *out = NULL;
    pf_error *err = pf_module_invoke(reg, key, &ctx, inputs, params, &out);
    json_decref(inputs);
    json_decref(params);
    if (err_out)
        *err_out = err;
    else {
        CHECK_MSG(err == NULL, "%s: %s", key, err ? err->message : "");
        pf_error_free(err);
    }
    return out;
}

static json_t *load(const json_t *port_value) {
    return json_load_file(json_string_value(json_object_get(port_value, "path")), 0, NULL);
}

static json_t *shipped;

static const json_t *auto_lib(void) {
    if (!shipped) shipped = json_load_file(PF_SOURCE_DIR "/share/materials/default.json", 0, NULL);
    return shipped;
}

static const char *material_of(const json_t *map, const char *path, const char *field) {
    return json_string_value(json_object_get(json_object_get(json_object_get(map, "parts"), path), field));
}

int main(void) {
    pf_errors errs;
    pf_errors_init(&errs);
    reg = pf_registry_load(&errs);
    char *work = pf_test_tmpdir("materials");
    atomic_bool cancel = false;
    ctx = (pf_module_ctx){.data_root = "/", .work_dir = work, .share_dir = PF_SOURCE_DIR "/share", .cancel = &cancel};

    json_t *lib = json_load_file(PF_SOURCE_DIR "/share/materials/default.json", 0, NULL);
    CHECK(json_array_size(json_object_get(lib, "materials")) >= 12);
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(lib, "materials"), i, m) {
        const json_t *bsdf = json_object_get(m, "principled_bsdf");
        CHECK(json_array_size(json_object_get(bsdf, "base_color")) == 3 &&
              json_is_number(json_object_get(bsdf, "roughness")));
    }
    json_decref(lib);

    json_t *out =
        invoke("cad.extract_objects",
               json_pack("{s:{s:s}}", "step", "path", PF_SOURCE_DIR "/tests/fixtures/step/gearbox.step"), NULL, NULL);
    json_t *objects = json_deep_copy(json_object_get(out, "objects"));
    json_decref(out);

    /* The rules in order: a name pattern beats the STEP colour, which beats the default. */
    out = invoke("materials.auto_populate", json_pack("{s:O}", "objects", objects),
                 json_pack("{s:[{s:s, s:s}], s:f}", "name_patterns", "pattern", "^bolt", "material", "chrome",
                           "colour_tolerance", 0.3),
                 NULL);
    json_t *auto_port = json_deep_copy(json_object_get(out, "material_map"));
    json_t *map = load(auto_port);
    CHECK_STR(material_of(map, "/Gearbox/Bolt_M4[2]", "material"), "chrome");
    CHECK_STR(material_of(map, "/Gearbox/Bolt_M4[2]", "rule"), "name_pattern");
    CHECK_STR(material_of(map, "/Gearbox/Housing", "material"), "painted_metal_red");
    CHECK_STR(material_of(map, "/Gearbox/Housing", "rule"), "step_colour");
    CHECK_STR(material_of(map, "/Gearbox/Shaft_Assy/Bearing", "material"), "painted_metal_grey");
    CHECK_STR(material_of(map, "/Gearbox/Shaft_Assy/Bearing", "rule"), "category_default");
    CHECK(json_object_get(json_object_get(map, "parts"), "/Gearbox") == NULL); /* assemblies get no material */
    /* The map names the library's content, so an edited library is a new
     * input to the renders downstream (their cache does not reuse). */
    char *shipped_digest = pf_strdup(json_string_value(json_object_get(map, "library_sha256")));
    CHECK_INT(strlen(shipped_digest), 64);
    json_decref(map);
    json_decref(out);
    char *data = pf_test_tmpdir("materials-data");
    json_t *edited = json_load_file(PF_SOURCE_DIR "/share/materials/default.json", 0, NULL);
    pf_errors lib_errs;
    pf_errors_init(&lib_errs);
    CHECK_INT(pf_material_library_validate(edited, "default", &lib_errs), 0); /* the shipped one fits its schema */
    json_object_set_new(json_object_get(json_array_get(json_object_get(edited, "materials"), 0), "principled_bsdf"),
                        "roughness", json_real(0.9));
    /* A render node's own material_override reads the library at render time:
     * the library's digest is in its cache key (the modules' depends hook). */
    const pf_module *still = pf_registry_find(reg, "render.blender_still");
    json_t *override = json_pack("{s:s}", "material_override", "chrome"), *no_override = json_object();
    CHECK(still && still->desc->depends);
    json_t *before = still->desc->depends(&ctx, no_override, override);
    CHECK(still->desc->depends(&ctx, no_override, no_override) == NULL); /* nothing read, nothing added */
    CHECK(pf_material_library_save(data, "default", edited, &lib_errs) == NULL);
    pf_errors_clear(&lib_errs);
    ctx.data_root = data;
    json_t *after = still->desc->depends(&ctx, no_override, override);
    CHECK_STR(json_string_value(json_object_get(before, "material_library_sha256")), shipped_digest);
    CHECK(after && !json_equal(before, after));
    json_decref(before), json_decref(after), json_decref(override), json_decref(no_override);
    out = invoke("materials.auto_populate", json_pack("{s:O}", "objects", objects), json_object(), NULL);
    map = load(json_object_get(out, "material_map"));
    const char *edited_digest = json_string_value(json_object_get(map, "library_sha256"));
    CHECK(edited_digest && strcmp(edited_digest, shipped_digest) != 0);
    json_decref(map);
    json_decref(out);
    ctx.data_root = "/";
    json_decref(edited);
    free(shipped_digest);
    free(data);

    pf_error *err = NULL;
    out = invoke("materials.auto_populate", json_pack("{s:O}", "objects", objects),
                 json_pack("{s:[{s:s, s:s}]}", "name_patterns", "pattern", "(", "material", "chrome"), &err);
    CHECK(err && !strcmp(err->pointer, "/params/name_patterns/0/pattern"));
    pf_error_free(err);
    out = invoke("materials.auto_populate", json_pack("{s:O}", "objects", objects),
                 json_pack("{s:s}", "category_default", "cheese"), &err);
    CHECK(err && !strcmp(err->pointer, "/params/category_default"));
    pf_error_free(err);
    out = invoke("materials.auto_populate", json_pack("{s:O}", "objects", objects),
                 json_pack("{s:s}", "library", "nope"), &err);
    CHECK(err && err->code == PF_ENOTFOUND && !strcmp(err->pointer, "/params/library"));
    pf_error_free(err);

    /* Resolution: override beats the automatic map; a material override beats both. */
    out = invoke("materials.resolve_map", json_pack("{s:O, s:O}", "objects", objects, "auto_map", auto_port),
                 json_pack("{s:{s:s}}", "overrides", "/Gearbox/Housing", "glass_clear"), NULL);
    map = load(json_object_get(out, "material_map"));
    CHECK_STR(material_of(map, "/Gearbox/Housing", "material"), "glass_clear");
    CHECK_STR(material_of(map, "/Gearbox/Housing", "source"), "override");
    CHECK_STR(material_of(map, "/Gearbox/Bolt_M4", "source"), "auto_map");
    CHECK_INT(json_array_size(json_object_get(map, "unmapped")), 0);
    CHECK(json_object_get(json_object_get(map, "materials"), "glass_clear") != NULL);
    json_decref(map);
    json_decref(out);
    out = invoke("materials.resolve_map", json_pack("{s:O, s:O}", "objects", objects, "auto_map", auto_port),
                 json_pack("{s:s}", "material_override", "brass"), NULL);
    map = load(json_object_get(out, "material_map"));
    CHECK_STR(material_of(map, "/Gearbox/Housing", "material"), "brass");
    CHECK_STR(material_of(map, "/Gearbox/Housing", "source"), "material_override");
    json_decref(map);
    json_decref(out);

    /* Without an automatic map every part is unmapped: listed, or an error when required. */
    out = invoke("materials.resolve_map", json_pack("{s:O}", "objects", objects), NULL, NULL);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(out, "material_map"), "unmapped")), 6);
    json_decref(out);
    out = invoke("materials.resolve_map", json_pack("{s:O}", "objects", objects),
                 json_pack("{s:b}", "require_complete", 1), &err);
    CHECK(err && !strcmp(err->pointer, "/params/require_complete") && strstr(err->message, "parts have"));
    pf_error_free(err);
    out = invoke("materials.resolve_map", json_pack("{s:O}", "objects", objects),
                 json_pack("{s:{s:s}}", "overrides", "/Gearbox/Housing", "cheese"), &err);
    CHECK(err && !strcmp(err->pointer, "/params/overrides/~1Gearbox~1Housing"));
    pf_error_free(err);

    /* Allowed materials (an output type's constraint): a part whose material
     * is not allowed is re-mapped to the nearest allowed one, to the
     * constraint's default, or the module fails naming every such part. */
    out =
        invoke("materials.resolve_map", json_pack("{s:O, s:O}", "objects", objects, "auto_map", auto_port),
               json_pack("{s:[s, s, s]}", "allowed_materials", "chrome", "painted_metal_white", "plastic_black"), NULL);
    map = load(json_object_get(out, "material_map"));
    /* the auto map's grey paint is nearest white paint; anodized black, black plastic */
    CHECK_STR(material_of(map, "/Gearbox/Housing", "material"), "painted_metal_white");
    CHECK_STR(material_of(map, "/Gearbox/Bolt_M4", "material"), "plastic_black");
    CHECK_STR(material_of(map, "/Gearbox/Housing", "source"), "constraint");
    CHECK_STR(material_of(map, "/Gearbox/Housing", "remapped_from"), "painted_metal_grey");
    CHECK_STR(material_of(map, "/Gearbox/Housing", "constraint_rule"), "nearest");
    CHECK_STR(pf_json_str(json_object_get(map, "constraint"), "on_disallowed"), "nearest");
    const char *mk;
    json_t *mv;
    json_object_foreach(json_object_get(map, "materials"), mk, mv)
        CHECK_MSG(!strcmp(mk, "chrome") || !strcmp(mk, "painted_metal_white") || !strcmp(mk, "plastic_black"),
                  "%s is not allowed", mk);
    json_object_foreach(json_object_get(map, "parts"), mk, mv) {
        const char *got = pf_json_str(mv, "material");
        CHECK_MSG(got && strcmp(got, "painted_metal_grey") && strcmp(got, "anodized_aluminium_black"), "%s: %s", mk,
                  got ? got : "?");
    }
    json_decref(map);
    json_decref(out);
    CHECK(pf_material_distance(pf_material_find(auto_lib(), "chrome"), pf_material_find(auto_lib(), "chrome")) == 0);
    out = invoke("materials.resolve_map", json_pack("{s:O, s:O}", "objects", objects, "auto_map", auto_port),
                 json_pack("{s:[s, s], s:s, s:s}", "allowed_materials", "chrome", "brass", "on_disallowed", "default",
                           "constraint_default", "brass"),
                 NULL);
    map = load(json_object_get(out, "material_map"));
    CHECK_STR(material_of(map, "/Gearbox/Housing", "material"), "brass");
    CHECK_STR(material_of(map, "/Gearbox/Housing", "constraint_rule"), "default");
    json_decref(map);
    json_decref(out);
    out = invoke("materials.resolve_map", json_pack("{s:O, s:O}", "objects", objects, "auto_map", auto_port),
                 json_pack("{s:[s], s:s}", "allowed_materials", "chrome", "on_disallowed", "fail"), &err);
    CHECK(err && !strcmp(err->pointer, "/params/allowed_materials"));
    CHECK_MSG(err && strstr(err->message, "/Gearbox/Housing (painted_metal_grey)") &&
                  strstr(err->message, "6 parts have"),
              "%s", err ? err->message : "");
    pf_error_free(err);
    out = invoke("materials.resolve_map", json_pack("{s:O, s:O}", "objects", objects, "auto_map", auto_port),
                 json_pack("{s:[s], s:s}", "allowed_materials", "chrome", "on_disallowed", "default"), &err);
    CHECK(err && !strcmp(err->pointer, "/params/constraint_default"));
    pf_error_free(err);
    out = invoke("materials.resolve_map", json_pack("{s:O, s:O}", "objects", objects, "auto_map", auto_port),
                 json_pack("{s:[s]}", "allowed_materials", "unobtainium"), &err);
    CHECK(err && !strcmp(err->pointer, "/params/allowed_materials/0"));
    pf_error_free(err);
    /* a library that does not exist is named, never the server's path to it */
    out = invoke("materials.resolve_map", json_pack("{s:O}", "objects", objects), json_pack("{s:s}", "library", "nope"),
                 &err);
    CHECK_MSG(err && !strchr(err->message, '/'), "%s", err ? err->message : "");
    pf_error_free(err);

    /* The library's name rules: parts with no STEP colour get what a studio
     * expects from their names, each assignment naming the rule. The parts
     * come from OCCT: a STEP file built here and read back. */
    char *step = pf_asprintf("%s/named.step", work);
    pf_cad_builder *b = pf_cad_builder_new();
    int root = pf_cad_builder_assembly(b, "Named");
    const char *names[] = {"Hex_Bolt",  "Nut_M6",     "Screw_M3", "Washer_6",    "Housing",     "Shaft_Seal",
                           "O-Ring_40", "Gasket_Top", "Lens",     "Glass_Panel", "Walnut_Trim", "Bracket"};
    const char *expect[] = {"brushed_steel",      "brushed_steel", "brushed_steel",      "brushed_steel",
                            "painted_metal_grey", "rubber_black",  "rubber_black",       "rubber_black",
                            "glass_clear",        "glass_clear",   "painted_metal_grey", "painted_metal_grey"};
    size_t n_named = sizeof names / sizeof *names;
    for (size_t k = 0; k < n_named; k++) {
        int part = pf_cad_builder_part(b, names[k], PF_CAD_BOX, (double[3]){5, 5, 5}, NULL);
        CHECK(part >= 0 && pf_cad_builder_place(b, root, part, names[k], (double[3]){k * 10.0, 0, 0}) == PF_CAD_OK);
    }
    /* a coloured bolt keeps its STEP colour: the designer's colour wins */
    int red_bolt =
        pf_cad_builder_part(b, "Red_Bolt", PF_CAD_CYLINDER, (double[3]){2, 10, 0}, (double[3]){0.8, 0.1, 0.1});
    CHECK(pf_cad_builder_place(b, root, red_bolt, "Red_Bolt", (double[3]){0, 20, 0}) == PF_CAD_OK);
    CHECK(pf_cad_builder_write_step(b, step) == PF_CAD_OK);
    pf_cad_builder_free(b);
    out = invoke("cad.extract_objects", json_pack("{s:{s:s}}", "step", "path", step), NULL, NULL);
    json_t *named = json_deep_copy(json_object_get(out, "objects"));
    json_decref(out);
    out = invoke("materials.auto_populate", json_pack("{s:O}", "objects", named), json_object(), NULL);
    map = load(json_object_get(out, "material_map"));
    for (size_t k = 0; k < n_named; k++) {
        char *path = pf_asprintf("/Named/%s", names[k]);
        bool by_default = k >= n_named - 2; /* Walnut_Trim is no nut; Bracket has no rule */
        CHECK_MSG(json_object_get(json_object_get(map, "parts"), path), "no entry for %s", path);
        CHECK_STR(material_of(map, path, "material"), expect[k]);
        CHECK_STR(material_of(map, path, "rule"), by_default ? "category_default" : "library_name_rule");
        if (!by_default) CHECK(material_of(map, path, "detail") && material_of(map, path, "label"));
        free(path);
    }
    CHECK_STR(material_of(map, "/Named/Red_Bolt", "rule"), "step_colour");
    CHECK_STR(material_of(map, "/Named/Red_Bolt", "material"), "painted_metal_red");
    json_decref(map);
    json_decref(out);
    /* switched off, the same parts take the category default */
    out = invoke("materials.auto_populate", json_pack("{s:O}", "objects", named),
                 json_pack("{s:b}", "use_library_rules", 0), NULL);
    map = load(json_object_get(out, "material_map"));
    CHECK_STR(material_of(map, "/Named/Hex_Bolt", "rule"), "category_default");
    json_decref(map);
    json_decref(out);
    /* a library whose rule is broken is refused when saved, with a pointer */
    json_t *broken = json_load_file(PF_SOURCE_DIR "/share/materials/default.json", 0, NULL);
    json_object_set_new(json_array_get(json_object_get(broken, "name_rules"), 1), "material", json_string("cheese"));
    pf_errors_init(&lib_errs);
    CHECK(pf_material_library_validate(broken, "default", &lib_errs) == 1 &&
          !strcmp(lib_errs.items[0].pointer, "/name_rules/1/material"));
    pf_errors_clear(&lib_errs);
    json_object_set_new(json_array_get(json_object_get(broken, "name_rules"), 1), "pattern", json_string("(bolt"));
    json_object_set_new(json_array_get(json_object_get(broken, "name_rules"), 1), "material", json_string("chrome"));
    CHECK(pf_material_library_validate(broken, "default", &lib_errs) == 1 &&
          !strcmp(lib_errs.items[0].pointer, "/name_rules/1/pattern"));
    pf_errors_clear(&lib_errs);
    json_decref(broken);
    json_decref(named);
    free(step);

    json_decref(auto_port);
    json_decref(objects);
    json_decref(shipped);
    pf_registry_free(reg);
    free(work);
    return pf_check_done("materials");
}
