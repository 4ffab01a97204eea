/* The CAD kernel: a thin C face over OCCT's XDE (src/cad/cad_kernel.cpp, the
 * only C++ in Prodflow). Handles are opaque and owned by the caller; every
 * call returns a status, and pf_cad_last_error() explains a failure on the
 * calling thread. No C++ exception crosses this boundary.
 *
 * The adapter and OCCT live in the module prodflow-occt.so, loaded on the
 * first call of any function here (cad_loader.c says where it is looked
 * for), so processes that never touch CAD never load OCCT. When it cannot
 * be loaded, calls return PF_CAD_EUNAVAILABLE (NULL or -1 where they
 * return a handle or an id) and pf_cad_last_error() names what is missing. */
#ifndef PF_CAD_KERNEL_H
#define PF_CAD_KERNEL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    PF_CAD_OK = 0,
    PF_CAD_EREAD,        /* the file could not be read as STEP */
    PF_CAD_EEMPTY,       /* no shapes to work on */
    PF_CAD_EMESH,        /* tessellation failed */
    PF_CAD_EWRITE,       /* the output could not be written */
    PF_CAD_EINTERNAL,    /* OCCT raised something unexpected */
    PF_CAD_EUNAVAILABLE, /* the OCCT module or a library it needs could not be loaded */
} pf_cad_status;

typedef struct pf_cad_doc pf_cad_doc;

typedef struct pf_cad_mesh_opts {
    double linear_deflection;  /* millimetres */
    double angular_deflection; /* radians */
    int relative;
    int parallel;
} pf_cad_mesh_opts;

typedef struct pf_cad_box {
    double min[3], max[3]; /* metres, Z-up as in the CAD file */
} pf_cad_box;

const char *pf_cad_last_error(void);
/* Loads the kernel now rather than on first use: PF_CAD_OK, or
 * PF_CAD_EUNAVAILABLE with pf_cad_last_error() saying why. Thread-safe;
 * the module is loaded once per process and never unloaded. */
pf_cad_status pf_cad_load(void);

typedef struct pf_cad_read_opts {
    /* No shape healing (ShapeFix) at all: faces whose STEP data lacks what
     * the mesher needs (curves on surfaces, mostly) stay untessellated. */
    int skip_shape_healing;
    /* OCCT's default healing of every shape while reading, the same run as
     * occt-draw's ReadStep, instead of adaptive healing (pf_cad_mesh). */
    int full_shape_healing;
    /* OCCT's reader as shipped: its own lexer input and assembly link check
     * (none of the adapter's replacements) and its default healing; the
     * baseline the benches measure the adapter against. */
    int as_shipped;
} pf_cad_read_opts;

/* Reads STEP through STEPCAFControl_Reader; opts may be NULL (adaptive healing).
 * Reads are serialised within the process because the reader keeps
 * process-wide settings. */
pf_cad_status pf_cad_open_step(const char *path, const pf_cad_read_opts *opts, pf_cad_doc **out);
void pf_cad_close(pf_cad_doc *doc);

/* Free (top-level) shapes and all labels of products. */
size_t pf_cad_root_count(const pf_cad_doc *doc);
/* The document's length unit in metres per unit (0.001 for millimetres). */
double pf_cad_length_unit(const pf_cad_doc *doc);

/* Tessellates each distinct part shape once, however many instances it
 * has. With adaptive healing (the default), the file was read unhealed and
 * only the parts whose mesh shows a defect (a face without triangles, a
 * shell inside out) are healed, as OCCT heals by default, and meshed again;
 * should one still fail, the file is read again with full healing. */
pf_cad_status pf_cad_mesh(pf_cad_doc *doc, const pf_cad_mesh_opts *opts);
/* How the shapes were healed: "adaptive", "adaptive (healed N of M parts)",
 * "full" or "none"; after pf_cad_mesh fell back to full healing,
 * "full (after adaptive healing left ...)". */
const char *pf_cad_healing(const pf_cad_doc *doc);
/* How many parts adaptive healing healed in the last pf_cad_mesh, and the
 * product name of the i-th (NULL when i is past the end). */
size_t pf_cad_healed_part_count(const pf_cad_doc *doc);
const char *pf_cad_healed_part(const pf_cad_doc *doc, size_t i);
/* Distinct part shapes the last pf_cad_mesh tessellated; *instances (may be
 * NULL) gets how many placed parts of the assembly share those meshes. */
