#include "render_bench.h"

#include "cad/fixture.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/subprocess.h"

#include <stdio.h>
#include <stdlib.h>

pf_module_ctx pf_render_bench_ctx(const pf_render_bench *b, const char *work, const atomic_bool *cancel) {
    return (pf_module_ctx){.data_root = b->dir,
                           .cache_dir = b->cache[0] ? b->cache : NULL,
                           .work_dir = work,
                           .share_dir = PF_SHARE_DIR,
                           .cancel = cancel,
                           .blender_pool = b->pool};
}

json_t *pf_render_bench_invoke(const pf_render_bench *b, const char *key, const char *work_name, json_t *inputs,
                               json_t *params) {
    atomic_bool cancel = false;
    char *work = pf_asprintf("%s/work-%s", b->dir, work_name);
    pf_error_free(pf_mkdirs(work, 0755));
    pf_module_ctx ctx = pf_render_bench_ctx(b, work, &cancel);
    json_t *out = NULL;
    pf_error *err = pf_module_invoke(b->reg, key, &ctx, inputs, params, &out);
    if (err) {
        fprintf(stderr, "%s: %s at %s\n", key, err->message, err->pointer);
        exit(1);
    }
    json_decref(inputs);
    json_decref(params);
    free(work);
    return out;
}

static json_t *port(const pf_render_bench *b, const char *key, const char *name, const char *step) {
    json_t *out = pf_render_bench_invoke(b, key, name, json_pack("{s:{s:s}}", "step", "path", step), NULL);
    json_t *value = json_incref(json_object_get(out, name));
    json_decref(out);
    return value;
}

void pf_render_bench_open(pf_render_bench *b, const char *name) {
    *b = (pf_render_bench){0};
    snprintf(b->dir, sizeof b->dir, "/tmp/prodflow-bench-%s-XXXXXX", name);
    pf_errors_init(&b->errs);
    if (!mkdtemp(b->dir) || !(b->reg = pf_registry_load(&b->errs))) {
        fprintf(stderr, "cannot set up the bench in %s\n", b->dir);
        exit(1);
    }
    snprintf(b->cache, sizeof b->cache, "%s/cache", b->dir);
    char *step = pf_asprintf("%s/gearbox.step", b->dir);
    pf_error *err = pf_cad_make_fixture(step, &(pf_fixture_opts){.bolts = 8});
    if (err) {
        fprintf(stderr, "the gearbox fixture: %s\n", err->message);
        exit(1);
    }
    b->glb = port(b, "cad.export_glb", "glb", step);
    b->bbox = port(b, "cad.compute_bbox", "bbox", step);
    free(step);
}

pf_blender_pool *pf_render_bench_pool(void) {
    pf_blender_pool_opts po = {.setup = {.script = PF_SHARE_DIR "/blender/prodflow_render.py"}, .workers = 1};
    return pf_blender_pool_new(&po);
}

void pf_render_bench_close(pf_render_bench *b) {
    pf_blender_pool_free(b->pool);
    json_decref(b->glb);
    json_decref(b->bbox);
    pf_registry_free(b->reg);
    pf_errors_clear(&b->errs);
    const char *rm[] = {"rm", "-rf", b->dir, NULL};
    pf_subprocess_opts o = {.argv = rm};
    pf_subprocess_result r;
    pf_error_free(pf_subprocess_run(&o, &r));
}
