/* Between the C face of the CAD kernel (cad_loader.c, in every binary) and
 * the OCCT adapter (cad_kernel.cpp, built as the module prodflow-occt.so).
 * OCCT's toolkits pull in X11, fontconfig, FreeImage, OpenEXR and TBB:
 * linking them cost every process about 55 ms of relocations at start,
 * paid again by each isolated module child. So only processes that call
 * the kernel load them, by dlopen'ing the module on first use. The module
 * exports one function that returns this table (plus the STEP lexer
 * override of step_input.cpp); the loader checks abi and size, so a module
 * from another build is refused rather than called through a wrong table. */
#ifndef PF_CAD_MODULE_H
#define PF_CAD_MODULE_H

#include "cad/cad_kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The module's file name, and what the loader looks it up by. */
#define PF_CAD_MODULE_FILE "prodflow-occt.so"
#define PF_CAD_MODULE_ENTRY "pf_cad_module_v1"
/* Bump on any change to the table below or to cad_kernel.h's types. */
#define PF_CAD_MODULE_ABI 3u

typedef struct pf_cad_api {
    unsigned abi;
    size_t size; /* sizeof(pf_cad_api) as the module was built */
    const char *(*last_error)(void);
    pf_cad_status (*open_step)(const char *path, const pf_cad_read_opts *opts, pf_cad_doc **out);
    void (*close)(pf_cad_doc *doc);
    size_t (*root_count)(const pf_cad_doc *doc);
    double (*length_unit)(const pf_cad_doc *doc);
    pf_cad_status (*mesh)(pf_cad_doc *doc, const pf_cad_mesh_opts *opts);
    const char *(*healing)(const pf_cad_doc *doc);
    size_t (*healed_part_count)(const pf_cad_doc *doc);
    const char *(*healed_part)(const pf_cad_doc *doc, size_t i);
    size_t (*meshed_shapes)(const pf_cad_doc *doc, size_t *instances);
    pf_cad_overrides (*overrides_used)(const pf_cad_doc *doc);
    size_t (*unmeshed_faces)(const pf_cad_doc *doc, size_t *faces);
    size_t (*triangle_count)(const pf_cad_doc *doc);
    pf_cad_status (*rough_diagonal)(const pf_cad_doc *doc, double *diagonal);
    pf_cad_status (*bbox)(const pf_cad_doc *doc, pf_cad_box *out);
    pf_cad_status (*write_glb)(pf_cad_doc *doc, const char *path, int merge_faces);
    pf_cad_status (*walk)(const pf_cad_doc *doc, pf_cad_walk_what what, pf_cad_node_fn fn, void *user);
    pf_cad_builder *(*builder_new)(void);
    void (*builder_free)(pf_cad_builder *b);
    int (*builder_part)(pf_cad_builder *b, const char *name, pf_cad_primitive kind, const double size[3],
                        const double *srgb);
    pf_cad_status (*builder_turn_inside_out)(pf_cad_builder *b, int part);
    int (*builder_assembly)(pf_cad_builder *b, const char *name);
    pf_cad_status (*builder_place)(pf_cad_builder *b, int assembly, int component, const char *instance_name,
                                   const double offset[3]);
    pf_cad_status (*builder_write_step)(pf_cad_builder *b, const char *path);
} pf_cad_api;

typedef const pf_cad_api *(*pf_cad_module_entry)(void);

#ifdef __cplusplus
}
#endif

#endif