size_t pf_cad_meshed_shapes(const pf_cad_doc *doc, size_t *instances);
/* What the adapter's own versions of OCCT functions did for this document
 * (each replaces one of OCCT's by symbol; a zero where there was work means
 * an OCCT upgrade dropped the symbol and OCCT's slower one ran):
 * - lexer_block_reads: blocks the STEP lexer read (step_input.cpp), where
 *   OCCT's reads one character at a time;
 * - assembly_link_checks: component placements checked without copying the
 *   assembly's sharing list each time (step_assembly.cpp);
 * - buffered_writes: files the GLB writer wrote through a buffer that knows
 *   its position without a system call (glb_output.cpp). */
typedef struct {
    unsigned long lexer_block_reads, assembly_link_checks, buffered_writes;
} pf_cad_overrides;
pf_cad_overrides pf_cad_overrides_used(const pf_cad_doc *doc);
/* Faces the last pf_cad_mesh left without triangles; *faces (may be NULL)
 * gets how many faces there are. Counts instances, not prototypes. */
size_t pf_cad_unmeshed_faces(const pf_cad_doc *doc, size_t *faces);
/* Triangles over all meshed faces (each shared instance counted once). */
size_t pf_cad_triangle_count(const pf_cad_doc *doc);
/* The diagonal of a loose box around every shape (no mesh needed; on
 * B-spline parts up to 2.5 times too large), in model units: what bounds
 * how fine a mesh may be asked for. */
pf_cad_status pf_cad_rough_diagonal(const pf_cad_doc *doc, double *diagonal);
/* A tight box from the triangulation; call after pf_cad_mesh. */
pf_cad_status pf_cad_bbox(const pf_cad_doc *doc, pf_cad_box *out);
/* GLB in metres and Y-up; node names from product names. */
pf_cad_status pf_cad_write_glb(pf_cad_doc *doc, const char *path, int merge_faces);

/* One node of the assembly tree, as the walk reports it. Strings live until
 * the callback returns. */
typedef struct pf_cad_node {
    const char *path;    /* unique: names joined by "/", "[n]" for repeated siblings */
    const char *name;    /* instance name, else the product name */
    const char *product; /* the prototype's name */
    const char *parent;  /* NULL for a root */
    int is_assembly;
    int has_colour;
    double colour[3]; /* linear RGB */
    int has_bbox;
    double min[3], max[3]; /* metres, placed in the assembly; after pf_cad_mesh, walking geometry */
    size_t triangles;      /* of the prototype's mesh (walking geometry) */
} pf_cad_node;

typedef void (*pf_cad_node_fn)(void *user, const pf_cad_node *node);
/* What a walk reports: the structure (paths, names, colours), or also each
 * node's box and triangles, which cost a pass over the placed meshes. */
typedef enum { PF_CAD_WALK_STRUCTURE, PF_CAD_WALK_GEOMETRY } pf_cad_walk_what;
/* Walks every instance depth-first, parents before children. */
pf_cad_status pf_cad_walk(const pf_cad_doc *doc, pf_cad_walk_what what, pf_cad_node_fn fn, void *user);

/* Building STEP assemblies, for the project's own fixtures and demo data. */
typedef struct pf_cad_builder pf_cad_builder;
typedef enum { PF_CAD_BOX, PF_CAD_CYLINDER, PF_CAD_SPHERE, PF_CAD_TORUS } pf_cad_primitive;

pf_cad_builder *pf_cad_builder_new(void);
void pf_cad_builder_free(pf_cad_builder *b);
/* A part from a primitive (sizes in millimetres: box dx dy dz; cylinder r h;
 * sphere r; torus R r), optionally coloured (sRGB 0..1). Returns its id, or
 * -1 with pf_cad_last_error() set. */
int pf_cad_builder_part(pf_cad_builder *b, const char *name, pf_cad_primitive kind, const double size[3],
                        const double *srgb);
/* Turns a part's solids inside out (every face reversed): a shape defect
 * for the tests of healing. */
pf_cad_status pf_cad_builder_turn_inside_out(pf_cad_builder *b, int part);
/* An empty assembly; returns its id or -1. */
int pf_cad_builder_assembly(pf_cad_builder *b, const char *name);
/* Places component (part or assembly) into assembly at an offset (mm). */
pf_cad_status pf_cad_builder_place(pf_cad_builder *b, int assembly, int component, const char *instance_name,
                                   const double offset[3]);
pf_cad_status pf_cad_builder_write_step(pf_cad_builder *b, const char *path);

#ifdef __cplusplus
}
#endif

#endif
