/* Parity's per-kind comparisons against real files: images made here
 * (identical, one pixel off, faint noise, heavy noise, a shifted edge, a
 * different size), videos encoded here by ffmpeg and decoded back frame by
 * frame, GLB files written here compared by structure, and .blend files
 * saved by Blender compared by the digest Blender makes. */
#include "check.h"
#include "core/json.h"

#include "core/mem.h"
#include "runtime/parity_blend.h"
#include "runtime/parity_glb.h"
#include "runtime/parity_image.h"
#include "runtime/parity_structure.h"
#include "runtime/parity_video.h"
#include "support/shell.h"
#include "support/tmpdir.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 64
#define H 48

/* A picture with structure: a vertical gradient, a bright box and a soft
 * disc on an opaque background. */
static pf_image picture(void) {
    pf_image img = {W, H, pf_xcalloc((size_t)W * H, 4)};
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < W; x++) {
            uint8_t *p = img.rgba + ((size_t)y * W + x) * 4;
            double d = hypot((double)x - 40, (double)y - 24);
            int v = (int)(60 + y * 2) + (x >= 8 && x < 24 && y >= 10 && y < 30 ? 120 : 0) + (d < 10 ? 60 : 0);
            p[0] = (uint8_t)(v > 255 ? 255 : v), p[1] = (uint8_t)(v / 2), p[2] = (uint8_t)(255 - v / 2), p[3] = 255;
        }
    return img;
}

static pf_image copy(const pf_image *a) {
    pf_image b = {a->width, a->height, pf_xmalloc((size_t)a->width * a->height * 4)};
    memcpy(b.rgba, a->rgba, (size_t)a->width * a->height * 4);
    return b;
}

