/* The C face of the CAD kernel (cad_kernel.h), linked into every binary:
 * it loads the OCCT adapter, prodflow-occt.so, on the first call and
 * forwards each call through the module's table (cad_module.h says why
 * OCCT lives in a module). */
#include "cad/cad_kernel.h"

#include "cad/cad_module.h"
#include "core/log.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where the build put the module: for the test and bench binaries, which
 * live elsewhere in the build tree than prodflow and its module. */
#ifndef PF_OCCT_MODULE_PATH
#define PF_OCCT_MODULE_PATH PF_CAD_MODULE_FILE
#endif

/* Built once by load() and read-only afterwards: the module's table, or
 * NULL and why not. The module is never unloaded (OCCT keeps process-wide
 * registries that would dangle). */
static struct {
    const pf_cad_api *api;
    char why[512];
} kernel;
static pthread_once_t kernel_once = PTHREAD_ONCE_INIT;

/* $PRODFLOW_OCCT_MODULE when set (an operator's or a test's choice, with no
 * fallback, so a wrong setting is an error rather than another module),
 * else next to the running binary (an installed prodflow or a copy of the
 * build directory carries its module beside it), else the build's own. */
static void locate(char *out, size_t len) {
    const char *env = getenv("PRODFLOW_OCCT_MODULE");
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? memrchr(exe, '/', (size_t)n) : NULL;
    if (slash && (size_t)(slash - exe) + 1 + sizeof PF_CAD_MODULE_FILE <= len) {
        snprintf(out, len, "%.*s/%s", (int)(slash - exe), exe, PF_CAD_MODULE_FILE);
        if (access(out, F_OK) == 0) return;
    }
    snprintf(out, len, "%s", PF_OCCT_MODULE_PATH);
}

/* why, for API callers, names the module by its file name only: the
 * server's directories stay in the server's log, which gets the full path. */
static void unavailable(const char *path, const char *fmt, const char *detail) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    /* dlerror() starts with the module's path when the module itself is at fault. */
    size_t plen = strlen(path);
    if (!strncmp(detail, path, plen) && !strncmp(detail + plen, ": ", 2)) detail += plen + 2;
    char what[384];
    snprintf(what, sizeof what, fmt, base, detail);
    snprintf(kernel.why, sizeof kernel.why, "the CAD kernel is not available: %s", what);
    pf_log(PF_LOG_ERROR, "cad.kernel_unavailable", "%s (module %s)", kernel.why, path);
}

static void load(void) {
    char path[PATH_MAX + sizeof PF_CAD_MODULE_FILE + 1];
    locate(path, sizeof path);
    /* RTLD_NOW: a missing symbol is an error here, not a crash mid-read.
     * RTLD_LOCAL: OCCT's symbols stay out of the global scope. The
     * module's own lookup scope still puts it before OCCT's libraries, so
     * its STEP lexer override (step_input.cpp) still takes precedence. */
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *e = dlerror();
        unavailable(path, "cannot load %s (%s)", e ? e : "unknown error");
        return;
    }
    pf_cad_module_entry entry;
    /* The C standard has no conversion from void * to a function pointer; POSIX guarantees this copy works. */
    void *sym = dlsym(handle, PF_CAD_MODULE_ENTRY);
    memcpy(&entry, &sym, sizeof entry);
    const pf_cad_api *api = entry ? entry() : NULL;
    if (!api) {
        unavailable(path, "%s is not Prodflow's OCCT module (%s)", "it has no " PF_CAD_MODULE_ENTRY);
    } else if (api->abi != PF_CAD_MODULE_ABI || api->size != sizeof *api) {
        unavailable(path, "%s is from another build of Prodflow (%s)", "its kernel interface differs");
    } else {
        kernel.api = api;
        return;
    }
    /* Left open: closing a module that ran OCCT's static constructors is not safe either. */
}

static const pf_cad_api *k(void) {
    pthread_once(&kernel_once, load);
    return kernel.api;
}

pf_cad_status pf_cad_load(void) { return k() ? PF_CAD_OK : PF_CAD_EUNAVAILABLE; }

const char *pf_cad_last_error(void) { return k() ? kernel.api->last_error() : kernel.why; }

pf_cad_status pf_cad_open_step(const char *path, const pf_cad_read_opts *opts, pf_cad_doc **out) {
    *out = NULL;
    return k() ? kernel.api->open_step(path, opts, out) : PF_CAD_EUNAVAILABLE;
}

