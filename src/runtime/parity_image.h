/* Two images compared as a viewer would see them: the count of differing
 * pixels, PSNR over all four channels and SSIM on luma, a verdict against
 * stated thresholds, and a diff image that shows where they differ. Video
 * frames are compared the same way (parity_video.h). docs/legacy.md
 * explains the thresholds. */
#ifndef PF_RUNTIME_PARITY_IMAGE_H
#define PF_RUNTIME_PARITY_IMAGE_H

#include "core/png.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* At or above both, two renders that are not bit for bit the same still
 * count as the same picture: 40 dB is where differences stop being
 * visible side by side, and an SSIM of 0.98 keeps a shifted edge or a
 * missing part (structure) from hiding behind a high PSNR. */
#define PF_PARITY_PSNR_MIN 40.0
#define PF_PARITY_SSIM_MIN 0.98

typedef enum {
    PF_PARITY_IDENTICAL,  /* bit for bit */
    PF_PARITY_EQUIVALENT, /* within both thresholds */
    PF_PARITY_DIFFERENT
} pf_parity_verdict;

const char *pf_parity_verdict_name(pf_parity_verdict v);

typedef struct pf_parity_image_result {
    pf_parity_verdict verdict;
    bool same_size;
    size_t differing_pixels;
    int max_channel_difference;
    double psnr; /* dB; INFINITY when identical */
    double ssim; /* 1 when identical */
} pf_parity_image_result;

/* Compares a (legacy) with b (graph). diff, when not NULL and the sizes
 * match, becomes an image of a's size: a faded grey copy of a where the
 * pixels agree and red, brighter the larger the difference, where they do
 * not (free with pf_image_free). */
void pf_parity_compare_images(const pf_image *a, const pf_image *b, pf_parity_image_result *r, pf_image *diff);

/* {verdict, differing_pixels, max_channel_difference, psnr_db (null when
 * identical), ssim, thresholds}. New reference. */
json_t *pf_parity_image_json(const pf_parity_image_result *r);

#endif
