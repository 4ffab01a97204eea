/* The OCCT adapter on Debian's real STEP samples: read, mesh, tight box and
 * GLB in metres and Y-up; bad files give a status and a message. */
#include "check.h"

#include "cad/cad_kernel.h"
#include "cad/fixture.h"
#include "cad/step_scanner.h"
#include "core/mem.h"
#include "core/path.h"
#include "support/tmpdir.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define SAMPLE "/usr/share/opencascade/data/step/linkrods.step"
#define SCREW "/usr/share/opencascade/data/step/screw.step"

/* The JSON chunk of a GLB file; NULL when the container is malformed. */
static json_t *glb_json(const char *path) {
    char *data;
    size_t len;
    pf_error *err = pf_read_file(path, 512u << 20, &data, &len);
    if (err) {
        pf_error_free(err);
        return NULL;
    }
    json_t *doc = NULL;
    uint32_t magic, version, total, chunk_len, chunk_type;
    if (len >= 20) {
        memcpy(&magic, data, 4);
        memcpy(&version, data + 4, 4);
        memcpy(&total, data + 8, 4);
        memcpy(&chunk_len, data + 12, 4);
        memcpy(&chunk_type, data + 16, 4);
        if (magic == 0x46546C67 && version == 2 && total == len && chunk_type == 0x4E4F534A && 20 + chunk_len <= len)
            doc = json_loadb(data + 20, chunk_len, 0, NULL);
    }
    free(data);
    return doc;
}

static void test_sample(void) {
    pf_cad_doc *doc = NULL;
    CHECK_INT(pf_cad_open_step(SAMPLE, NULL, &doc), PF_CAD_OK);
    if (!doc) return;
    /* The lexer's block reader is bound: an OCCT that drops the symbol it
     * overrides fails here, not silently twice as slow. */
    CHECK_MSG(pf_cad_overrides_used(doc).lexer_block_reads > 0, "OCCT's STEP lexer read one character at a time");
    CHECK(pf_cad_root_count(doc) >= 1);
    CHECK(fabs(pf_cad_length_unit(doc) - 0.001) < 1e-12);
    pf_cad_box box;
    CHECK_INT(pf_cad_bbox(doc, &box), PF_CAD_EMESH); /* a tight box needs a mesh */
    pf_cad_mesh_opts opts = {.linear_deflection = 0.1, .angular_deflection = 0.5, .parallel = 1};
    CHECK_INT(pf_cad_mesh(doc, &opts), PF_CAD_OK);
    CHECK(pf_cad_triangle_count(doc) > 100);
    CHECK_INT(pf_cad_bbox(doc, &box), PF_CAD_OK);
    double size[3];
    for (int i = 0; i < 3; i++)
        size[i] = box.max[i] - box.min[i];
    CHECK(size[0] > 0.001 && size[0] < 10 && size[1] > 0 && size[2] > 0); /* metres, not millimetres */

    char *dir = pf_test_tmpdir("cad");
    char *glb = pf_asprintf("%s/linkrods.glb", dir);
    CHECK_INT(pf_cad_write_glb(doc, glb, 0), PF_CAD_OK);
    json_t *gltf = glb_json(glb);
    CHECK(gltf != NULL);
    /* Positions span the CAD box turned Y-up: x stays, y is CAD z, z is -CAD y. */
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    size_t i;
    json_t *mesh;
    json_array_foreach(json_object_get(gltf, "meshes"), i, mesh) {
        size_t k;
        json_t *prim;
        json_array_foreach(json_object_get(mesh, "primitives"), k, prim) {
            json_t *acc =
                json_array_get(json_object_get(gltf, "accessors"),
                               json_integer_value(json_object_get(json_object_get(prim, "attributes"), "POSITION")));
            for (int a = 0; a < 3; a++) {
                lo[a] = fmin(lo[a], json_number_value(json_array_get(json_object_get(acc, "min"), a)));
                hi[a] = fmax(hi[a], json_number_value(json_array_get(json_object_get(acc, "max"), a)));
            }
        }
    }
    double tol = 1e-4 + 1e-6; /* the deflection, 0.1 mm */
    CHECK_MSG(fabs(lo[0] - box.min[0]) < tol && fabs(hi[0] - box.max[0]) < tol, "x %g..%g vs %g..%g", lo[0], hi[0],
              box.min[0], box.max[0]);
    CHECK_MSG(fabs(lo[1] - box.min[2]) < tol && fabs(hi[1] - box.max[2]) < tol, "y %g..%g vs z %g..%g", lo[1], hi[1],
              box.min[2], box.max[2]);
    CHECK_MSG(fabs(lo[2] + box.max[1]) < tol && fabs(hi[2] + box.min[1]) < tol, "z %g..%g vs -y %g..%g", lo[2], hi[2],
              -box.max[1], -box.min[1]);
    /* Names come from products, never OCCT's synthetic label paths. */
    json_t *node;
    json_array_foreach(json_object_get(gltf, "nodes"), i, node) {
        const char *name = json_string_value(json_object_get(node, "name"));
        CHECK(!name || !strstr(name, "=>["));
    }
    json_decref(gltf);
    pf_cad_close(doc);
    free(glb);
    free(dir);
}

