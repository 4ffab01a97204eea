/* render.blender_turntable: N frames as the product turns a full circle,
 * from one import and one scene set-up, encoded to H.264 MP4 by an ffmpeg
 * that takes each frame as it lands. The PNG frames can be kept as an
 * image sequence. */
#include "modules/module.h"

#include "core/mem.h"
#include "core/path.h"
#include "core/subprocess.h"
#include "modules/module_files.h"
#include "modules/render/render_job.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FRAME_PATTERN "frame_%04d.png"
/* How long ffmpeg may take for the frames it still holds once the last
 * one is rendered: one frame's encoding, with room for a busy machine. */
#define ENCODE_TAIL_MS 120000L

static void keep_error_line(void *user, int stream, const char *line, size_t len) {
    if (stream == 2 && len > 0) snprintf(user, 400, "%.*s", (int)len, line);
}

/* The ffmpeg filter for the denoise parameter, or "". Sampling noise
 * changes from frame to frame while the backdrop and most of the product
 * stay put, so a temporal filter removes what a few samples per frame leave
 * (bench_render_noise measures it: hqdn3d +0.25 dB on top of the sampling;
 * atadenoise, at its defaults, lost 0.2 dB and is not offered). */
static const char *video_denoise(const json_t *params) {
    const char *name = json_string_value(json_object_get(params, "denoise"));
    if (name && strcmp(name, "hqdn3d") == 0) return "hqdn3d";
    return "";
}

/* ffmpeg runs beside Blender and takes each PNG frame from a pipe as it
 * lands, so the video is encoded while the next frames render and is done
 * but for its last frame when the last frame is. */
typedef struct {
    pf_child *ffmpeg;
    char *partial;
    int frames;    /* frames handed over */
    bool broken;   /* a frame could not be read or ffmpeg stopped taking them */
    char why[400]; /* why it broke */
} encoder;

static pf_error *encoder_start(const json_t *params, const char *out, encoder *e) {
    char fps[16];
    snprintf(fps, sizeof fps, "%lld", (long long)json_integer_value(json_object_get(params, "fps")));
    e->partial = pf_asprintf("%s.partial", out);
    char *filters =
        pf_asprintf("%s%spad=ceil(iw/2)*2:ceil(ih/2)*2", video_denoise(params), *video_denoise(params) ? "," : "");
    /* yuv420p plays everywhere and needs even sides. */
    const char *argv[] = {
        "ffmpeg",  "-hide_banner", "-loglevel",  "error",  "-y",  "-f",       "image2pipe", "-framerate", fps,
        "-c:v",    "png",          "-i",         "pipe:0", "-vf", filters,    "-c:v",       "libx264",    "-pix_fmt",
        "yuv420p", "-movflags",    "+faststart", "-f",     "mp4", e->partial, NULL};
    pf_subprocess_opts o = {.argv = argv};
    pf_error *err = pf_child_spawn(&o, true, &e->ffmpeg);
    free(filters);
    if (err && err->code == PF_ENOTFOUND) {
        pf_error_free(err);
        err = pf_error_new(PF_EUNAVAILABLE, "", "ffmpeg is not installed; it encodes the turntable video");
    }
    if (err) {
        free(e->partial);
        e->partial = NULL;
    }
    return err;
}

/* Blender's frame hook (pf_render_job_run). */
static void encoder_frame(void *user, int frame, const char *path) {
    encoder *e = user;
    if (e->broken) return;
    char *data = NULL;
    size_t len = 0;
    pf_error *err = pf_read_file(path, (size_t)1 << 30, &data, &len);
    if (err) {
        snprintf(e->why, sizeof e->why, "cannot read frame %d for ffmpeg: %s", frame, err->message);
        e->broken = true;
    } else if (!pf_child_write(e->ffmpeg, data, len)) {
        snprintf(e->why, sizeof e->why, "ffmpeg stopped taking frames at frame %d", frame);
        e->broken = true;
    } else {
        e->frames++;
    }
    pf_error_free(err);
    free(data);
}

/* Ends the video: ffmpeg encodes what it still holds (a frame or two) and
 * the file moves into place. With a render error, ffmpeg is stopped. */
