/* CAD files: uploaded STEP files and their intake. A CAD file is an item
 * (kind "cad_file", keyed by its sha256) whose intake is a run of the
 * cad_file family's workflow. */
#ifndef PF_CATALOG_CAD_FILE_H
#define PF_CATALOG_CAD_FILE_H

#include "runtime/runtime.h"
#include "store/store.h"

#include <stdint.h>

/* What the intake run made, by role: {step, objects, glb, bbox,
 * material_map, thumbnail}, each the producing node's output value, and
 * absent when that node has not succeeded. New reference; an empty object
 * when the run does not exist. */
json_t *pf_cad_file_intake(pf_store *store, const char *intake_run_id);

/* What taking in CAD files needs from the application; all borrowed. */
typedef struct pf_cad_env {
    pf_store *store;
    pf_runtime *runtime;
    const json_t *starters; /* the starter workflows, for "starter-cad-intake" */
    const char *data_dir;
} pf_cad_env;

/* Deletes what uploads cut short by a crash left in DATA/cad/tmp; call it
 * at start, before uploads are taken. Returns how many files it deleted. */
size_t pf_cad_files_sweep(const char *data_dir);

/* Collects the CAD files whose intake failed and that no product uses: the
 * item, its file under DATA/cad and the same bytes in the artifact store
 * go, so they hold no disk and the same upload later starts afresh.
 * Returns how many were collected. */
size_t pf_cad_files_collect_failed(pf_store *store, const char *data_dir);

/* The file a CAD file's bytes live in, relative to the data directory:
 * "cad/<sha256>.step". Caller frees. */
char *pf_cad_file_rel_path(const char *sha256);

/* Takes an uploaded STEP file: tmp_path (a complete file inside the data
 * directory), its sha256 and size, and the client's file name (NULL when
 * none). A known sha256 yields the existing item with *created false and
 * no second intake; tmp_path is left alone (unless the known file went
 * missing: then it takes its place). Otherwise the file is synced and
 * renamed to DATA/cad/<sha256>.step, its intake is started (the latest
 * stored or starter "starter-cad-intake", context {step_path, cad_file_id})
 * and the item {id, sha256, size, filename, path, intake_run_id} recorded.
 * *doc_out: the stored item, a new reference. Problems with the run
 * request go to errs. */
pf_error *pf_cad_file_accept(const pf_cad_env *env, const char *tmp_path, const char *sha256, uint64_t size,
                             const char *filename, pf_errors *errs, json_t **doc_out, bool *created);

/* An intake as the API shows it: {run_id, href, status, progress: {done,
 * total, fraction, running: [node ids]}, errors: [{node, code, pointer,
 * message}]}; with outputs also, as their nodes finish, objects {summary,
 * artifact_id, href}, bbox {min, max, centre, size, ...}, glb and thumbnail
 * {artifact_id, href, media_type, size} and material_map {library, parts,
 * artifact_id, href}. status is "missing" when the run does not exist.
 * New reference. */
json_t *pf_cad_file_intake_view(const pf_cad_env *env, const char *run_id, bool outputs);

/* The item with "intake" (pf_cad_file_intake_view) added. doc is borrowed;
 * the result is a new reference. */
json_t *pf_cad_file_view(const pf_cad_env *env, const json_t *doc, bool outputs);

#endif