/* Opens and meshes path with the given healing; returns faces, unmeshed
 * faces, triangles, the healing the document reports, the parts healed and
 * the shapes meshed for how many instances. */
typedef struct {
    size_t faces, unmeshed, triangles, healed, shapes, instances;
    char healing[160], healed_parts[256]; /* names joined by "," */
} meshed;

static meshed open_and_mesh(const char *path, int skip, int full) {
    meshed m = {0};
    pf_cad_doc *doc = NULL;
    pf_cad_read_opts ro = {.skip_shape_healing = skip, .full_shape_healing = full};
    CHECK_INT(pf_cad_open_step(path, &ro, &doc), PF_CAD_OK);
    if (!doc) return m;
    pf_cad_mesh_opts opts = {.linear_deflection = 0.1, .angular_deflection = 0.5, .parallel = 1};
    CHECK_INT(pf_cad_mesh(doc, &opts), PF_CAD_OK);
    m.unmeshed = pf_cad_unmeshed_faces(doc, &m.faces);
    m.triangles = pf_cad_triangle_count(doc);
    m.healed = pf_cad_healed_part_count(doc);
    m.shapes = pf_cad_meshed_shapes(doc, &m.instances);
    snprintf(m.healing, sizeof m.healing, "%s", pf_cad_healing(doc));
    for (size_t i = 0; i < m.healed; i++) {
        size_t at = strlen(m.healed_parts);
        snprintf(m.healed_parts + at, sizeof m.healed_parts - at, "%s%s", i ? "," : "", pf_cad_healed_part(doc, i));
    }
    CHECK(pf_cad_healed_part(doc, m.healed) == NULL);
    pf_cad_close(doc);
    return m;
}

/* Debian's samples lack the curves on surfaces the mesher needs: without
 * healing they lose faces. Adaptive healing (the default) heals the parts
 * that lose them, names them, and tessellates every face into the same
 * triangles as OCCT's full healing, without falling back to it. */
static void test_adaptive_healing_samples(void) {
    const char *files[] = {SAMPLE, SCREW};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        meshed adaptive = open_and_mesh(files[i], 0, 0), full = open_and_mesh(files[i], 0, 1);
        CHECK_MSG(adaptive.faces > 0 && adaptive.unmeshed == 0, "%s: %zu of %zu faces untessellated", files[i],
                  adaptive.unmeshed, adaptive.faces);
        CHECK_MSG(!strncmp(adaptive.healing, "adaptive (healed ", 17) && adaptive.healed > 0 &&
                      adaptive.healed_parts[0],
                  "%s: healing %s, %zu parts healed", files[i], adaptive.healing, adaptive.healed);
        CHECK_MSG(!strcmp(full.healing, "full") && full.unmeshed == 0 && full.healed == 0, "%s: full healing %s",
                  files[i], full.healing);
        CHECK_MSG(adaptive.faces == full.faces && adaptive.triangles == full.triangles,
                  "%s: adaptive %zu faces %zu triangles, full %zu %zu", files[i], adaptive.faces, adaptive.triangles,
                  full.faces, full.triangles);
    }
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        meshed none = open_and_mesh(files[i], 1, 0);
        CHECK_MSG(none.unmeshed > 0 && !strcmp(none.healing, "none") && none.healed == 0,
                  "%s unhealed: %zu unmeshed, %s", files[i], none.unmeshed, none.healing);
    }
}

