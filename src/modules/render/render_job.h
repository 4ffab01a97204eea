/* What the render.* modules share: turning their inputs and params into a
 * job for share/blender/prodflow_render.py, and running it on a warm worker
 * or in a fresh Blender. docs/render.md describes the job. */
#ifndef PF_MODULES_RENDER_JOB_H
#define PF_MODULES_RENDER_JOB_H

#include "modules/module.h"

/* The render modules' depends hook: with a material_override param, the
 * digest of the library it names a material in (its definition is read at
 * render time, so an edited library must miss the cache); with a
 * blend_scene template, the digest of its scene file (named by key, so a
 * scene uploaded again must miss it too). */
json_t *pf_render_job_depends(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params);

/* template_doc (borrowed) replaces inputs.template when given. *job is a
 * new reference without "output"; the module adds it. */
pf_error *pf_render_job_new(const pf_module_ctx *ctx, const char *op, const json_t *inputs, const json_t *params,
                            const json_t *template_doc, json_t **job);
/* Runs the job; frames is how many the job renders (for progress);
 * on_frame (may be NULL) hears of each frame's file as it lands. *result
 * is the script's outputs object with its "timing" (blender_worker.h), a
 * new reference. */
pf_error *pf_render_job_run(const pf_module_ctx *ctx, const json_t *job, int frames,
                            void (*on_frame)(void *user, int frame, const char *path), void *frame_user,
                            json_t **result);

#endif
