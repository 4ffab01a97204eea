/* Two videos compared frame by frame: ffmpeg decodes each to PNG frames,
 * and every pair of frames is compared as images are (parity_image.h).
 * The verdict is the worst frame's; a different frame count is different. */
#ifndef PF_RUNTIME_PARITY_VIDEO_H
#define PF_RUNTIME_PARITY_VIDEO_H

#include "core/error.h"
#include "core/png.h"

#include <jansson.h>

/* Compares video a (legacy) with b (graph), decoding into work_dir (made,
 * and removed after). *out: {verdict, frames: {legacy, graph},
 * differing_frames, worst_frame, per_frame, thresholds}. *worst_diff: the
 * diff image of the worst frame when some frame is not identical, else
 * empty (free with pf_image_free). */
pf_error *pf_parity_compare_videos(const char *a, const char *b, const char *work_dir, json_t **out,
                                   pf_image *worst_diff);

#endif