/* The fixture with its Housing written inside out: adaptive healing heals
 * it and names it. The clean fixture has one part that needs healing too,
 * the Bearing (a torus whose seam curves OCCT reads inconsistent: it meshes
 * unhealed, into other triangles than occt-draw's); the other parts are left
 * as read. Both give the same triangles. */
static void test_adaptive_healing_names_the_part(void) {
    char *dir = pf_test_tmpdir("cad-inverted");
    char *good = pf_asprintf("%s/gearbox.step", dir), *bad = pf_asprintf("%s/inverted.step", dir);
    pf_error *err = pf_cad_make_fixture(good, &(pf_fixture_opts){.bolts = 3});
    if (!err) err = pf_cad_make_fixture(bad, &(pf_fixture_opts){.bolts = 3, .inside_out = 1});
    CHECK_MSG(!err, "%s", err ? err->message : "");
    pf_error_free(err);
    meshed plain = open_and_mesh(good, 0, 0), inverted = open_and_mesh(bad, 0, 0);
    CHECK_STR(plain.healing, "adaptive (healed 1 of 5 parts)");
    CHECK_STR(plain.healed_parts, "Bearing");
    CHECK_STR(inverted.healing, "adaptive (healed 2 of 5 parts)");
    CHECK_STR(inverted.healed_parts, "Housing,Bearing");
    CHECK(inverted.unmeshed == 0 && inverted.faces == plain.faces);
    CHECK_MSG(inverted.triangles == plain.triangles, "triangles: clean %zu, healed %zu", plain.triangles,
              inverted.triangles);
    free(good);
    free(bad);
    free(dir);
}

/* A step written with one bolt placed n times, or with n bolts of the same
 * shape as distinct parts. */
static void write_bolts(const char *path, int n, int instanced) {
    pf_cad_builder *b = pf_cad_builder_new();
    int root = pf_cad_builder_assembly(b, "Plate"), bolt = -1;
    CHECK(b && root >= 0);
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "Bolt_%d", i + 1);
        if (!instanced || bolt < 0)
            bolt = pf_cad_builder_part(b, instanced ? "Bolt" : name, PF_CAD_CYLINDER, (double[3]){2, 12, 0}, NULL);
        CHECK_INT(pf_cad_builder_place(b, root, bolt, name, (double[3]){i * 5.0, (i % 3) * 7.0, 0}), PF_CAD_OK);
    }
    CHECK_INT(pf_cad_builder_write_step(b, path), PF_CAD_OK);
    pf_cad_builder_free(b);
}

/* Forty instances of one bolt mesh it once and give the triangles of forty
 * bolts meshed one by one. */
static void test_instances_meshed_once(void) {
    char *dir = pf_test_tmpdir("cad-instances");
    char *shared = pf_asprintf("%s/shared.step", dir), *apart = pf_asprintf("%s/apart.step", dir);
    write_bolts(shared, 40, 1);
    write_bolts(apart, 40, 0);
    meshed once = open_and_mesh(shared, 0, 0), each = open_and_mesh(apart, 0, 0);
    CHECK_MSG(once.shapes == 1 && once.instances == 40, "shared: %zu shapes for %zu instances", once.shapes,
              once.instances);
    CHECK_MSG(each.shapes == 40 && each.instances == 40, "apart: %zu shapes for %zu instances", each.shapes,
              each.instances);
    CHECK_MSG(once.triangles > 0 && once.triangles == each.triangles && once.faces == each.faces,
              "triangles: shared %zu, apart %zu", once.triangles, each.triangles);
    free(shared);
    free(apart);
    free(dir);
}

/* Opens path, checks that its assembly links went through the adapter's
 * own check (step_assembly.cpp), meshes it and writes out. */
static void export_checked(const char *path, const char *out) {
    pf_cad_doc *doc = NULL;
    CHECK_INT(pf_cad_open_step(path, NULL, &doc), PF_CAD_OK);
    if (!doc) return;
    CHECK_MSG(pf_cad_overrides_used(doc).assembly_link_checks > 0, "%s: OCCT's own assembly link check ran", path);
    pf_cad_mesh_opts opts = {.linear_deflection = 0.1, .angular_deflection = 0.5, .parallel = 1};
    CHECK_INT(pf_cad_mesh(doc, &opts), PF_CAD_OK);
    CHECK_INT(pf_cad_write_glb(doc, out, 0), PF_CAD_OK);
    /* The GLB itself and the writer's temporary binary file. */
    CHECK_MSG(pf_cad_overrides_used(doc).buffered_writes == 2, "%s: %lu files written through the buffer", out,
              pf_cad_overrides_used(doc).buffered_writes);
    pf_cad_close(doc);
}

