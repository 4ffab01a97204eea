/* cad.extract_objects: the object list of a STEP file. The fast mode is the
 * STEP scanner alone (the file memory-mapped); the full mode needs the OCCT adapter. */
#include "modules/module.h"

#include "cad/step_scanner.h"
#include "core/mem.h"
#include "modules/cad/cad_document.h"
#include "modules/module_files.h"

#include <string.h>

static json_t *triple(const double v[3]) { return json_pack("[f, f, f]", v[0], v[1], v[2]); }

static void add_kernel_node(void *user, const pf_cad_node *n) {
    json_t *node = json_pack("{s:s, s:s, s:s, s:b, s:I}", "path", n->path, "name", n->name, "product", n->product,
                             "is_assembly", n->is_assembly, "triangles", (json_int_t)n->triangles);
    json_object_set_new(node, "parent", n->parent ? json_string(n->parent) : json_null());
    /* XDE keeps one label per prototype, named after its product. */
    json_object_set_new(node, "instance_of", json_string(n->product));
    json_object_set_new(node, "colour", n->has_colour ? triple(n->colour) : json_null());
    json_object_set_new(node, "bbox",
                        n->has_bbox ? json_pack("{s:o, s:o}", "min", triple(n->min), "max", triple(n->max))
                                    : json_null());
    json_array_append_new(user, node);
}

/* Full mode: the kernel's view, meshed, with per-part boxes and triangles.
 * The scanner still supplies the file-level facts (schema, units, counts). */
static pf_error *add_full(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t *doc) {
    pf_cad_doc *cad = NULL;
    pf_error *err = pf_cad_open_meshed(ctx, inputs, params, &cad);
    if (err) return err;
    json_t *tree = json_array();
    pf_cad_status st = pf_cad_walk(cad, PF_CAD_WALK_GEOMETRY, add_kernel_node, tree);
    pf_cad_box box;
    if (st == PF_CAD_OK) st = pf_cad_bbox(cad, &box);
    size_t triangles = pf_cad_triangle_count(cad);
    pf_cad_close(cad);
    if (st != PF_CAD_OK) {
        json_decref(tree);
        return pf_cad_error(st, "/inputs/step");
    }
    json_object_set_new(doc, "tree", tree);
    json_t *summary = json_object_get(doc, "summary");
    json_object_set_new(summary, "instances", json_integer((json_int_t)json_array_size(tree)));
    json_object_set_new(summary, "triangles", json_integer((json_int_t)triangles));
    json_object_set_new(doc, "bbox", json_pack("{s:o, s:o}", "min", triple(box.min), "max", triple(box.max)));
    return NULL;
}

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    const char *mode = json_string_value(json_object_get(params, "mode"));
    bool full = mode && strcmp(mode, "full") == 0;
    const char *path = json_string_value(json_object_get(json_object_get(inputs, "step"), "path"));
    if (!path) return pf_error_new(PF_EINVAL, "/inputs/step", "the step input has no path");
    pf_step_summary *summary = NULL;
    pf_error *err = pf_step_scan_file(path, &summary);
    if (err) {
        free(err->pointer);
        err->pointer = pf_strdup("/inputs/step");
        return err;
    }
    json_t *doc = pf_step_summary_json(summary);
    pf_step_summary_free(summary);
    json_object_set_new(doc, "mode", json_string(full ? "full" : "fast"));
    if (full && (err = add_full(ctx, inputs, params, doc))) {
        json_decref(doc);
        return err;
    }
    if (!json_is_true(json_object_get(params, "include_colours"))) {
        size_t i;
        json_t *node;
        json_array_foreach(json_object_get(doc, "tree"), i, node) json_object_del(node, "colour");
        json_object_del(doc, "colours");
    }
    json_t *value = NULL;
    err = pf_module_write_json(ctx, "objects.json", doc, &value);
    if (!err) {
        json_object_set(value, "summary", json_object_get(doc, "summary"));
        *outputs = json_pack("{s:o}", "objects", value);
    }
    json_decref(doc);
    return err;
}

PF_MODULE(cad, extract_objects, .execute = execute);
