/* One Blender process running share/blender/prodflow_render.py. It takes a
 * JSON job per line on stdin and answers with "@pf {...}" event lines. A cold
 * render is a worker used for a single job; the pool keeps workers warm. */
#ifndef PF_RENDER_BLENDER_WORKER_H
#define PF_RENDER_BLENDER_WORKER_H

#include "core/error.h"

#include <jansson.h>
#include <stdatomic.h>
#include <sys/types.h>

typedef struct pf_blender_setup {
    const char *blender; /* program; NULL means "blender" from PATH */
    const char *script;  /* prodflow_render.py */
    int models;          /* imported models a worker keeps; <= 0 means 4 */
    /* Resident memory the process may use (checked as its output is
     * pumped); 0: no limit. Not an address-space limit: Blender maps far
     * more than it uses. */
    unsigned long long memory_bytes;
} pf_blender_setup;

/* Limits and progress for one job. All pointers are borrowed. */
typedef struct pf_blender_call {
    long deadline_ms; /* on the pf_now_ms clock; <= 0 means none */
    long timeout_ms;  /* what deadline_ms came from, for the message */
    long stall_ms;    /* output silence that counts as a hang; <= 0 means none */
    const atomic_bool *cancel;
    void (*progress)(void *user, double fraction, const char *message);
    void *progress_user;
    int frames; /* frames the job renders (progress); 1 for a still */
    /* Each frame of a turntable as its file lands (frame counts from 1),
     * so it can be encoded while the next one renders; may be NULL. */
    void (*on_frame)(void *user, int frame, const char *path);
    void *frame_user;
    long cpu_seconds; /* CPU time the job may use, set on the process per job; <= 0: no limit */
} pf_blender_call;

typedef enum {
    PF_BLENDER_DONE,     /* *result holds the job's outputs */
    PF_BLENDER_FAILED,   /* the job failed, *err says why; the worker lives on */
    PF_BLENDER_CRASHED,  /* the process died: *err says how */
    PF_BLENDER_HUNG,     /* silent past stall_ms; the process is killed */
    PF_BLENDER_TIMEOUT,  /* past the deadline; the process is killed */
    PF_BLENDER_CANCELLED /* cancelled; the process is killed */
} pf_blender_outcome;

typedef struct pf_blender_worker pf_blender_worker;

/* Blender's own account of a render, read from its output: Cycles' time to
 * the end of each frame (cycles_s), its share before the first sample
 * (sync_s: scene sync, BVH) and the file writing (write_s). */
typedef struct pf_blender_times {
    double cycles_s, sync_s, write_s;
} pf_blender_times;
/* Adds what one stdout line of Blender's says to *times. */
void pf_blender_times_add(pf_blender_times *times, const char *line);

/* Starts Blender and waits for the script's "ready" event. */
pf_error *pf_blender_worker_start(const pf_blender_setup *setup, const pf_blender_call *call, pf_blender_worker **out);
pid_t pf_blender_worker_pid(const pf_blender_worker *w);
/* Runs one job: NULL with *result (new reference) when it is done, else
 * the error, which says how it ended. The result carries "timing", the
 * job's seconds by phase: start_s (the process start, on its first job),
 * import_s (absent when the GLB was cached), setup_s, render_s (Blender's
 * render calls), and Blender's own account within them: sync_s (Cycles
 * before its first sample), cycles_s (Cycles to each frame's end) and
 * write_s (writing the files); job_s is the whole job as seen from here.
 * *outcome tells what became of the worker: only after DONE or FAILED may
 * it take another job; after any other outcome free it. */
pf_error *pf_blender_worker_run(pf_blender_worker *w, const json_t *job, const pf_blender_call *call, json_t **result,
                                pf_blender_outcome *outcome);
/* Ends the process (asks, then kills) and frees the worker. */
void pf_blender_worker_free(pf_blender_worker *w);

/* The error a caller reports for an outcome other than DONE. Takes *err. */
pf_error *pf_blender_outcome_error(pf_blender_outcome outcome, const pf_blender_call *call, pf_error *err);

#endif
