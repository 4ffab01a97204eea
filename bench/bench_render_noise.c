/* Turntable noise: the gearbox on the turntable template, before (plain
 * path tracing at the old default of 32 samples per frame: no adaptive
 * sampling, no clamp) and after (the template's sampling), and the video
 * with and without ffmpeg's temporal denoise, each against a reference
 * turntable's PNG frames at many samples. The noise measure is ffmpeg's
 * PSNR against the reference (higher is cleaner) and the RMS error in 8-bit
 * levels it stands for; the time is the module's, frames and encoding.
 * Then fireflies: a chrome gearbox still on the studio template, where rare
 * bright light paths leave speckles that PSNR hardly sees (clamping trades
 * them for a little bias, which PSNR counts against it), counted as pixels
 * more than 32 levels brighter than the reference. */
#include "core/mem.h"
#include "core/path.h"
#include "core/png.h"
#include "core/subprocess.h"
#include "render_bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH 128
#define HEIGHT 72
#define BEFORE_SAMPLES 32
#define FRAMES 24
#define REFERENCE_SAMPLES 256
#define TEMPLATE "turntable_soft"

/* The shipped template with its sampling replaced (NULL keeps it). */
static char *template_file(const pf_render_bench *b, const char *key, const char *name, json_t *sampling) {
    char *from = pf_asprintf("%s/templates/%s.json", PF_SHARE_DIR, key);
    json_t *t = json_load_file(from, 0, NULL);
    free(from);
    if (!t) exit(1);
    if (sampling) json_object_set_new(t, "sampling", sampling);
    char *path = pf_asprintf("%s/%s.json", b->dir, name);
    if (json_dump_file(t, path, 0) != 0) exit(1);
    json_decref(t);
    return path;
}

typedef struct {
    char *video, *frames; /* the MP4 and the PNG frames' ffmpeg pattern */
    double seconds;
} turntable;

static turntable render(const pf_render_bench *b, const char *name, const char *tmpl, int samples,
                        const char *denoise) {
    json_t *params = json_pack("{s:i, s:i, s:i, s:i, s:b, s:s}", "width", WIDTH, "height", HEIGHT, "frames", FRAMES,
                               "fps", 24, "keep_frames", 1, "denoise", denoise);
    if (samples > 0) json_object_set_new(params, "samples", json_integer(samples));
    long t0 = pf_now_ms();
    json_t *out = pf_render_bench_invoke(
        b, "render.blender_turntable", name,
        json_pack("{s:O, s:O, s:{s:s}}", "glb", b->glb, "bbox", b->bbox, "template", "path", tmpl), params);
    turntable r = {.seconds = (pf_now_ms() - t0) / 1000.0};
    json_t *frames = json_object_get(out, "frames");
    r.video = pf_strdup(json_string_value(json_object_get(json_object_get(out, "video"), "path")));
    r.frames = pf_asprintf("%s/%s", json_string_value(json_object_get(frames, "path")),
                           json_string_value(json_object_get(frames, "pattern")));
    json_decref(out);
    return r;
}

static void keep_psnr(void *user, int stream, const char *line, size_t len) {
    (void)stream;
    char *copy = pf_strndup(line, len); /* lines are not terminated */
    const char *at = strstr(copy, "average:");
    if (at) sscanf(at, "average:%lf", (double *)user);
    free(copy);
}

/* ffmpeg's PSNR (dB, all planes) of a against the reference r; each is a
 * video or a PNG pattern. */
static double psnr(const char *a, const char *r) {
    const char *argv[] = {"ffmpeg", "-hide_banner",   "-nostdin", "-i",   a,   "-i", r,
                          "-lavfi", "[0:v][1:v]psnr", "-f",       "null", "-", NULL};
    double db = 0;
    pf_subprocess_opts o = {.argv = argv, .on_line = keep_psnr, .user = &db};
    pf_subprocess_result res;
    pf_error *err = pf_subprocess_run(&o, &res);
    if (err || res.exit_code != 0) {
        fprintf(stderr, "ffmpeg psnr failed on %s\n", a);
        exit(1);
    }
    return db;
}

/* Pixels of a more than 32 levels brighter than r (Rec. 601 luma). */
static int fireflies(const char *a, const char *r) {
    pf_image x, y;
    if (pf_png_read(a, &x) || pf_png_read(r, &y)) exit(1);
    int n = 0;
    for (size_t i = 0; i < (size_t)x.width * x.height && x.width == y.width && x.height == y.height; i++) {
        const uint8_t *p = x.rgba + i * 4, *q = y.rgba + i * 4;
        double lp = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2], lq = 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2];
        n += lp - lq > 32;
    }
    pf_image_free(&x);
    pf_image_free(&y);
    return n;
}

