/* Rendering overhead (issue #18, "Renders with no overhead"), on the
 * gearbox at 320x180, 16 samples:
 * - a cold still through render.blender_still against a raw `blender -b`
 *   rendering the .blend render.blender_export_blend saved (the same scene
 *   with none of Prodflow around it): goal <= 1.05x;
 * - a warm still against the render time Cycles itself reports for it:
 *   goal <= 1.2x;
 * - ten stills on a warm worker against ten cold ones: goal <= 0.5x;
 * - a second output type of the same product on the warm worker: no import;
 * - a turntable in one session: frames per second against Cycles' own time
 *   per frame.
 * Where the time goes comes from the job's phases (blender_worker.h): the
 * process start, the GLB import, the scene set-up, Cycles' scene sync and
 * sampling, and the file writing. */
#include "core/mem.h"
#include "core/path.h"
#include "core/subprocess.h"
#include "modules/render/render_job.h"
#include "render/blender_worker.h"
#include "render_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH 320
#define HEIGHT 180 /* 16:9, the frame the exported .blend is framed for */
#define SAMPLES 16
#define STILLS 10
#define FRAMES 12 /* turntable frames, at half the size */

static double now_s(void) { return (double)pf_now_ms() / 1000.0; }

static json_t *still_params(void) {
    return json_pack("{s:i, s:i, s:i}", "width", WIDTH, "height", HEIGHT, "samples", SAMPLES);
}

static json_t *turntable_params(void) {
    return json_pack("{s:i, s:i, s:i, s:i, s:i}", "width", WIDTH / 2, "height", HEIGHT / 2, "samples", SAMPLES,
                     "frames", FRAMES, "fps", 24);
}

/* One job as the render modules run it (render_job.h), returning its
 * timing; with frames > 0 a turntable of that many frames. */
static json_t *run_job(const pf_render_bench *b, const json_t *inputs, const char *op, const char *work_name,
                       int frames) {
    atomic_bool cancel = false;
    char *work = pf_asprintf("%s/work-%s", b->dir, work_name);
    pf_error_free(pf_mkdirs(work, 0755));
    pf_module_ctx ctx = pf_render_bench_ctx(b, work, &cancel);
    json_t *params = frames > 0 ? turntable_params() : still_params(), *job = NULL, *result = NULL;
    pf_error *err = pf_render_job_new(&ctx, op, inputs, params, NULL, &job);
    if (!err) {
        json_object_set_new(job, "output",
                            frames > 0 ? json_pack("{s:s, s:s}", "dir", work, "pattern", "frame_%04d.png")
                                       : json_pack("{s:s, s:s}", "dir", work, "file", "still.png"));
        err = pf_render_job_run(&ctx, job, frames > 0 ? frames : 1, NULL, NULL, &result);
    }
    if (err) {
        fprintf(stderr, "%s job: %s\n", op, err->message);
        exit(1);
    }
    json_t *timing = json_incref(json_object_get(result, "timing"));
    json_decref(result);
    json_decref(job);
    json_decref(params);
    free(work);
    return timing;
}

static double phase(const json_t *timing, const char *name) { return json_number_value(json_object_get(timing, name)); }

/* The job's seconds by phase; "rest" is what no phase accounts for (the
 * pipes, Python between the phases, Blender's render call around Cycles). */
static void print_phases(const char *what, const json_t *t) {
    double job = phase(t, "job_s") + phase(t, "start_s");
    double parts =
        phase(t, "start_s") + phase(t, "import_s") + phase(t, "setup_s") + phase(t, "cycles_s") + phase(t, "write_s");
    printf("  %-26s start %.2f  import %.2f  set-up %.2f  Cycles %.2f (sync %.2f)  write %.2f  rest %.2f  = %.2f s\n",
           what, phase(t, "start_s"), phase(t, "import_s"), phase(t, "setup_s"), phase(t, "cycles_s"),
           phase(t, "sync_s"), phase(t, "write_s"), job - parts, job);
}

/* A raw `blender -b` run: its wall time and Blender's own account. */
typedef struct {
    double wall_s;
    pf_blender_times times;
} raw_run;

static void raw_line(void *user, int stream, const char *line, size_t len) {
    if (stream != 1) return;
    char *copy = pf_strndup(line, len);
    pf_blender_times_add(&((raw_run *)user)->times, copy);
    free(copy);
}