/* Deterministic noise of amplitude amp on the colour channels. */
static void add_noise(pf_image *img, int amp, unsigned seed) {
    for (size_t i = 0; i < (size_t)img->width * img->height * 4; i++) {
        if (i % 4 == 3) continue;
        seed = seed * 1103515245u + 12345u;
        int v = img->rgba[i] + (int)((seed >> 16) % (unsigned)(2 * amp + 1)) - amp;
        img->rgba[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

static void shift_right(pf_image *img, unsigned by) {
    for (unsigned y = 0; y < img->height; y++)
        for (unsigned x = img->width; x-- > 0;)
            memcpy(img->rgba + ((size_t)y * img->width + x) * 4,
                   img->rgba + ((size_t)y * img->width + (x >= by ? x - by : 0)) * 4, 4);
}

typedef enum { SAME, ONE_PIXEL, FAINT_NOISE, HEAVY_NOISE, SHIFTED, OTHER_SIZE } change;

static const struct {
    const char *name;
    change change;
    pf_parity_verdict verdict;
    size_t min_differing, max_differing; /* pixels */
    double min_psnr, max_psnr;           /* dB, when not identical */
} image_cases[] = {
    {"identical", SAME, PF_PARITY_IDENTICAL, 0, 0, 0, 0},
    /* one pixel off by 40 in red: visible only to a diff, far above 40 dB */
    {"one pixel off", ONE_PIXEL, PF_PARITY_EQUIVALENT, 1, 1, 50, 90},
    /* +-2 on every channel: render noise of another build or machine */
    {"faint noise", FAINT_NOISE, PF_PARITY_EQUIVALENT, W *H / 2, W *H, 40, 60},
    /* +-60: a different picture to anyone's eye */
    {"heavy noise", HEAVY_NOISE, PF_PARITY_DIFFERENT, W *H / 2, W *H, 5, 25},
    /* the product moved 3 pixels: few pixels, but structure */
    {"shifted 3 px", SHIFTED, PF_PARITY_DIFFERENT, 50, W *H, 5, 40},
    {"other size", OTHER_SIZE, PF_PARITY_DIFFERENT, 0, 0, 0, 0},
};

static void test_images(const char *dir) {
    pf_image a = picture();
    for (size_t i = 0; i < sizeof image_cases / sizeof *image_cases; i++) {
        pf_image b = copy(&a);
        switch (image_cases[i].change) {
        case SAME: break;
        case ONE_PIXEL: b.rgba[(20 * W + 30) * 4] = (uint8_t)(b.rgba[(20 * W + 30) * 4] - 40); break;
        case FAINT_NOISE: add_noise(&b, 2, 7); break;
        case HEAVY_NOISE: add_noise(&b, 60, 7); break;
        case SHIFTED: shift_right(&b, 3); break;
        case OTHER_SIZE: b.width = W / 2; break; /* same bytes, other shape */
        }
        pf_parity_image_result r;
        pf_image diff;
        pf_parity_compare_images(&a, &b, &r, &diff);
        const char *name = image_cases[i].name;
        CHECK_MSG(r.verdict == image_cases[i].verdict, "%s: %s, psnr %.2f, ssim %.4f", name,
                  pf_parity_verdict_name(r.verdict), r.psnr, r.ssim);
        CHECK_MSG(r.differing_pixels >= image_cases[i].min_differing &&
                      r.differing_pixels <= image_cases[i].max_differing,
                  "%s: %zu differing pixels", name, r.differing_pixels);
        if (image_cases[i].verdict == PF_PARITY_IDENTICAL) {
            CHECK(isinf(r.psnr) && r.ssim == 1);
        } else if (image_cases[i].change != OTHER_SIZE) {
            CHECK_MSG(r.psnr >= image_cases[i].min_psnr && r.psnr <= image_cases[i].max_psnr, "%s: psnr %.2f", name,
                      r.psnr);
            CHECK_MSG(r.ssim > 0 && r.ssim < 1, "%s: ssim %.4f", name, r.ssim);
        }
        if (image_cases[i].change == SHIFTED) CHECK_MSG(r.ssim < PF_PARITY_SSIM_MIN, "shifted: ssim %.4f", r.ssim);
        if (image_cases[i].change == OTHER_SIZE) {
            CHECK(!r.same_size && diff.rgba == NULL);
        } else {
            CHECK(diff.rgba && diff.width == W && diff.height == H);
        }
        if (image_cases[i].change == ONE_PIXEL && diff.rgba) {
            const uint8_t *hot = diff.rgba + (20 * W + 30) * 4, *calm = diff.rgba;
            CHECK_MSG(hot[0] > 128 && hot[1] == 0 && hot[2] == 0, "the differing pixel is red in the diff");
            CHECK(calm[0] == calm[1] && calm[1] == calm[2]); /* agreeing pixels are grey */
            char *path = pf_asprintf("%s/one-pixel-diff.png", dir);
            pf_error *err = pf_png_write(path, &diff);
            CHECK(err == NULL);
            pf_error_free(err);
            pf_image back;
            err = pf_png_read(path, &back);
            CHECK(err == NULL && back.width == W && memcmp(back.rgba, diff.rgba, (size_t)W * H * 4) == 0);
            pf_error_free(err);
            pf_image_free(&back);
            free(path);
        }
        json_t *j = pf_parity_image_json(&r);
        CHECK_STR(pf_json_str(j, "verdict"), pf_parity_verdict_name(image_cases[i].verdict));
        CHECK(json_number_value(json_object_get(json_object_get(j, "thresholds"), "psnr_db")) == PF_PARITY_PSNR_MIN);
        json_decref(j);
        pf_image_free(&diff);
        pf_image_free(&b);
    }
    pf_image_free(&a);
}

/* ---------------------------------------------------------------- videos */

/* Four frames of the picture moving right, the third replaced by noise when
 * spoil; encoded losslessly so that equal frames decode equal. */
static char *encode(const char *dir, const char *name, bool spoil) {
    char *frames = pf_asprintf("%s/%s", dir, name);
    char *cmd = pf_asprintf("mkdir -p %s", frames);
    CHECK(system(cmd) == 0);
    free(cmd);
    for (unsigned f = 1; f <= 4; f++) {
        pf_image img = picture();
        shift_right(&img, f * 2);
        if (spoil && f == 3) add_noise(&img, 80, f);
        char *path = pf_asprintf("%s/f_%04u.png", frames, f);
        pf_error_free(pf_png_write(path, &img));
        free(path);
        pf_image_free(&img);
    }
    char *input = pf_asprintf("%s/f_%%04d.png", frames), *out = pf_asprintf("%s/%s.mp4", dir, name);
    const char *argv[] = {"ffmpeg",   "-hide_banner", "-loglevel", "error", "-nostdin", "-y",  "-framerate",
                          "4",        "-i",           input,       "-c:v",  "libx264",  "-qp", "0",
                          "-pix_fmt", "yuv444p",      out,         NULL};
    CHECK_MSG(pf_test_run_argv(argv), "ffmpeg encodes %s", name);
    free(input);
    free(frames);
    return out;
}

static void test_videos(const char *dir) {
    char *a = encode(dir, "legacy", false), *b = encode(dir, "graph", false), *c = encode(dir, "spoilt", true);
    char *work = pf_asprintf("%s/decode", dir);
    json_t *out = NULL;
    pf_image diff;
    pf_error *err = pf_parity_compare_videos(a, b, work, &out, &diff);
    CHECK_MSG(err == NULL, "%s", err ? err->message : "");
    pf_error_free(err);
    CHECK_STR(pf_json_str(out, "verdict"), "identical");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(out, "frames"), "legacy")), 4);
    CHECK_INT(json_array_size(json_object_get(out, "per_frame")), 4);
    CHECK(diff.rgba == NULL);
    json_decref(out);
    err = pf_parity_compare_videos(a, c, work, &out, &diff);
    CHECK(err == NULL);
    pf_error_free(err);
    CHECK_STR(pf_json_str(out, "verdict"), "different");
    CHECK_INT(json_integer_value(json_object_get(out, "differing_frames")), 1);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(out, "worst_frame"), "frame")), 3);
    CHECK(diff.rgba && diff.width == W);
    json_decref(out);
    pf_image_free(&diff);
    free(work);
    free(a);
    free(b);
    free(c);
}

