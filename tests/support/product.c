#include "support/product.h"

#include "cad/fixture.h"
#include "check.h"
#include "core/mem.h"
#include "support/tmpdir.h"

#include <stdatomic.h>
#include <stdlib.h>

json_t *pf_test_product_invoke(const pf_test_product *p, const char *key, json_t *inputs, json_t *params,
                               void (*progress)(void *user, double fraction, const char *message),
                               void *progress_user) {
    char *work = pf_test_tmpdir("product-work");
    atomic_bool cancel = false;
    pf_module_ctx ctx = {.data_root = p->dir,
                         .work_dir = work,
                         .share_dir = p->share,
                         .cancel = &cancel,
                         .progress = progress,
                         .progress_user = progress_user};
    json_t *out = NULL;
    pf_error *err = pf_module_invoke(p->reg, key, &ctx, inputs, params, &out);
    CHECK_MSG(err == NULL, "%s: %s at %s", key, err ? err->message : "", err ? err->pointer : "");
    pf_error_free(err);
    json_decref(inputs);
    json_decref(params);
    free(work);
    return out;
}

/* One output port of a CAD module run on the STEP file. */
static json_t *cad_output(const pf_test_product *p, const char *key, const char *step, const char *port) {
    json_t *out = pf_test_product_invoke(p, key, json_pack("{s:{s:s}}", "step", "path", step), NULL, NULL, NULL);
    json_t *got = json_incref(json_object_get(out, port));
    json_decref(out);
    return got;
}

bool pf_test_product_make(pf_test_product *p, const pf_registry *reg, const char *name, int bolts) {
    *p = (pf_test_product){.reg = reg, .dir = pf_test_tmpdir(name), .share = pf_strdup(PF_SOURCE_DIR "/share")};
    char *step = pf_asprintf("%s/gearbox.step", p->dir);
    pf_error *err = pf_cad_make_fixture(step, &(pf_fixture_opts){.bolts = bolts});
    CHECK_MSG(err == NULL, "the gearbox: %s", err ? err->message : "");
    if (!err) {
        p->glb = cad_output(p, "cad.export_glb", step, "glb");
        p->bbox = cad_output(p, "cad.compute_bbox", step, "bbox");
    }
    pf_error_free(err);
    free(step);
    return p->glb && p->bbox;
}

void pf_test_product_free(pf_test_product *p) {
    json_decref(p->glb);
    json_decref(p->bbox);
    free(p->share);
    free(p->dir);
}