static raw_run raw_still(const char *blend, const char *out) {
    char *expr = pf_asprintf("import bpy; s = bpy.context.scene; s.render.resolution_x = %d; "
                             "s.render.resolution_y = %d; s.cycles.samples = %d",
                             WIDTH, HEIGHT, SAMPLES);
    const char *argv[] = {"blender",
                          "-b",
                          "--factory-startup",
                          "--disable-autoexec",
                          "-noaudio",
                          blend,
                          "--python-expr",
                          expr,
                          "-o",
                          out,
                          "-F",
                          "PNG",
                          "-f",
                          "1",
                          NULL};
    raw_run run = {0};
    pf_subprocess_opts o = {.argv = argv, .on_line = raw_line, .user = &run};
    pf_subprocess_result r;
    double t = now_s();
    pf_error *err = pf_subprocess_run(&o, &r);
    free(expr);
    if (err || r.exit_code != 0) {
        fprintf(stderr, "raw blender failed\n");
        exit(1);
    }
    run.wall_s = now_s() - t;
    return run;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* min / median / max of n values (sorted in place). */
static void spread(double *v, int n, double out[3]) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    out[0] = v[0];
    out[1] = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    out[2] = v[n - 1];
}

/* The cold still through the render modules' job code against raw Blender,
 * in pairs taken side by side (their order alternating), so both sides see
 * the same machine load: the ratio of each pair, and each side's seconds
 * outside Cycles and the file writing (start, import or .blend load, set-up,
 * exit). The first module render fills the data directory's model cache; it
 * is shown on its own, the pairs open the cached product. Returns the mean
 * module cold still. */
static double cold_pairs(const pf_render_bench *b, const json_t *inputs, const char *blend_path, const char *raw_png) {
    int pairs = getenv("PF_COLD_PAIRS") ? atoi(getenv("PF_COLD_PAIRS")) : 7;
    if (pairs < 5) pairs = 5;
    double t = now_s();
    json_t *first = run_job(b, inputs, "still", "cold-first", 0);
    t = now_s() - t;
    print_phases("cold still, first:", first);
    printf("  (its model: %s)\n",
           json_object_get(first, "import_s") ? "imported from the GLB" : "opened from the cache");
    json_decref(first);
    raw_run warmup = raw_still(blend_path, raw_png); /* the same for raw Blender: files in the page cache */
    (void)warmup;

    double *ratio = pf_xcalloc((size_t)pairs, sizeof *ratio), *m_rest = pf_xcalloc((size_t)pairs, sizeof *m_rest),
           *r_rest = pf_xcalloc((size_t)pairs, sizeof *r_rest), module_sum = 0;
    json_t *sum = json_object();
    raw_run raw_sum = {0};
    for (int i = 0; i < pairs; i++) {
        raw_run raw = {0};
        if (i % 2) raw = raw_still(blend_path, raw_png);
        t = now_s();
        json_t *timing = run_job(b, inputs, "still", "cold", 0);
        double module = now_s() - t;
        if (!(i % 2)) raw = raw_still(blend_path, raw_png);
        ratio[i] = module / raw.wall_s;
        m_rest[i] = module - phase(timing, "cycles_s") - phase(timing, "write_s");
        r_rest[i] = raw.wall_s - raw.times.cycles_s - raw.times.write_s;
        module_sum += module;
        raw_sum.wall_s += raw.wall_s / pairs;
        raw_sum.times.cycles_s += raw.times.cycles_s / pairs;
        raw_sum.times.sync_s += raw.times.sync_s / pairs;
        raw_sum.times.write_s += raw.times.write_s / pairs;
        const char *k;
        json_t *v;
        json_object_foreach(timing, k, v) {
            json_object_set_new(sum, k, json_real(phase(sum, k) + json_number_value(v) / pairs));
        }
        json_decref(timing);
    }
    double r[3], mr[3], rr[3];
    spread(ratio, pairs, r);
    spread(m_rest, pairs, mr);
    spread(r_rest, pairs, rr);
    printf("cold still %dx%d at %d samples, module against raw blender -b, %d pairs side by side: ratio min %.2fx, "
           "median %.2fx, max %.2fx (goal <= 1.05x)\n",
           WIDTH, HEIGHT, SAMPLES, pairs, r[0], r[1], r[2]);
    printf("  outside Cycles and writing: module %.2f / %.2f / %.2f s, raw %.2f / %.2f / %.2f s (min / median / max)\n",
           mr[0], mr[1], mr[2], rr[0], rr[1], rr[2]);
    print_phases("cold still, mean:", sum);
    printf("  %-26s whole %.2f s: Cycles %.2f (sync %.2f)  write %.2f  the rest (start, .blend load, exit) %.2f s\n",
           "raw blender -b, mean:", raw_sum.wall_s, raw_sum.times.cycles_s, raw_sum.times.sync_s, raw_sum.times.write_s,
           raw_sum.wall_s - raw_sum.times.cycles_s - raw_sum.times.write_s);
    json_decref(sum);
    free(ratio);
    free(m_rest);
    free(r_rest);
    return module_sum / pairs;
}

