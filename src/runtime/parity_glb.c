#include "runtime/parity_glb.h"

#include "cad/glb.h"
#include "core/json.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* 4 decimals: a tenth of a millimetre in metres is below what a render
 * shows, and above what a float written twice may move by. */
static json_t *rounded(double v) { return json_real(round(v * 1e4) / 1e4); }

static json_t *rounded_array(const json_t *a) {
    if (!json_is_array(a)) return NULL;
    json_t *out = json_array();
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v) json_array_append_new(out, rounded(json_number_value(v)));
    return out;
}

typedef double mat4[16]; /* column-major, as glTF writes it */

static void mat_mul(const mat4 a, const mat4 b, mat4 out) {
    mat4 r;
    for (int c = 0; c < 4; c++)
        for (int row = 0; row < 4; row++) {
            double s = 0;
            for (int k = 0; k < 4; k++)
                s += a[k * 4 + row] * b[c * 4 + k];
            r[c * 4 + row] = s;
        }
    memcpy(out, r, sizeof r);
}

static double num(const json_t *a, size_t i, double fallback) {
    const json_t *v = json_array_get(a, i);
    return json_is_number(v) ? json_number_value(v) : fallback;
}

/* A node's local matrix: its "matrix", else T * R * S. */
static void local_matrix(const json_t *node, mat4 m) {
    const json_t *matrix = json_object_get(node, "matrix");
    if (json_array_size(matrix) == 16) {
        for (size_t i = 0; i < 16; i++)
            m[i] = num(matrix, i, 0);
        return;
    }
    const json_t *t = json_object_get(node, "translation"), *r = json_object_get(node, "rotation"),
                 *s = json_object_get(node, "scale");
    double x = num(r, 0, 0), y = num(r, 1, 0), z = num(r, 2, 0), w = num(r, 3, 1);
    double sx = num(s, 0, 1), sy = num(s, 1, 1), sz = num(s, 2, 1);
    double rot[9] = {1 - 2 * (y * y + z * z), 2 * (x * y + z * w),     2 * (x * z - y * w),
                     2 * (x * y - z * w),     1 - 2 * (x * x + z * z), 2 * (y * z + x * w),
                     2 * (x * z + y * w),     2 * (y * z - x * w),     1 - 2 * (x * x + y * y)};
    double scale[3] = {sx, sy, sz};
    for (int c = 0; c < 3; c++) {
        for (int row = 0; row < 3; row++)
            m[c * 4 + row] = rot[c * 3 + row] * scale[c];
        m[c * 4 + 3] = 0;
    }
    m[12] = num(t, 0, 0), m[13] = num(t, 1, 0), m[14] = num(t, 2, 0), m[15] = 1;
}

typedef struct {
    const json_t *doc;
    double min[3], max[3];
    bool any;
    int depth;
} bounds_walk;

/* Grows the bounds by the eight corners of each POSITION accessor's box
 * under the node's world matrix. */
static void walk(bounds_walk *b, size_t index, const mat4 parent) {
    const json_t *node = json_array_get(json_object_get(b->doc, "nodes"), index);
    if (!node || b->depth > 64) return; /* a cycle is a broken file: stop */
    mat4 local, world;
    local_matrix(node, local);
    mat_mul(parent, local, world);
    const json_t *mesh =
        json_array_get(json_object_get(b->doc, "meshes"), (size_t)json_integer_value(json_object_get(node, "mesh")));
    size_t i;
    const json_t *prim;
    if (json_object_get(node, "mesh")) json_array_foreach(json_object_get(mesh, "primitives"), i, prim) {
            const json_t *pos = json_object_get(json_object_get(prim, "attributes"), "POSITION");
            const json_t *acc = json_array_get(json_object_get(b->doc, "accessors"), (size_t)json_integer_value(pos));
            const json_t *lo = json_object_get(acc, "min"), *hi = json_object_get(acc, "max");
            if (json_array_size(lo) != 3 || json_array_size(hi) != 3) continue;
            for (int corner = 0; corner < 8; corner++) {
                double p[3] = {num(corner & 1 ? hi : lo, 0, 0), num(corner & 2 ? hi : lo, 1, 0),
                               num(corner & 4 ? hi : lo, 2, 0)};
                for (int k = 0; k < 3; k++) {
                    double v = world[k] * p[0] + world[4 + k] * p[1] + world[8 + k] * p[2] + world[12 + k];
                    if (!b->any || v < b->min[k]) b->min[k] = v;
                    if (!b->any || v > b->max[k]) b->max[k] = v;
                }
                b->any = true;
            }
        }
    const json_t *child;
    b->depth++;
    json_array_foreach(json_object_get(node, "children"), i, child) walk(b, (size_t)json_integer_value(child), world);
    b->depth--;
}

