#include "modules/cad/cad_document.h"

pf_error *pf_cad_error(pf_cad_status status, const char *pointer) {
    pf_code code = status == PF_CAD_EREAD || status == PF_CAD_EEMPTY ? PF_EINVAL
                   : status == PF_CAD_EUNAVAILABLE                   ? PF_EUNAVAILABLE
                                                                     : PF_EINTERNAL;
    return pf_error_new(code, pointer, "%s", pf_cad_last_error());
}

static void progress(const pf_module_ctx *ctx, double fraction, const char *message) {
    if (ctx->progress) ctx->progress(ctx->progress_user, fraction, message);
}

/* A deflection under a millionth of the model's size meshes billions of
 * triangles (0.00001 mm on a 350 mm gearbox meshed for minutes): it is
 * refused before meshing. Fine meshes within the bound are what the
 * memory and CPU limits of the module's process are for. */
#define FINEST_RATIO 1e-6

static pf_error *check_fineness(const pf_cad_doc *doc, const pf_cad_mesh_opts *opts) {
    if (opts->relative) {
        if (opts->linear_deflection >= FINEST_RATIO) return NULL;
        return pf_error_new(PF_EINVAL, "/params/linear_deflection",
                            "a relative deflection of %g is too fine; the finest this module takes is %g",
                            opts->linear_deflection, FINEST_RATIO);
    }
    double diagonal = 0;
    if (pf_cad_rough_diagonal(doc, &diagonal) != PF_CAD_OK || diagonal <= 0) return NULL;
    double finest = diagonal * FINEST_RATIO, mm = pf_cad_length_unit(doc) * 1000;
    if (opts->linear_deflection >= finest) return NULL;
    return pf_error_new(PF_EINVAL, "/params/linear_deflection",
                        "a linear deflection of %g mm is too fine for a model %.0f mm across: the finest it takes is "
                        "%.2g mm",
                        opts->linear_deflection * mm, diagonal * mm, finest * mm);
}

pf_error *pf_cad_open_meshed(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, pf_cad_doc **out) {
    *out = NULL;
    const char *path = json_string_value(json_object_get(json_object_get(inputs, "step"), "path"));
    if (!path) return pf_error_new(PF_EINVAL, "/inputs/step", "the step input has no path");
    progress(ctx, 0.05, "reading STEP");
    pf_cad_doc *doc = NULL;
    pf_cad_read_opts read = {.skip_shape_healing = json_is_false(json_object_get(params, "shape_healing"))};
    pf_cad_status st = pf_cad_open_step(path, &read, &doc);
    if (st != PF_CAD_OK) return pf_cad_error(st, "/inputs/step");
    if (ctx->cancel && atomic_load(ctx->cancel)) {
        pf_cad_close(doc);
        return pf_error_new(PF_ECANCELLED, "", "cancelled after reading %s", path);
    }
    const json_t *angular = json_object_get(params, "angular_deflection");
    pf_cad_mesh_opts opts = {
        .linear_deflection = json_number_value(json_object_get(params, "linear_deflection")),
        .angular_deflection = angular ? json_number_value(angular) : 0.5,
        .relative = json_is_true(json_object_get(params, "relative")),
        .parallel = !json_is_false(json_object_get(params, "parallel")),
    };
    pf_error *err = check_fineness(doc, &opts);
    if (err) {
        pf_cad_close(doc);
        return err;
    }
    progress(ctx, 0.4, "meshing");
    st = pf_cad_mesh(doc, &opts);
    err = st != PF_CAD_OK ? pf_cad_error(st, "/params/linear_deflection") : NULL;
    size_t faces = 0, unmeshed = err ? 0 : pf_cad_unmeshed_faces(doc, &faces);
    /* Unhealed shapes can lose faces silently; say so rather than deliver a model with holes. */
    if (!err && read.skip_shape_healing && unmeshed > 0)
        err = pf_error_new(PF_EINVAL, "/params/shape_healing",
                           "%zu of %zu faces did not tessellate without shape healing; leave shape_healing on for %s",
                           unmeshed, faces, path);
    /* Healing can leave a face with nothing to tessellate (a wire around no
     * area); a model of such faces alone would be delivered as an empty GLB. */
    if (!err && faces > 0 && unmeshed == faces)
        err = pf_error_new(PF_EINVAL, "/inputs/step",
                           "none of the %zu faces in %s could be tessellated, even with shape healing: the model has "
                           "no surface to mesh",
                           faces, path);
    if (err) {
        pf_cad_close(doc);
        return err;
    }
    *out = doc;
    return NULL;
}
