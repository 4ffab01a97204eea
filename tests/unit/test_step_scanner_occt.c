/* Property: the scanner and OCCT's reader agree on every fixture the project
 * makes and on Debian's real samples: the same tree (paths, names, products,
 * parents, assemblies, colours) in the same order. The fixtures are also
 * rewritten in the other spellings Part 21 allows (no white space, comments
 * between tokens, CRLF, one record per line or all on one), which take the
 * scanner's other paths: the summary must not change. */
#include "check.h"

#include "cad/cad_kernel.h"
#include "cad/fixture.h"
#include "cad/step_scanner.h"
#include "core/mem.h"
#include "core/path.h"
#include "support/tmpdir.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

static void collect(void *user, const pf_cad_node *n) {
    json_t *node = json_pack("{s:s, s:s, s:s?, s:s, s:b}", "path", n->path, "name", n->name, "parent", n->parent,
                             "product", n->product, "is_assembly", n->is_assembly);
    json_object_set_new(node, "colour",
                        n->has_colour ? json_pack("[f, f, f]", n->colour[0], n->colour[1], n->colour[2]) : json_null());
    json_array_append_new((json_t *)user, node);
}

static json_t *scan(const char *path) {
    pf_step_summary *s = NULL;
    pf_error *err = pf_step_scan_file(path, &s);
    CHECK_MSG(err == NULL, "%s: %s", path, err ? err->message : "");
    pf_error_free(err);
    json_t *doc = s ? pf_step_summary_json(s) : NULL;
    pf_step_summary_free(s);
    return doc;
}

static bool near(const json_t *a, const json_t *b) {
    if (json_is_null(a) || json_is_null(b)) return json_is_null(a) && json_is_null(b);
    for (size_t i = 0; i < 3; i++)
        if (fabs(json_real_value(json_array_get(a, i)) - json_real_value(json_array_get(b, i))) > 1e-4) return false;
    return true;
}

/* The scanner's tree against OCCT's walk of the same file. */
static void agree(const char *path) {
    json_t *scanned = scan(path), *walked = json_array();
    pf_cad_doc *doc = NULL;
    CHECK_MSG(pf_cad_open_step(path, NULL, &doc) == PF_CAD_OK, "%s: %s", path, pf_cad_last_error());
    if (doc) CHECK(pf_cad_walk(doc, PF_CAD_WALK_GEOMETRY, collect, walked) == PF_CAD_OK);
    pf_cad_close(doc);
    const json_t *tree = json_object_get(scanned, "tree");
    CHECK_MSG(json_array_size(tree) == json_array_size(walked) && json_array_size(tree) > 0,
              "%s: the scanner has %zu nodes, OCCT %zu", path, json_array_size(tree), json_array_size(walked));
    for (size_t i = 0; i < json_array_size(tree) && i < json_array_size(walked); i++) {
        const json_t *a = json_array_get(tree, i), *b = json_array_get(walked, i);
        static const char *const keys[] = {"path", "name", "parent", "product", "is_assembly"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
            CHECK_MSG(json_equal(json_object_get(a, keys[k]), json_object_get(b, keys[k])), "%s node %zu: %s differs",
                      path, i, keys[k]);
        CHECK_MSG(near(json_object_get(a, "colour"), json_object_get(b, "colour")), "%s node %zu: colour differs", path,
                  i);
    }
    json_decref(scanned);
    json_decref(walked);
}

typedef enum { COMPACT, COMMENTED, ONE_LINE } spelling;

/* The file at from, spelled another way (outside strings only) into to. */
static void respell(const char *from, const char *to, spelling how) {
    char *data = NULL;
    size_t len = 0;
    pf_error *err = pf_read_file(from, 64u << 20, &data, &len);
    CHECK(err == NULL);
    pf_error_free(err);
    FILE *f = fopen(to, "wb");
    CHECK(f != NULL);
    if (!f || !data) return free(data);
    bool in_string = false, in_data = false;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (in_string || c == '\'') {
            fputc(c, f);
            in_string = in_string ? c != '\'' : true;
            continue;
        }
        in_data = in_data || (i >= 5 && !memcmp(data + i - 5, "DATA;", 5));
        if (c == ' ' || c == '\n' || c == '\r') {
            if (how == COMMENTED && c == '\n') fputs("\r\n", f);
            if (how == ONE_LINE && c == ' ') fputc('\t', f);
            continue;
        }
        if (how == COMMENTED && c == '=') {
            fputs(" /* a (comment); 'x' */ = /**/ ", f); /* judged after cleaning */
            continue;
        }
        fputc(c, f);
        if (how == COMMENTED && c == ';' && in_data) fputs("/* between\nrecords */\n", f);
    }
    fclose(f);
    free(data);
}

static void test_fixtures(void) {
    static const pf_fixture_opts fixtures[] = {{.bolts = 0}, {.bolts = 3}, {.bolts = 8, .extra_parts = 25}};
    char *dir = pf_test_tmpdir("scanner-occt");
    for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) {
        char *step = pf_asprintf("%s/fixture%zu.step", dir, i);
        pf_error *err = pf_cad_make_fixture(step, &fixtures[i]);
        CHECK_MSG(err == NULL, "%s", err ? err->message : "");
        pf_error_free(err);
        agree(step);
        json_t *plain = scan(step);
        for (spelling how = COMPACT; how <= ONE_LINE; how++) {
            char *other = pf_asprintf("%s/fixture%zu-%d.step", dir, i, (int)how);
            respell(step, other, how);
            json_t *again = scan(other);
            CHECK_MSG(plain && again && json_equal(plain, again), "%s: the summary changed with the spelling", other);
            json_decref(again);
            if (how == COMPACT) agree(other); /* OCCT reads that spelling too */
            free(other);
        }
        json_decref(plain);
        free(step);
    }
    free(dir);
}

static void test_debian_samples(void) {
    static const char *const samples[] = {"/usr/share/opencascade/data/step/linkrods.step",
                                          "/usr/share/opencascade/data/step/screw.step"};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        if (access(samples[i], R_OK) != 0) {
            printf("note: %s is not installed (package occt-misc); skipped\n", samples[i]);
            continue;
        }
        agree(samples[i]);
    }
}

int main(void) {
    test_fixtures();
    test_debian_samples();
    return pf_check_done("step_scanner_occt");
}