/* ---------------------------------------------------------------- GLB */

/* A GLB with one mesh (a unit box's accessor bounds) under a node at x. */
static char *write_glb(const char *dir, const char *name, double x, const char *material) {
    char *json = pf_asprintf(
        "{\"asset\":{\"version\":\"2.0\"},\"scene\":0,\"scenes\":[{\"nodes\":[0]}],\"nodes\":[{\"name\":\"Root\","
        "\"children\":[1]},{\"name\":\"Part\",\"mesh\":0,\"translation\":[%g,0,0]}],\"meshes\":[{\"name\":\"Box\","
        "\"primitives\":[{\"attributes\":{\"POSITION\":0},\"indices\":1,\"material\":0}]}],\"materials\":[{\"name\":"
        "\"%s\",\"pbrMetallicRoughness\":{\"baseColorFactor\":[0.8,0.8,0.8,1]}}],\"accessors\":[{\"count\":8,"
        "\"type\":\"VEC3\",\"componentType\":5126,\"min\":[0,0,0],\"max\":[1,1,1]},{\"count\":36,\"type\":\"SCALAR\","
        "\"componentType\":5125}]}",
        x, material);
    size_t n = strlen(json), padded = (n + 3) & ~(size_t)3, total = 12 + 8 + padded;
    uint8_t *bytes = pf_xcalloc(total, 1);
    uint32_t header[3] = {0x46546C67u, 2, (uint32_t)total}, chunk[2] = {(uint32_t)padded, 0x4E4F534Au};
    memcpy(bytes, header, 12);
    memcpy(bytes + 12, chunk, 8);
    memcpy(bytes + 20, json, n);
    memset(bytes + 20 + n, ' ', padded - n);
    char *path = pf_asprintf("%s/%s.glb", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(bytes, 1, total, f) == total);
    if (f) fclose(f);
    free(bytes);
    free(json);
    return path;
}

