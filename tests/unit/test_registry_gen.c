/* The module table's generator (tools/gen_modules.c), run on a copy of the
 * contracts: as they are, it writes the table the registry loads, in an
 * order every family's palette agrees with; each kind of mismatch between
 * contracts, bodies and palettes fails it with a message naming the file at
 * fault. The build runs the same generator on src/modules, so these are the
 * build errors a broken module gets. */
#include "check.h"

#include "core/mem.h"
#include "core/path.h"
#include "modules/registry.h"
#include "support/shell.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *root;

/* A fresh copy of the contracts, the bodies and families.json. */
static void fresh_copy(void) {
    char *cmd = pf_asprintf("rm -rf '%s/src' '%s/out' && mkdir -p '%s/src' '%s/out' && cp -r '%s/src/modules' "
                            "'%s/src/modules' && cp '%s/src/contract/families.json' '%s/src/families.json'",
                            root, root, root, root, PF_SOURCE_DIR, root, PF_SOURCE_DIR, root);
    CHECK_INT(system(cmd), 0);
    free(cmd);
}

static char *generate_cmd(void) {
    return pf_asprintf("'%s' '%s/src/modules' '%s/src/families.json' '%s/out/contracts.h' '%s/out/table.h'",
                       PF_GEN_MODULES, root, root, root, root);
}

static char *path_of(const char *rel) { return pf_asprintf("%s/src/%s", root, rel); }

/* Runs cmd, which it frees, through the shell. */
static int sh(char *cmd) {
    int rc = system(cmd);
    free(cmd);
    return rc;
}

/* Sets field to value (JSON text) in the copy's file rel. */
static void patch(const char *rel, const char *field, const char *value) {
    char *path = path_of(rel);
    json_t *doc = json_load_file(path, 0, NULL);
    CHECK_MSG(doc != NULL, "%s is not JSON", rel);
    json_object_set_new(doc, field, json_loads(value, JSON_DECODE_ANY, NULL));
    CHECK_INT(json_dump_file(doc, path, JSON_INDENT(2)), 0);
    json_decref(doc);
    free(path);
}

/* Writes ("w") or appends ("a") text to the copy's file rel. */
static void put_text(const char *rel, const char *mode, const char *text) {
    char *path = path_of(rel);
    FILE *f = fopen(path, mode);
    CHECK(f != NULL);
    if (f) fputs(text, f), fclose(f);
    free(path);
}

/* The generator refuses the copy as it now is, saying phrase, and writes
 * nothing. */
static void expect_refused(const char *what, const char *phrase) {
    char *cmd = generate_cmd();
    CHECK_MSG(pf_test_expect(cmd, 1, phrase), "%s", what);
    char *table = pf_asprintf("%s/out/table.h", root);
    CHECK_MSG(access(table, F_OK) != 0, "%s: a table was written anyway", what);
    free(table);
    free(cmd);
}

/* As they are, the contracts give the table the registry has loaded, and
 * the key and contract path of each module; every palette's order holds in
 * the table. */
static void test_as_is(const pf_registry *reg) {
    fresh_copy();
    char *cmd = generate_cmd();
    char *out = NULL;
    CHECK_INT(pf_test_sh(cmd, &out), 0);
    free(out);
    free(cmd);
    char *path = pf_asprintf("%s/out/table.h", root), *table = NULL, *contracts = NULL;
    size_t len;
    pf_error *err = pf_read_file(path, 1 << 20, &table, &len);
    CHECK(err == NULL);
    pf_error_free(err);
    free(path);
    path = pf_asprintf("%s/out/contracts.h", root);
    err = pf_read_file(path, 1 << 20, &contracts, &len);
    CHECK(err == NULL);
    pf_error_free(err);
    free(path);
    if (!table || !contracts) return;
    const char *at = table;
    size_t n = 0;
    for (; (at = strstr(at, "&pf_module_")); at++, n++) {
        CHECK_MSG(n < reg->n_modules, "the table has more modules than the registry");
        if (n >= reg->n_modules) break;
        const char *key = reg->modules[n].key;
        char *symbol = pf_asprintf("&pf_module_%s,", key);
        *strchr(symbol, '.') = '_';
        CHECK_MSG(strncmp(at, symbol, strlen(symbol)) == 0, "place %zu of the table is not %s", n, key);
        const char *dot = strchr(key, '.');
        char *define = pf_asprintf("#define PF_MODULE_CONTRACT_%.*s_%s .key = \"%s\", .contract_path = "
                                   "\"modules/%.*s/%s.json\"\n",
                                   (int)(dot - key), key, dot + 1, key, (int)(dot - key), key, dot + 1);
        CHECK_MSG(strstr(contracts, define) != NULL, "contracts.h lacks %s", define);
        /* Its namespace is reserved from external modules. */
        char *quoted = pf_asprintf("\"%.*s\"", (int)(dot - key), key);
        const char *spaces = strstr(contracts, "#define PF_MODULE_NAMESPACES ");
        const char *eol = spaces ? strchr(spaces, '\n') : NULL;
        const char *hit = spaces ? strstr(spaces, quoted) : NULL;
        CHECK_MSG(hit && hit < eol, "PF_MODULE_NAMESPACES lacks %s", quoted);
        free(quoted);
        free(define);
        free(symbol);
    }
    CHECK_INT(n, reg->n_modules);
    CHECK_INT(n, 14);
    for (size_t f = 0; f < reg->contract.n_families; f++) {
        size_t k, last = 0;
        const json_t *step;
        json_array_foreach(reg->contract.families[f].palette, k, step) {
            size_t place = 0;
            while (place < reg->n_modules && strcmp(reg->modules[place].key, json_string_value(step)) != 0)
                place++;
            CHECK_MSG(k == 0 || place > last, "family %s: %s is out of palette order", reg->contract.families[f].key,
                      json_string_value(step));
            last = place;
        }
    }
    free(table);
    free(contracts);
}