/* A document or builder exists only once the module is loaded; freeing
 * NULL must not load OCCT into a process that never used it. */
void pf_cad_close(pf_cad_doc *doc) {
    if (doc) k()->close(doc);
}

size_t pf_cad_root_count(const pf_cad_doc *doc) { return k() ? kernel.api->root_count(doc) : 0; }
double pf_cad_length_unit(const pf_cad_doc *doc) { return k() ? kernel.api->length_unit(doc) : 0; }

pf_cad_status pf_cad_mesh(pf_cad_doc *doc, const pf_cad_mesh_opts *opts) {
    return k() ? kernel.api->mesh(doc, opts) : PF_CAD_EUNAVAILABLE;
}

const char *pf_cad_healing(const pf_cad_doc *doc) { return k() ? kernel.api->healing(doc) : ""; }
size_t pf_cad_healed_part_count(const pf_cad_doc *doc) { return k() ? kernel.api->healed_part_count(doc) : 0; }
const char *pf_cad_healed_part(const pf_cad_doc *doc, size_t i) { return k() ? kernel.api->healed_part(doc, i) : NULL; }

size_t pf_cad_meshed_shapes(const pf_cad_doc *doc, size_t *instances) {
    if (k()) return kernel.api->meshed_shapes(doc, instances);
    if (instances) *instances = 0;
    return 0;
}
pf_cad_overrides pf_cad_overrides_used(const pf_cad_doc *doc) {
    return k() ? kernel.api->overrides_used(doc) : (pf_cad_overrides){0};
}

size_t pf_cad_unmeshed_faces(const pf_cad_doc *doc, size_t *faces) {
    if (k()) return kernel.api->unmeshed_faces(doc, faces);
    if (faces) *faces = 0;
    return 0;
}

size_t pf_cad_triangle_count(const pf_cad_doc *doc) { return k() ? kernel.api->triangle_count(doc) : 0; }

pf_cad_status pf_cad_rough_diagonal(const pf_cad_doc *doc, double *diagonal) {
    return k() ? kernel.api->rough_diagonal(doc, diagonal) : PF_CAD_EUNAVAILABLE;
}

pf_cad_status pf_cad_bbox(const pf_cad_doc *doc, pf_cad_box *out) {
    return k() ? kernel.api->bbox(doc, out) : PF_CAD_EUNAVAILABLE;
}

pf_cad_status pf_cad_write_glb(pf_cad_doc *doc, const char *path, int merge_faces) {
    return k() ? kernel.api->write_glb(doc, path, merge_faces) : PF_CAD_EUNAVAILABLE;
}

pf_cad_status pf_cad_walk(const pf_cad_doc *doc, pf_cad_walk_what what, pf_cad_node_fn fn, void *user) {
    return k() ? kernel.api->walk(doc, what, fn, user) : PF_CAD_EUNAVAILABLE;
}

pf_cad_builder *pf_cad_builder_new(void) { return k() ? kernel.api->builder_new() : NULL; }

void pf_cad_builder_free(pf_cad_builder *b) {
    if (b) k()->builder_free(b);
}

int pf_cad_builder_part(pf_cad_builder *b, const char *name, pf_cad_primitive kind, const double size[3],
                        const double *srgb) {
    return k() ? kernel.api->builder_part(b, name, kind, size, srgb) : -1;
}

pf_cad_status pf_cad_builder_turn_inside_out(pf_cad_builder *b, int part) {
    return k() ? kernel.api->builder_turn_inside_out(b, part) : PF_CAD_EUNAVAILABLE;
}

int pf_cad_builder_assembly(pf_cad_builder *b, const char *name) {
    return k() ? kernel.api->builder_assembly(b, name) : -1;
}

pf_cad_status pf_cad_builder_place(pf_cad_builder *b, int assembly, int component, const char *instance_name,
                                   const double offset[3]) {
    return k() ? kernel.api->builder_place(b, assembly, component, instance_name, offset) : PF_CAD_EUNAVAILABLE;
}

pf_cad_status pf_cad_builder_write_step(pf_cad_builder *b, const char *path) {
    return k() ? kernel.api->builder_write_step(b, path) : PF_CAD_EUNAVAILABLE;
}
