/* CAD files: uploaded STEP files and their intake. A CAD file is an item
 * (kind "cad_file", keyed by its sha256) whose intake is a run of the
 * cad_file family's workflow. */
#ifndef PF_CATALOG_CAD_FILE_H
#define PF_CATALOG_CAD_FILE_H

#include "store/store.h"

/* What the intake run made, by role: {step, objects, glb, bbox,
 * material_map, thumbnail}, each the producing node's output value, and
 * absent when that node has not succeeded. New reference; an empty object
 * when the run does not exist. */
json_t *pf_cad_file_intake(pf_store *store, const char *intake_run_id);

#endif