/* OCCT's reader as shipped (none of the adapter's replacements, its own
 * healing): the same placed parts and triangles as the adapter's read. */
static void check_as_shipped(const char *path, size_t shapes, size_t instances, size_t triangles) {
    pf_cad_doc *doc = NULL;
    CHECK_INT(pf_cad_open_step(path, &(pf_cad_read_opts){.as_shipped = 1}, &doc), PF_CAD_OK);
    if (!doc) return;
    pf_cad_overrides used = pf_cad_overrides_used(doc);
    CHECK_MSG(used.lexer_block_reads == 0 && used.assembly_link_checks == 0, "%s: the adapter's own functions ran",
              path);
    pf_cad_mesh_opts opts = {.linear_deflection = 0.1, .angular_deflection = 0.5, .parallel = 1};
    CHECK_INT(pf_cad_mesh(doc, &opts), PF_CAD_OK);
    size_t placed = 0;
    CHECK_MSG(pf_cad_meshed_shapes(doc, &placed) == shapes && placed == instances &&
                  pf_cad_triangle_count(doc) == triangles,
              "%s as shipped: %zu shapes, %zu instances, %zu triangles", path, pf_cad_meshed_shapes(doc, NULL), placed,
              pf_cad_triangle_count(doc));
    CHECK_STR(pf_cad_healing(doc), "full");
    pf_cad_close(doc);
}

/* A file whose shape representation relationships name the assembly and
 * the component the other way round from its assembly links (OCCT reads
 * such files as reversed) gives the same GLB, byte for byte, as the
 * fixture it was made from: the adapter's check finds the reversal, as
 * OCCT's own does. */
static void test_reversed_assembly_links(void) {
    char *dir = pf_test_tmpdir("cad-reversed");
    char *step = pf_asprintf("%s/gearbox.step", dir), *reversed = pf_asprintf("%s/reversed.step", dir);
    char *glb = pf_asprintf("%s/gearbox.glb", dir), *rglb = pf_asprintf("%s/reversed.glb", dir);
    pf_error *err = pf_cad_make_fixture(step, &(pf_fixture_opts){.bolts = 3});
    char *text = NULL, *a = NULL, *b = NULL;
    size_t len = 0, swapped = 0;
    if (!err) err = pf_read_file(step, 16u << 20, &text, &len);
    CHECK_MSG(!err, "%s", err ? err->message : "");
    pf_error_free(err);
    if (!text) goto done;
    /* REPRESENTATION_RELATIONSHIP('','',#rep1,#rep2): the two references swapped. */
    static const char head[] = "REPRESENTATION_RELATIONSHIP('','',";
    for (char *at = strstr(text, head); at; at = strstr(at + 1, head)) {
        char *r1 = at + sizeof head - 1, *comma = strchr(r1, ','), *close = comma ? strchr(comma, ')') : NULL;
        if (!close || *r1 != '#' || comma[1] != '#' || close - r1 > 64) continue;
        a = pf_strndup(r1, (size_t)(comma - r1));
        b = pf_strndup(comma + 1, (size_t)(close - comma - 1));
        snprintf(r1, (size_t)(close - r1) + 1, "%s,%s", b, a); /* same length: overwrites up to the ')' */
        *close = ')';
        free(a);
        free(b);
        swapped++;
    }
    CHECK_MSG(swapped >= 3, "swapped %zu relationships", swapped);
    err = pf_write_file_atomic(reversed, text, len);
    CHECK(!err);
    pf_error_free(err);
    export_checked(step, glb);
    export_checked(reversed, rglb);
    meshed m = open_and_mesh(reversed, 0, 0);
    check_as_shipped(reversed, m.shapes, m.instances, m.triangles);
    char *g1 = NULL, *g2 = NULL;
    size_t n1 = 0, n2 = 0;
    err = pf_read_file(glb, 64u << 20, &g1, &n1);
    if (!err) err = pf_read_file(rglb, 64u << 20, &g2, &n2);
    CHECK(!err);
    pf_error_free(err);
    CHECK_MSG(g1 && g2 && n1 == n2 && memcmp(g1, g2, n1) == 0, "the reversed file gave another GLB (%zu vs %zu bytes)",
              n1, n2);
    free(g1);
    free(g2);
done:
    free(text);
    free(step);
    free(reversed);
    free(glb);
    free(rglb);
    free(dir);
}

