#include "runtime/parity_video.h"

#include "core/mem.h"
#include "core/path.h"
#include "core/subprocess.h"
#include "runtime/parity_image.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A turntable is tens to hundreds of frames; the report lists each one up
 * to this many, and counts the rest. */
#define PER_FRAME_MAX 500

static void keep_error_line(void *user, int stream, const char *line, size_t len) {
    if (stream == 2 && len > 0) snprintf(user, 400, "%.*s", (int)len, line);
}

/* Decodes video into dir/<stem>_%05d.png, RGBA. */
static pf_error *decode(const char *video, const char *dir, const char *stem, const char *side) {
    char *pattern = pf_asprintf("%s/%s_%%05d.png", dir, stem);
    const char *argv[] = {"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",    "-i",
                          video,    "-pix_fmt",     "rgba",      "-f",    "image2",   pattern, NULL};
    char last[400] = "";
    pf_subprocess_opts o = {.argv = argv, .on_line = keep_error_line, .user = last};
    pf_subprocess_result r;
    pf_error *err = pf_subprocess_run(&o, &r);
    if (err && err->code == PF_ENOTFOUND) {
        pf_error_free(err);
        err = pf_error_new(PF_EUNAVAILABLE, "", "ffmpeg is not installed; it decodes videos to compare them");
    } else if (!err && r.exit_code != 0) {
        err = pf_error_new(PF_EIO, "", "ffmpeg could not decode the %s video (status %d): %s", side, r.exit_code, last);
    }
    free(pattern);
    return err;
}

static size_t count_frames(const char *dir, const char *stem) {
    size_t n = 0;
    for (;; n++) {
        char *path = pf_asprintf("%s/%s_%05zu.png", dir, stem, n + 1);
        bool there = access(path, R_OK) == 0;
        free(path);
        if (!there) return n;
    }
}

pf_error *pf_parity_compare_videos(const char *a, const char *b, const char *work_dir, json_t **out,
                                   pf_image *worst_diff) {
    *out = NULL;
    *worst_diff = (pf_image){0};
    pf_error *err = pf_mkdirs(work_dir, 0700);
    if (!err) err = decode(a, work_dir, "legacy", "legacy");
    if (!err) err = decode(b, work_dir, "graph", "graph");
    if (err) {
        pf_error_free(pf_remove_tree(work_dir));
        return err;
    }
    size_t na = count_frames(work_dir, "legacy"), nb = count_frames(work_dir, "graph");
    size_t n = na < nb ? na : nb, differing = 0, worst = 0;
    pf_parity_verdict verdict = na == nb && n ? PF_PARITY_IDENTICAL : PF_PARITY_DIFFERENT;
    pf_parity_image_result worst_r = {.psnr = INFINITY, .ssim = 1};
    json_t *frames = json_array();
    for (size_t i = 1; i <= n && !err; i++) {
        char *pa = pf_asprintf("%s/legacy_%05zu.png", work_dir, i),
             *pb = pf_asprintf("%s/graph_%05zu.png", work_dir, i);
        pf_image x, y, diff;
        err = pf_png_read(pa, &x);
        if (!err) err = pf_png_read(pb, &y);
        if (!err) {
            pf_parity_image_result r;
            pf_parity_compare_images(&x, &y, &r, &diff);
            if (r.verdict != PF_PARITY_IDENTICAL) differing++;
            if (r.verdict > verdict) verdict = r.verdict;
            if (r.verdict != PF_PARITY_IDENTICAL && (!worst || r.psnr < worst_r.psnr)) {
                worst = i, worst_r = r;
                pf_image_free(worst_diff);
                *worst_diff = diff;
                diff = (pf_image){0};
            }
            pf_image_free(&diff);
            if (json_array_size(frames) < PER_FRAME_MAX) {
                json_t *entry = pf_parity_image_json(&r);
                json_object_del(entry, "thresholds");
                json_object_set_new(entry, "frame", json_integer((json_int_t)i));
                json_array_append_new(frames, entry);
            }
            pf_image_free(&y);
        }
        pf_image_free(&x);
        free(pa);
        free(pb);
    }
    pf_error_free(pf_remove_tree(work_dir));
    if (err) {
        json_decref(frames);
        pf_image_free(worst_diff);
        return err;
    }
    json_t *worst_json = json_null();
    if (worst) {
        worst_json = pf_parity_image_json(&worst_r);
        json_object_del(worst_json, "thresholds");
        json_object_set_new(worst_json, "frame", json_integer((json_int_t)worst));
    }
    *out = json_pack("{s:s, s:{s:I, s:I}, s:I, s:o, s:o, s:{s:f, s:f, s:s}}", "verdict",
                     pf_parity_verdict_name(verdict), "frames", "legacy", (json_int_t)na, "graph", (json_int_t)nb,
                     "differing_frames", (json_int_t)differing, "worst_frame", worst_json, "per_frame", frames,
                     "thresholds", "psnr_db", PF_PARITY_PSNR_MIN, "ssim", PF_PARITY_SSIM_MIN, "rule",
                     "every frame within both thresholds, and as many frames");
    return NULL;
}
