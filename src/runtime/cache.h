/* The module output cache. A node attempt's key is the sha256 of its basis:
 * module key and version, canonical resolved params and its inputs'
 * digests. A miss says why, by comparing with the newest entry of the same
 * slot (module and workflow node). */
#ifndef PF_RUNTIME_CACHE_H
#define PF_RUNTIME_CACHE_H

#include "core/sha256.h"
#include "modules/registry.h"
#include "store/store.h"

typedef struct pf_cache_probe {
    char key[65];
    char *slot;       /* "<module>@<workflow>/<node>" */
    json_t *basis;    /* {module_key, module_version, params, inputs: {port: digest}, depends?} */
    char *basis_text; /* its canonical text, which the key is the digest of */
} pf_cache_probe;

/* All arguments borrowed; depends is what the module's depends hook gave
 * (or NULL); h is the calling thread's hasher, or NULL. */
void pf_cache_probe_init(pf_cache_probe *p, const pf_module *m, const char *workflow_id, const char *node_id,
                         const json_t *params, const json_t *inputs, const json_t *depends, pf_sha256_hasher *h);
void pf_cache_probe_free(pf_cache_probe *p);

/* The verdict, a new object: {"hit": true} with *outputs set (new
 * reference), or {"hit": false, "reason", "changed"?}. */
json_t *pf_cache_lookup(pf_store *s, const pf_cache_probe *p, json_t **outputs);
/* The verdict on what a look-up found for p (entry taken, may be NULL;
 * exact: it is p's key), as pf_cache_lookup gives it. */
json_t *pf_cache_judge(const pf_cache_probe *p, json_t *entry, bool exact, json_t **outputs);
/* The entry to store under p->key and p->slot once the node succeeded
 * (it commits with the node's transition), as compact JSON text
 * {"basis": ..., "outputs": ...}: the basis's text is the probe's, made
 * once for the key. Malloc'd. */
char *pf_cache_entry_text(const pf_cache_probe *p, const json_t *outputs);

#endif