static void collect_names(void *user, const pf_cad_node *node) {
    json_array_append_new((json_t *)user, json_string(node->name));
}

/* Names in UTF-8 go into the file and come back the same through the
 * scanner, OCCT's reader and the GLB. */
static void test_unicode_names(void) {
    char *dir = pf_test_tmpdir("cad-unicode");
    char *step = pf_asprintf("%s/names.step", dir), *glb = pf_asprintf("%s/names.glb", dir);
    static const char assembly[] = "Baugruppe Gr\xC3\xB6\xC3\x9F"
                                   "e",
                      part[] = "Schraube \xC3\x98"
                               "4 caf\xC3\xA9";
    pf_cad_builder *b = pf_cad_builder_new();
    int a = pf_cad_builder_assembly(b, assembly),
        p = pf_cad_builder_part(b, part, PF_CAD_BOX, (double[3]){1, 2, 3}, NULL);
    CHECK_INT(pf_cad_builder_place(b, a, p, part, (double[3]){0, 0, 0}), PF_CAD_OK);
    CHECK_INT(pf_cad_builder_write_step(b, step), PF_CAD_OK);
    pf_cad_builder_free(b);

    pf_step_summary *summary = NULL;
    pf_error *err = pf_step_scan_file(step, &summary);
    CHECK(err == NULL);
    json_t *scanned = summary ? pf_step_summary_json(summary) : NULL, *walked = json_array();
    pf_cad_doc *doc = NULL;
    CHECK_INT(pf_cad_open_step(step, NULL, &doc), PF_CAD_OK);
    CHECK(doc && pf_cad_walk(doc, PF_CAD_WALK_STRUCTURE, collect_names, walked) == PF_CAD_OK);
    CHECK(doc &&
          pf_cad_mesh(doc, &(pf_cad_mesh_opts){.linear_deflection = 0.1, .angular_deflection = 0.5}) == PF_CAD_OK);
    CHECK(doc && pf_cad_write_glb(doc, glb, 0) == PF_CAD_OK);
    json_t *gltf = glb_json(glb);
    const char *names[] = {assembly, part};
    for (size_t i = 0; i < 2; i++) {
        CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(scanned, "tree"), i), "name")),
                  names[i]);
        CHECK_STR(json_string_value(json_array_get(walked, i)), names[i]);
        CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(gltf, "nodes"), i), "name")),
                  names[i]);
    }
    json_decref(gltf), json_decref(scanned), json_decref(walked);
    pf_step_summary_free(summary);
    pf_error_free(err);
    pf_cad_close(doc);
    free(step), free(glb), free(dir);
}

static void test_bad_files(void) {
    pf_cad_doc *doc = NULL;
    char *dir = pf_test_tmpdir("cad-bad");
    char *junk = pf_asprintf("%s/junk.step", dir);
    FILE *f = fopen(junk, "w");
    fputs("this is not STEP\n", f);
    fclose(f);
    CHECK_INT(pf_cad_open_step(junk, NULL, &doc), PF_CAD_EREAD);
    CHECK(doc == NULL && strstr(pf_cad_last_error(), "junk.step"));
    CHECK_INT(pf_cad_open_step("/nonexistent/part.step", NULL, &doc), PF_CAD_EREAD);
    pf_cad_status st = pf_cad_open_step(PF_SOURCE_DIR "/tests/fixtures/step/gearbox.step", NULL, &doc);
    CHECK(st == PF_CAD_EEMPTY || st == PF_CAD_EREAD); /* structure but no geometry */
    CHECK(doc == NULL);
    free(junk);
    free(dir);
}

int main(void) {
    if (access(SAMPLE, R_OK) != 0) {
        fprintf(stderr, "%s is missing: scripts/bootstrap installs occt-misc\n", SAMPLE);
        return 1;
    }
    test_sample();
    test_adaptive_healing_samples();
    test_adaptive_healing_names_the_part();
    test_instances_meshed_once();
    test_reversed_assembly_links();
    test_unicode_names();
    test_bad_files();
    return pf_check_done("cad_kernel");
}