static pf_error *encoder_finish(encoder *e, pf_error *render_err, int count, const char *out) {
    char last[400] = "";
    pf_error *err = render_err;
    if (err || !e->ffmpeg) {
        if (e->ffmpeg) pf_child_kill(e->ffmpeg);
    } else {
        pf_subprocess_result r;
        pf_child_finish(e->ffmpeg, ENCODE_TAIL_MS, keep_error_line, last, &r);
        if (r.exit_code != 0 || r.term_signal)
            err = pf_error_new(PF_EIO, "", "ffmpeg could not encode the turntable (status %d): %s%s%s", r.exit_code,
                               last, *last && e->broken ? "; " : "", e->broken ? e->why : "");
        else if (e->broken || e->frames != count)
            err = pf_error_new(PF_EIO, "", "the turntable video got %d of %d frames%s%s", e->frames, count,
                               e->broken ? ": " : "", e->broken ? e->why : "");
        else if (rename(e->partial, out) != 0)
            err = pf_error_new(PF_EIO, "", "cannot move the video into place");
    }
    if (e->partial) unlink(e->partial);
    free(e->partial);
    return err;
}

/* The kept frames: one port value for the directory, each frame described. */
static pf_error *frames_value(const char *dir, const json_t *paths, json_t **value) {
    json_t *files = json_array();
    size_t i;
    const json_t *p;
    pf_error *err = NULL;
    json_array_foreach(paths, i, p) {
        json_t *f = NULL;
        err = pf_module_file_value(json_string_value(p), "image/png", &f);
        if (err) break;
        json_array_append_new(files, f);
    }
    if (err) {
        json_decref(files);
        return err;
    }
    *value = json_pack("{s:s, s:s, s:s, s:I, s:o}", "path", dir, "media_type", "image/png", "pattern", FRAME_PATTERN,
                       "count", (json_int_t)json_array_size(files), "files", files);
    return NULL;
}

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    json_t *job = NULL, *result = NULL, *video = NULL, *frames = NULL;
    char *dir = pf_module_work_path(ctx, "frames"), *mp4 = pf_module_work_path(ctx, "turntable.mp4");
    int count = (int)json_integer_value(json_object_get(params, "frames"));
    encoder enc = {0};
    pf_error *err = pf_mkdirs(dir, 0755);
    if (!err) err = pf_render_job_new(ctx, "turntable", inputs, params, NULL, &job);
    if (!err) err = encoder_start(params, mp4, &enc);
    if (!err) {
        json_object_set_new(job, "output", json_pack("{s:s, s:s}", "dir", dir, "pattern", FRAME_PATTERN));
        err = pf_render_job_run(ctx, job, count, encoder_frame, &enc, &result);
        if (!err && ctx->progress) ctx->progress(ctx->progress_user, 1.0, "encoding MP4");
        err = encoder_finish(&enc, err, count, mp4);
    }
    if (!err) err = pf_module_file_value(mp4, "video/mp4", &video);
    if (!err && json_is_true(json_object_get(params, "keep_frames")))
        err = frames_value(dir, json_object_get(result, "frames"), &frames);
    if (!err) {
        double fps = (double)json_integer_value(json_object_get(params, "fps"));
        json_object_set_new(video, "frames", json_integer(count));
        json_object_set(video, "fps", json_object_get(params, "fps"));
        json_object_set_new(video, "duration_s", json_real(count / fps));
        *outputs = json_pack("{s:o}", "video", video);
        if (frames) json_object_set_new(*outputs, "frames", frames);
    }
    if (!frames) { /* frames nobody keeps are scratch */
        size_t i;
        const json_t *p;
        json_array_foreach(json_object_get(result, "frames"), i, p) unlink(json_string_value(p));
        rmdir(dir);
    }
    if (err) json_decref(video);
    json_decref(result);
    json_decref(job);
    free(mp4);
    free(dir);
    return err;
}

PF_MODULE(render, blender_turntable, .execute = execute,
          .isolates_itself = true, /* Blender is the child, with ctx->limits */
          .depends = pf_render_job_depends);
