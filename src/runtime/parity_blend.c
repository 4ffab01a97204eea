#include "runtime/parity_blend.h"

#include "core/mem.h"
#include "render/blender_worker.h"

#include <stdlib.h>

/* Opening a production file and walking it takes a second or two; a
 * digest that takes minutes is a hung Blender. */
#define DIGEST_STALL_MS 120000
/* Blender with one production scene loaded. */
#define DIGEST_MEMORY (4ULL << 30)

pf_error *pf_parity_blend_digests(const char *share_dir, const char *const *paths, size_t n, json_t **digests) {
    for (size_t i = 0; i < n; i++)
        digests[i] = NULL;
    char *script = pf_asprintf("%s/blender/prodflow_blend_digest.py", share_dir);
    pf_blender_setup setup = {.script = script, .memory_bytes = DIGEST_MEMORY};
    pf_blender_call call = {.stall_ms = DIGEST_STALL_MS, .frames = 1};
    pf_blender_worker *w = NULL;
    pf_error *err = pf_blender_worker_start(&setup, &call, &w);
    for (size_t i = 0; !err && i < n; i++) {
        json_t *job = json_pack("{s:s}", "blend", paths[i]), *result = NULL;
        pf_blender_outcome outcome;
        err = pf_blender_worker_run(w, job, &call, &result, &outcome);
        json_decref(job);
        if (!err) digests[i] = json_incref(json_object_get(result, "digest"));
        json_decref(result);
        if (!err && !digests[i]) err = pf_error_new(PF_EINTERNAL, "", "Blender answered without a digest");
    }
    pf_blender_worker_free(w);
    free(script);
    if (err)
        for (size_t i = 0; i < n; i++) {
            json_decref(digests[i]);
            digests[i] = NULL;
        }
    return err;
}