/* Warm stills against Cycles' own time and against the cold mean, a
 * thumbnail after them on the same worker, and a turntable. */
static void warm_stills(pf_render_bench *b, const json_t *inputs, double cold_mean) {
    b->pool = pf_render_bench_pool();
    json_t *first = run_job(b, inputs, "still", "warm-first", 0);
    print_phases("warm worker, first still:", first);
    double warm = 0, cycles = 0;
    json_t *sum = json_object();
    for (int i = 0; i < STILLS; i++) {
        double t = now_s();
        json_t *timing = run_job(b, inputs, "still", "warm", 0);
        warm += now_s() - t;
        cycles += phase(timing, "cycles_s");
        const char *k;
        json_t *v;
        json_object_foreach(timing, k, v) {
            json_object_set_new(sum, k, json_real(phase(sum, k) + json_number_value(v) / STILLS));
        }
        json_decref(timing);
    }
    printf("warm still: %.2f s against Cycles' own %.2f s, ratio %.2fx (goal <= 1.2x); mean of %d\n", warm / STILLS,
           cycles / STILLS, warm / cycles, STILLS);
    print_phases("warm still, mean:", sum);
    double cold_ten = cold_mean * STILLS;
    printf("%d stills of one product: warm %.2f s, cold %.2f s (10 x the cold mean), ratio %.2fx (goal <= 0.5x)\n",
           STILLS, warm, cold_ten, warm / cold_ten);

    json_t *thumb = run_job(b, inputs, "thumbnail", "thumbnail", 0);
    printf("a thumbnail after the stills, same worker: %s\n",
           json_object_get(thumb, "import_s") ? "imported again (goal: no import)" : "no import (goal: no import)");
    print_phases("thumbnail:", thumb);

    double t = now_s();
    json_decref(
        pf_render_bench_invoke(b, "render.blender_turntable", "turntable", json_deep_copy(inputs), turntable_params()));
    double module_tt = now_s() - t;
    json_t *tt = run_job(b, inputs, "turntable", "turntable-frames", FRAMES);
    double per_frame = phase(tt, "cycles_s") / FRAMES;
    printf(
        "turntable %dx%d, %d frames, warm: %.2f frames/s with encoding (%.2f s a frame), frames alone %.2f s a frame, "
        "Cycles' own %.2f s a frame: ratio %.2fx\n",
        WIDTH / 2, HEIGHT / 2, FRAMES, FRAMES / module_tt, module_tt / FRAMES, phase(tt, "job_s") / FRAMES, per_frame,
        module_tt / FRAMES / per_frame);
    print_phases("turntable frames:", tt);

    json_decref(tt);
    json_decref(thumb);
    json_decref(sum);
    json_decref(first);
}

/* With the argument "cold", only the cold stills. */
int main(int argc, char **argv) {
    pf_render_bench b;
    pf_render_bench_open(&b, "render");
    json_t *tmpl = pf_render_bench_invoke(&b, "render.resolve_template", "template", json_object(), NULL);
    json_t *inputs =
        json_pack("{s:O, s:O, s:O}", "glb", b.glb, "bbox", b.bbox, "template", json_object_get(tmpl, "template"));
    json_t *blend = pf_render_bench_invoke(&b, "render.blender_export_blend", "blend", json_deep_copy(inputs), NULL);
    const char *blend_path = json_string_value(json_object_get(json_object_get(blend, "blend"), "path"));
    char *raw_png = pf_asprintf("%s/raw_#.png", b.dir);

    double cold_mean = cold_pairs(&b, inputs, blend_path, raw_png);
    if (argc < 2 || strcmp(argv[1], "cold") != 0) warm_stills(&b, inputs, cold_mean);
    json_decref(inputs);
    json_decref(blend);
    json_decref(tmpl);
    free(raw_png);
    pf_render_bench_close(&b);
    return 0;
}
