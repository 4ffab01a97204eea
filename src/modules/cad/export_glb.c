/* cad.export_glb: tessellate and write a GLB in metres and Y-up. */
#include "modules/module.h"

#include "core/mem.h"
#include "modules/cad/cad_document.h"
#include "modules/module_files.h"

#include <stdio.h>
#include <unistd.h>

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
    size_t triangles = pf_cad_triangle_count(doc);
    pf_cad_close(doc);
    if (st != PF_CAD_OK)
        err = pf_cad_error(st, "");
    else if (rename(tmp, path) != 0)
        err = pf_error_new(PF_EIO, "", "cannot move the GLB into place at %s", path);
    json_t *value = NULL;
    if (!err) err = pf_module_file_value(path, "model/gltf-binary", &value);
    if (!err) {
        json_object_set_new(value, "triangles", json_integer((json_int_t)triangles));
        *outputs = json_pack("{s:o}", "glb", value);
    }
    unlink(tmp);
    free(tmp);
    free(path);
    return err;
}

const pf_module_desc pf_module_cad_export_glb = {
    .key = "cad.export_glb",
    .contract_path = "modules/cad/export_glb.json",
    .execute = execute,
};