static void test_glb(const char *dir) {
    char *a = write_glb(dir, "a", 2, "steel"), *b = write_glb(dir, "b", 2, "steel"),
         *c = write_glb(dir, "c", 2.5, "brass");
    json_t *sa = NULL, *sb = NULL, *sc = NULL;
    CHECK(pf_parity_glb_structure(a, &sa) == NULL);
    CHECK(pf_parity_glb_structure(b, &sb) == NULL);
    CHECK(pf_parity_glb_structure(c, &sc) == NULL);
    const json_t *bounds = json_object_get(sa, "bounds");
    CHECK(json_number_value(json_array_get(json_object_get(bounds, "min"), 0)) == 2);
    CHECK(json_number_value(json_array_get(json_object_get(bounds, "max"), 0)) == 3);
    json_t *same = pf_parity_structure_verdict(sa, sb), *other = pf_parity_structure_verdict(sa, sc);
    CHECK_STR(pf_json_str(same, "verdict"), "identical");
    CHECK_STR(pf_json_str(other, "verdict"), "different");
    bool moved = false, renamed = false, bounds_moved = false;
    size_t i;
    const json_t *d;
    json_array_foreach(json_object_get(other, "differences"), i, d) {
        const char *ptr = pf_json_str(d, "pointer");
        moved = moved || strcmp(ptr, "/nodes/1/translation/0") == 0;
        renamed = renamed || strcmp(ptr, "/materials/0/name") == 0;
        bounds_moved = bounds_moved || strcmp(ptr, "/bounds/min/0") == 0;
    }
    CHECK_MSG(moved && renamed && bounds_moved, "%s", json_dumps(json_object_get(other, "differences"), JSON_COMPACT));
    json_decref(same);
    json_decref(other);
    json_decref(sa);
    json_decref(sb);
    json_decref(sc);
    free(a);
    free(b);
    free(c);
}

/* ---------------------------------------------------------------- .blend */

static char *save_blend(const char *dir, const char *name, const char *python) {
    char *path = pf_asprintf("%s/%s.blend", dir, name);
    char *expr = pf_asprintf("import bpy\n%s\nbpy.ops.wm.save_as_mainfile(filepath=%s%s%s)", python, "'", path, "'");
    const char *argv[] = {"blender", "-b", "--factory-startup", "--disable-autoexec", "-noaudio", "--python-expr",
                          expr,      NULL};
    CHECK_MSG(pf_test_run_argv(argv), "Blender saves %s", name);
    free(expr);
    return path;
}

static void test_blend(const char *dir) {
    char *a = save_blend(dir, "a", ""), *b = save_blend(dir, "b", "");
    char *c = save_blend(dir, "c",
                         "bpy.data.objects['Cube'].location.x = 1.5\n"
                         "bpy.context.scene.frame_end = 48\n"
                         "bpy.context.scene.render.resolution_x = 640");
    const char *paths[3] = {a, b, c};
    json_t *digests[3];
    char *share = pf_asprintf("%s/share", PF_SOURCE_DIR);
    pf_error *err = pf_parity_blend_digests(share, paths, 3, digests);
    CHECK_MSG(err == NULL, "%s", err ? err->message : "");
    pf_error_free(err);
    if (!err && digests[0]) {
        json_t *same = pf_parity_structure_verdict(digests[0], digests[1]);
        json_t *other = pf_parity_structure_verdict(digests[0], digests[2]);
        CHECK_MSG(strcmp(pf_json_str(same, "verdict"), "identical") == 0, "two saves of one scene: %s",
                  json_dumps(json_object_get(same, "differences"), JSON_COMPACT));
        char *text = json_dumps(json_object_get(other, "differences"), JSON_COMPACT);
        CHECK_STR(pf_json_str(other, "verdict"), "different");
        CHECK_MSG(strstr(text, "/location/0") && strstr(text, "/frame_range/1") && strstr(text, "/render/resolution/0"),
                  "%s", text);
        free(text);
        json_decref(same);
        json_decref(other);
        CHECK(json_array_size(json_object_get(digests[0], "scenes")) == 1);
    }
    for (int i = 0; i < 3; i++)
        json_decref(digests[i]);
    free(share);
    free(a);
    free(b);
    free(c);
}

int main(void) {
    char *dir = pf_test_tmpdir("parity");
    test_images(dir);
    test_glb(dir);
    test_videos(dir);
    test_blend(dir);
    free(dir);
    return pf_check_done("parity");
}