static json_t *nodes_of(const json_t *doc) {
    json_t *out = json_array();
    size_t i;
    const json_t *node;
    json_array_foreach(json_object_get(doc, "nodes"), i, node) {
        json_t *entry =
            json_pack("{s:O?, s:O?, s:I}", "name", json_object_get(node, "name"), "mesh", json_object_get(node, "mesh"),
                      "children", (json_int_t)json_array_size(json_object_get(node, "children")));
        const char *trs[] = {"translation", "rotation", "scale", "matrix"};
        for (size_t k = 0; k < 4; k++)
            if (json_object_get(node, trs[k]))
                json_object_set_new(entry, trs[k], rounded_array(json_object_get(node, trs[k])));
        json_array_append_new(out, entry);
    }
    return out;
}

static json_t *meshes_of(const json_t *doc) {
    json_t *out = json_array();
    const json_t *accessors = json_object_get(doc, "accessors");
    size_t i, k;
    const json_t *mesh, *prim;
    json_array_foreach(json_object_get(doc, "meshes"), i, mesh) {
        json_t *prims = json_array();
        json_array_foreach(json_object_get(mesh, "primitives"), k, prim) {
            const json_t *pos = json_object_get(json_object_get(prim, "attributes"), "POSITION");
            const json_t *idx = json_object_get(prim, "indices");
            json_t *attributes = json_array();
            const char *name;
            const json_t *v;
            json_object_foreach(json_object_get(prim, "attributes"), name, v)
                json_array_append_new(attributes, json_string(name));
            json_array_append_new(
                prims,
                json_pack(
                    "{s:O?, s:O?, s:O?, s:o}", "material", json_object_get(prim, "material"), "vertices",
                    json_object_get(json_array_get(accessors, (size_t)json_integer_value(pos)), "count"), "indices",
                    idx ? json_object_get(json_array_get(accessors, (size_t)json_integer_value(idx)), "count") : NULL,
                    "attributes", attributes));
        }
        json_array_append_new(out,
                              json_pack("{s:O?, s:o}", "name", json_object_get(mesh, "name"), "primitives", prims));
    }
    return out;
}

static json_t *materials_of(const json_t *doc) {
    json_t *out = json_array();
    size_t i;
    const json_t *m;
    json_array_foreach(json_object_get(doc, "materials"), i, m) {
        const json_t *pbr = json_object_get(m, "pbrMetallicRoughness");
        json_t *entry = json_pack("{s:O?}", "name", json_object_get(m, "name"));
        if (json_object_get(pbr, "baseColorFactor"))
            json_object_set_new(entry, "base_color", rounded_array(json_object_get(pbr, "baseColorFactor")));
        const char *scalars[] = {"metallicFactor", "roughnessFactor"};
        for (size_t k = 0; k < 2; k++)
            if (json_is_number(json_object_get(pbr, scalars[k])))
                json_object_set_new(entry, scalars[k], rounded(json_number_value(json_object_get(pbr, scalars[k]))));
        json_array_append_new(out, entry);
    }
    return out;
}

pf_error *pf_parity_glb_structure(const char *path, json_t **out) {
    *out = NULL;
    json_t *doc = NULL;
    pf_error *err = pf_glb_read_json(path, &doc);
    if (err) return err;
    bounds_walk b = {.doc = doc};
    const mat4 identity = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    const json_t *scenes = json_object_get(doc, "scenes");
    const json_t *scene = json_array_get(scenes, (size_t)json_integer_value(json_object_get(doc, "scene")));
    size_t i;
    const json_t *root;
    json_array_foreach(json_object_get(scene, "nodes"), i, root) walk(&b, (size_t)json_integer_value(root), identity);
    json_t *bounds = json_null();
    if (b.any)
        bounds = json_pack("{s:[o, o, o], s:[o, o, o]}", "min", rounded(b.min[0]), rounded(b.min[1]), rounded(b.min[2]),
                           "max", rounded(b.max[0]), rounded(b.max[1]), rounded(b.max[2]));
    *out = json_pack("{s:o, s:o, s:o, s:o}", "nodes", nodes_of(doc), "meshes", meshes_of(doc), "materials",
                     materials_of(doc), "bounds", bounds);
    json_decref(doc);
    return NULL;
}