static void test_mismatches(void) {
    fresh_copy();
    patch("modules/cad/export_glb.json", "module_key", "\"cad.export_gltf\"");
    expect_refused("key is not the file's name",
                   "src/modules/cad/export_glb.json: module_key is \"cad.export_gltf\"; it must be \"cad.export_glb\"");

    /* A contract without a body: in a palette, beside no C file. */
    fresh_copy();
    CHECK_INT(
        sh(pf_asprintf("cp '%s/src/modules/cad/compute_bbox.json' '%s/src/modules/cad/planned.json'", root, root)), 0);
    patch("modules/cad/planned.json", "module_key", "\"cad.planned\"");
    patch("modules/cad/planned.json", "family", "[\"cad_file\"]");
    char *families = path_of("families.json");
    json_t *doc = json_load_file(families, 0, NULL);
    json_array_append_new(json_object_get(json_array_get(json_object_get(doc, "families"), 0), "palette"),
                          json_string("cad.planned"));
    CHECK_INT(json_dump_file(doc, families, JSON_INDENT(2)), 0);
    json_decref(doc);
    free(families);
    expect_refused("contract without a body",
                   "src/modules/cad/planned.json: has no body: cad/planned.c beside it must define it with "
                   "PF_MODULE(cad, planned, ...)");

    /* A body without a contract. */
    fresh_copy();
    put_text("modules/cad/stray.c", "w",
             "#include \"modules/module.h\"\n\nPF_MODULE(cad, stray, .pending_issue = \"#1\");\n");
    expect_refused("body without a contract",
                   "src/modules/cad/stray.c: PF_MODULE(cad, stray) has no contract cad/stray.json");

    /* A body whose contract is gone. */
    fresh_copy();
    char *gone = path_of("modules/cad/compute_bbox.json");
    CHECK_INT(unlink(gone), 0);
    free(gone);
    expect_refused("contract removed", "src/modules/cad/compute_bbox.c: PF_MODULE(cad, compute_bbox) has no contract");

    /* The same key twice: a contract copied and not renamed inside. */
    fresh_copy();
    CHECK_INT(
        sh(pf_asprintf("cp '%s/src/modules/cad/export_glb.json' '%s/src/modules/cad/export_glb2.json'", root, root)),
        0);
    expect_refused("duplicate key",
                   "src/modules/cad/export_glb2.json: module_key \"cad.export_glb\" is also the key of ");

    /* A descriptor written out by hand brings its own key and path. */
    fresh_copy();
    put_text("modules/cad/compute_bbox.c", "a",
             "const pf_module_desc pf_module_cad_other = {.key = \"cad.other\", .contract_path = \"x\"};\n");
    expect_refused("hand-written descriptor", "src/modules/cad/compute_bbox.c: writes out a module descriptor");

    fresh_copy();
    patch("modules/render/thumbnail.json", "family", "[\"cad_file\", \"nope\"]");
    expect_refused("unknown family", "src/modules/render/thumbnail.json: family \"nope\" is not in ");

    /* Palettes that disagree on an order give no table. */
    fresh_copy();
    families = path_of("families.json");
    doc = json_load_file(families, 0, NULL);
    json_t *palette = json_object_get(json_array_get(json_object_get(doc, "families"), 1), "palette");
    json_t *first = json_incref(json_array_get(palette, 0));
    json_array_remove(palette, 0);
    json_array_insert_new(palette, 1, first);
    CHECK_INT(json_dump_file(doc, families, JSON_INDENT(2)), 0);
    json_decref(doc);
    free(families);
    expect_refused("palettes in conflict", "src/families.json: the palettes order some modules both ways");

    /* A palette entry without a contract; a family whose palette omits a
     * module that names it. */
    fresh_copy();
    families = path_of("families.json");
    doc = json_load_file(families, 0, NULL);
    palette = json_object_get(json_array_get(json_object_get(doc, "families"), 0), "palette");
    json_array_append_new(palette, json_string("cad.ghost"));
    CHECK_STR(json_string_value(json_array_get(palette, 3)), "cad.compute_bbox");
    json_array_remove(palette, 3);
    CHECK_INT(json_dump_file(doc, families, JSON_INDENT(2)), 0);
    json_decref(doc);
    free(families);
    expect_refused("palette without contract",
                   "src/families.json: family \"cad_file\"'s palette lists cad.ghost, which has no contract");
    expect_refused("palette omits a module", "src/modules/cad/compute_bbox.json: names family \"cad_file\", whose "
                                             "palette in ");

    fresh_copy();
    put_text("modules/output/notify.json", "w", "{\"module_key\": \"output.notify\",\n");
    expect_refused("not JSON", "src/modules/output/notify.json:2:");
}

int main(void) {
    root = pf_test_tmpdir("registry_gen");
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = pf_registry_load(&errs);
    CHECK_MSG(reg != NULL, "%s", errs.len ? errs.items[0].message : "");
    if (reg) test_as_is(reg);
    test_mismatches();
    pf_registry_free(reg);
    pf_errors_clear(&errs);
    free(root);
    return pf_check_done("registry_gen");
}
