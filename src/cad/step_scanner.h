/* A STEP (ISO 10303-21) scanner: metadata without a CAD kernel, at about
 * memory speed. It maps the file (page cache, not heap) and keeps only the
 * entities it needs (products, the assembly structure, colours, units), so
 * its own memory grows with those entities, never with the file. Summaries
 * are owned by the caller. */
#ifndef PF_CAD_STEP_SCANNER_H
#define PF_CAD_STEP_SCANNER_H

#include "core/error.h"

#include <jansson.h>
#include <stddef.h>

typedef struct pf_step_summary pf_step_summary;

pf_error *pf_step_scan_file(const char *path, pf_step_summary **out);
pf_error *pf_step_scan_buffer(const char *data, size_t len, pf_step_summary **out);
void pf_step_summary_free(pf_step_summary *s);

/* {schema, length_unit:{name, metres_per_unit}, entity_count, products:[…],
 *  tree:[{path, name, product, parent, instance_of, is_assembly, colour}],
 *  colours:[[r,g,b] linear], summary:{…}}. New reference. */
json_t *pf_step_summary_json(const pf_step_summary *s);

#endif
