#include "render/scene_check.h"

#include "core/mem.h"
#include "core/subprocess.h"
#include "render/blender_worker.h"

#include <stdlib.h>

/* Opening a scene takes Blender a second or two; these bound a file made
 * to take far longer or to eat the machine's memory. */
#define CHECK_TIMEOUT_MS 120000L
#define CHECK_CPU_SECONDS 120L
#define CHECK_MEMORY_BYTES (4ULL << 30)

pf_error *pf_scene_check(const char *share_dir, const char *path, json_t **report) {
    *report = NULL;
    if (!share_dir) return pf_error_new(PF_EINTERNAL, "", "no share directory is configured");
    char *script = pf_asprintf("%s/blender/prodflow_scene_check.py", share_dir);
    pf_blender_setup setup = {
        .blender = getenv("PRODFLOW_BLENDER"), .script = script, .memory_bytes = CHECK_MEMORY_BYTES};
    pf_blender_call call = {.deadline_ms = pf_now_ms() + CHECK_TIMEOUT_MS,
                            .timeout_ms = CHECK_TIMEOUT_MS,
                            .frames = 1,
                            .cpu_seconds = CHECK_CPU_SECONDS};
    pf_blender_worker *w = NULL;
    pf_error *err = pf_blender_worker_start(&setup, &call, &w);
    if (!err) {
        json_t *job = json_pack("{s:s, s:s}", "op", "check_scene", "path", path);
        pf_blender_outcome outcome;
        err = pf_blender_worker_run(w, job, &call, report, &outcome);
        json_decref(job);
        pf_blender_worker_free(w);
    }
    if (!err && !json_is_array(json_object_get(*report, "findings"))) {
        json_decref(*report);
        *report = NULL;
        err = pf_error_new(PF_EINTERNAL, "", "the scene check answered without findings");
    }
    free(script);
    return err;
}
