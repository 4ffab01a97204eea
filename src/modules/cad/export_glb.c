/* cad.export_glb: tessellate and write a GLB in metres and Y-up. */
#include "modules/module.h"

#include "cad/glb.h"
#include "core/mem.h"
#include "modules/cad/cad_document.h"
#include "modules/module_files.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void collect_node(void *user, const pf_cad_node *n) {
    json_array_append_new(user, json_pack("{s:s, s:s, s:s}", "path", n->path, "product", n->product, "name", n->name));
}

/* The writer and the walk both visit components in label order, but the
 * writer skips shapes without triangles, so align greedily on the name the
 * writer gives a node (the product's, else the instance's). */
static void tag_node(json_t *gltf_nodes, json_t *node, const json_t *walk, size_t *next, int depth) {
    const char *name = json_string_value(json_object_get(node, "name"));
    if (!node || depth > 64) return;
    for (size_t i = *next; name && i < json_array_size(walk); i++) {
        const json_t *w = json_array_get(walk, i);
        const char *product = json_string_value(json_object_get(w, "product"));
        if (strcmp(name, *product ? product : json_string_value(json_object_get(w, "name"))) != 0) continue;
        json_t *extras = json_object_get(node, "extras");
        if (!json_is_object(extras)) json_object_set_new(node, "extras", extras = json_object());
        json_object_set(extras, "prodflow_path", json_object_get(w, "path"));
        *next = i + 1;
        break;
    }
    size_t k;
    json_t *child;
    json_array_foreach(json_object_get(node, "children"), k, child)
        tag_node(gltf_nodes, json_array_get(gltf_nodes, (size_t)json_integer_value(child)), walk, next, depth + 1);
}

/* Tags the nodes array: the roots (nodes no other node lists as a child),
 * in order, then their children depth-first, as the writer wrote them. */
static pf_error *tag_nodes(json_t *nodes, void *walk) {
    size_t count = json_array_size(nodes), next = 0, i;
    char *child_of_some = pf_xcalloc(count ? count : 1, 1);
    json_t *node, *child;
    json_array_foreach(nodes, i, node) {
        size_t k;
        json_array_foreach(json_object_get(node, "children"), k, child) {
            json_int_t c = json_integer_value(child);
            if (c >= 0 && (size_t)c < count) child_of_some[c] = 1;
        }
    }
    for (i = 0; i < count; i++)
        if (!child_of_some[i]) tag_node(nodes, json_array_get(nodes, i), walk, &next, 0);
    free(child_of_some);
    return NULL;
}

/* Each glTF node carries its part path in extras.prodflow_path, the key of
 * the material map, so a renderer can find a part whatever its name. Only
 * the GLB's nodes are parsed and written again. */
static pf_error *tag_part_paths(pf_cad_doc *doc, const char *glb_path) {
    json_t *walk = json_array();
    pf_error *err = NULL;
    pf_cad_status st = pf_cad_walk(doc, PF_CAD_WALK_STRUCTURE, collect_node, walk);
    if (st != PF_CAD_OK) err = pf_cad_error(st, "");
    if (!err) err = pf_glb_update_member(glb_path, "nodes", tag_nodes, walk);
    if (err && err->code == PF_ENOTFOUND) { /* a scene without nodes: nothing to tag */
        pf_error_free(err);
        err = NULL;
    }
    json_decref(walk);
    return err;
}

/* What the export says besides the file: triangles over all instances, how
 * the shapes were healed and which parts adaptive healing had to heal (by
 * product name), and how many distinct shapes were meshed for how many
 * placed parts. */
static json_t *meshing_report(const pf_cad_doc *doc) {
    size_t instances = 0, shapes = pf_cad_meshed_shapes(doc, &instances);
    json_t *healed = json_array();
    for (size_t i = 0; i < pf_cad_healed_part_count(doc); i++)
        json_array_append_new(healed, json_string(pf_cad_healed_part(doc, i)));
    return json_pack("{s:I, s:s, s:o, s:I, s:I}", "triangles", (json_int_t)pf_cad_triangle_count(doc), "healing",
                     pf_cad_healing(doc), "healed_parts", healed, "meshed_shapes", (json_int_t)shapes, "instances",
                     (json_int_t)instances);
}

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    pf_cad_doc *doc = NULL;
    pf_error *err = pf_cad_open_meshed(ctx, inputs, params, &doc);
    if (err) return err;
    if (ctx->progress) ctx->progress(ctx->progress_user, 0.8, "writing GLB");
    /* The writer streams into its file, so write beside and rename: a reader
     * never sees half a model. */
    char *path = pf_module_work_path(ctx, "model.glb");
    char *tmp = pf_asprintf("%s.partial", path);
    pf_cad_status st = pf_cad_write_glb(doc, tmp, json_is_true(json_object_get(params, "merge_faces")));
    json_t *meshing = meshing_report(doc);
    if (st != PF_CAD_OK) err = pf_cad_error(st, "");
    if (!err) err = tag_part_paths(doc, tmp);
    pf_cad_close(doc);
    if (!err && rename(tmp, path) != 0) err = pf_error_new(PF_EIO, "", "cannot move the GLB into place at %s", path);
    json_t *value = NULL;
    if (!err) err = pf_module_file_value(path, "model/gltf-binary", &value);
    if (!err) {
        json_object_update(value, meshing);
        *outputs = json_pack("{s:o}", "glb", value);
    }
    json_decref(meshing);
    unlink(tmp);
    free(tmp);
    free(path);
    return err;
}

PF_MODULE(cad, export_glb, .execute = execute);
