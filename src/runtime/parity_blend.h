/* A .blend file's structural digest, made inside Blender by
 * share/blender/prodflow_blend_digest.py through the controlled Blender
 * start of the renders (render/blender_worker.h): two saves of one scene
 * differ byte for byte, so parity compares what they hold. */
#ifndef PF_RUNTIME_PARITY_BLEND_H
#define PF_RUNTIME_PARITY_BLEND_H

#include "core/error.h"

#include <jansson.h>
#include <stddef.h>

/* The digest of each file in paths (one Blender process for all of them):
 * {scenes: [{name, camera, world, frame_range, render, objects}],
 * materials, collections, images}. digests[i]: new reference. */
pf_error *pf_parity_blend_digests(const char *share_dir, const char *const *paths, size_t n, json_t **digests);

#endif
