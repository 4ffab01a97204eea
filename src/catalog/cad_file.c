#include "catalog/cad_file.h"

#include <string.h>

/* Found by module rather than node id, so an edited intake workflow works. */
static const json_t *output_of(const json_t *run, const char *module, const char *port) {
    size_t i;
    const json_t *node;
    json_array_foreach(json_object_get(json_object_get(json_object_get(run, "doc"), "workflow"), "nodes"), i, node) {
        const char *step = json_string_value(json_object_get(node, "step"));
        if (!step || strcmp(step, module) != 0) continue;
        const char *id = json_string_value(json_object_get(node, "id"));
        const json_t *state = json_object_get(json_object_get(json_object_get(run, "nodes"), id), "state");
        const json_t *v = json_object_get(json_object_get(state, "outputs"), port);
        if (v) return v;
    }
    return NULL;
}

json_t *pf_cad_file_intake(pf_store *store, const char *intake_run_id) {
    static const char *const roles[][3] = {
        {"step", "cad.resolve_step_path", "step"},
        {"objects", "cad.extract_objects", "objects"},
        {"glb", "cad.export_glb", "glb"},
        {"bbox", "cad.compute_bbox", "bbox"},
        {"material_map", "materials.auto_populate", "material_map"},
        {"thumbnail", "render.thumbnail", "image"},
    };
    json_t *run = NULL, *out = json_object();
    pf_error_free(pf_store_run_get(store, intake_run_id, true, &run));
    for (size_t i = 0; run && i < sizeof roles / sizeof *roles; i++) {
        const json_t *v = output_of(run, roles[i][1], roles[i][2]);
        if (v) json_object_set(out, roles[i][0], (json_t *)v);
    }
    json_decref(run);
    return out;
}
