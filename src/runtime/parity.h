/* The parity report of a shadow rollout: the legacy run against the graph
 * run beside it. It lists every difference: run status, delivered artifacts
 * (role, kind, media type, image size and pixels) and each module's
 * resolved params. With fixed seeds, identical is what is expected. */
#ifndef PF_RUNTIME_PARITY_H
#define PF_RUNTIME_PARITY_H

#include "store/store.h"

/* run_id may name either run of the pair. *report is a new reference. */
pf_error *pf_parity_report(pf_store *store, const char *run_id, json_t **report);

#endif