typedef struct {
    char *path;
    double seconds;
} still;

static still chrome_still(const pf_render_bench *b, const char *name, const char *tmpl, int samples) {
    json_t *params = json_pack("{s:i, s:i, s:s}", "width", 160, "height", 90, "material_override", "chrome");
    if (samples > 0) json_object_set_new(params, "samples", json_integer(samples));
    long t0 = pf_now_ms();
    json_t *out = pf_render_bench_invoke(
        b, "render.blender_still", name,
        json_pack("{s:O, s:O, s:{s:s}}", "glb", b->glb, "bbox", b->bbox, "template", "path", tmpl), params);
    still r = {.seconds = (pf_now_ms() - t0) / 1000.0,
               .path = pf_strdup(json_string_value(json_object_get(json_object_get(out, "image"), "path")))};
    json_decref(out);
    return r;
}

static void row(const char *what, double db, double seconds) {
    printf("%-52s PSNR %5.2f dB  RMS %5.2f levels  %5.1f s\n", what, db, 255.0 * pow(10, -db / 20), seconds);
}

int main(void) {
    pf_render_bench b;
    pf_render_bench_open(&b, "noise");
    b.pool = pf_render_bench_pool();

    json_t *shipped = json_load_file(PF_SHARE_DIR "/templates/" TEMPLATE ".json", 0, NULL);
    json_t *sampling = json_object_get(shipped, "sampling");
    char *tuning = json_dumps(sampling, JSON_COMPACT | JSON_REAL_PRECISION(4));
    char *plain = template_file(&b, TEMPLATE, "plain", json_object());
    char *tuned = template_file(&b, TEMPLATE, "tuned", NULL);
    printf("%s, %dx%d, %d frames; before: %d samples; after: %s; reference: %d samples, plain\n", TEMPLATE, WIDTH,
           HEIGHT, FRAMES, BEFORE_SAMPLES, tuning, REFERENCE_SAMPLES);
    free(tuning);
    json_decref(shipped);
    turntable ref = render(&b, "reference", plain, REFERENCE_SAMPLES, "none");
    turntable before = render(&b, "before", plain, BEFORE_SAMPLES, "none");
    turntable after = render(&b, "after", tuned, 0, "none");
    turntable hq = render(&b, "hqdn3d", tuned, 0, "hqdn3d");
    printf("reference render: %.1f s\n", ref.seconds);
    row("frames, plain path tracing (before)", psnr(before.frames, ref.frames), before.seconds);
    row("frames, template sampling (after)", psnr(after.frames, ref.frames), after.seconds);
    row("video, plain, no denoise (before)", psnr(before.video, ref.frames), before.seconds);
    row("video, template sampling, no denoise", psnr(after.video, ref.frames), after.seconds);
    row("video, template sampling + hqdn3d (after)", psnr(hq.video, ref.frames), hq.seconds);

    char *studio_plain = template_file(&b, "studio_white", "studio_plain", json_object());
    char *studio = template_file(&b, "studio_white", "studio", NULL);
    still sref = chrome_still(&b, "still-reference", studio_plain, 512);
    still sbefore = chrome_still(&b, "still-before", studio_plain, 64);
    still safter = chrome_still(&b, "still-after", studio, 0);
    printf("chrome still on studio_white, 160x90; before: 64 samples, plain; after: the template's; reference: 512 "
           "samples, plain (%.1f s)\n",
           sref.seconds);
    printf("%-52s PSNR %5.2f dB  fireflies %3d  %5.1f s\n", "still, plain (before)", psnr(sbefore.path, sref.path),
           fireflies(sbefore.path, sref.path), sbefore.seconds);
    printf("%-52s PSNR %5.2f dB  fireflies %3d  %5.1f s\n", "still, template sampling (after)",
           psnr(safter.path, sref.path), fireflies(safter.path, sref.path), safter.seconds);
    free(sref.path), free(sbefore.path), free(safter.path);
    free(studio_plain), free(studio);

    turntable *all[] = {&ref, &before, &after, &hq};
    for (size_t i = 0; i < 4; i++)
        free(all[i]->video), free(all[i]->frames);
    free(plain);
    free(tuned);
    pf_render_bench_close(&b);
    return 0;
}
