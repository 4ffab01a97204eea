/* Rendering overhead (issue #18, "Renders with no overhead"), on the
 * gearbox at 320x180, 16 samples:
 * - a cold still through the render modules' job code against a raw
 *   `blender -b` rendering the .blend render.blender_export_blend saved
 *   (the same scene with none of Prodflow around it): goal <= 1.05x. In
 *   rounds side by side (PF_COLD_PAIRS, default 7, at least 5), with the
 *   product from the data directory's cache and, for comparison, imported
 *   from the GLB as every cold still did before the cache; min, median
 *   and max of the ratio, and each side's seconds outside Cycles;
 * - a warm still against the render time Cycles itself reports for it:
 *   goal <= 1.2x;
 * - stills on a warm worker against cold ones, a side of the same rounds
 *   (the machine's load moves between minutes): goal <= 0.5x against cold
 *   stills that import the GLB, as when issue #4 set it; against cold
 *   stills from the cache, printed beside it;
 * - a second output type of the same product on the warm worker: no import;
 * - a turntable in one session: frames per second against Cycles' own time
 *   per frame.
 * Where the time goes comes from the job's phases (blender_worker.h): the
 * process start, the GLB import or the product's load from the cache, the
 * scene set-up, Cycles' scene sync and sampling, and the file writing; raw
 * Blender's Cycles and writing come from its own output.
 * `bench_render cold` runs the cold stills only. */
#include "core/mem.h"
#include "core/path.h"
#include "core/subprocess.h"
#include "modules/render/render_job.h"
#include "render/blender_worker.h"
#include "render_bench.h"

#include <stdbool.h>
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

/* The job's seconds by phase (import: the GLB; load and store: the
 * product from and to the data directory's cache); "rest" is what no phase accounts for (the
 * pipes, Python between the phases, Blender's render call around Cycles). */
static void print_phases(const char *what, const json_t *t) {
    double job = phase(t, "job_s") + phase(t, "start_s");
    double model = phase(t, "import_s") + phase(t, "load_s") + phase(t, "store_s");
    double parts = phase(t, "start_s") + model + phase(t, "setup_s") + phase(t, "cycles_s") + phase(t, "write_s");
    printf("  %-26s start %.2f  import %.2f  load %.2f  store %.2f  set-up %.2f  Cycles %.2f (sync %.2f)  write %.2f  "
           "rest %.2f  = %.2f s\n",
           what, phase(t, "start_s"), phase(t, "import_s"), phase(t, "load_s"), phase(t, "store_s"),
           phase(t, "setup_s"), phase(t, "cycles_s"), phase(t, "sync_s"), phase(t, "write_s"), job - parts, job);
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

/* A cold still's mean wall seconds with the product from the cache and
 * imported from the GLB, the mean seconds of Cycles and the file writing
 * in the cached one (a warm still pays those alone, less Cycles' first
 * render in a process), and a warm still's mean wall seconds in the same
 * rounds (0 without a pool). */
typedef struct {
    double cached, imported, cycles_write, warm;
} cold_means;

/* One side of the cold comparison over the rounds: wall seconds, seconds
 * outside Cycles and the file writing, the mean phases. */
typedef struct {
    double *wall, *rest;
    json_t *phases;
} side;

static void side_add(side *sd, int i, int n, double wall, const json_t *timing) {
    sd->wall[i] = wall;
    sd->rest[i] = wall - phase(timing, "cycles_s") - phase(timing, "write_s");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)timing, k, v) {
        json_object_set_new(sd->phases, k, json_real(phase(sd->phases, k) + json_number_value(v) / n));
    }
    json_object_set_new(sd->phases, "wall_s", json_real(phase(sd->phases, "wall_s") + wall / n));
}

static double module_cold(pf_render_bench *b, const json_t *inputs, bool cached, json_t **timing) {
    char keep = b->cache[0];
    pf_blender_pool *pool = b->pool;
    if (!cached) b->cache[0] = '\0'; /* no cache directory: the GLB is imported */
    b->pool = NULL;                  /* a Blender of its own */
    double t = now_s();
    *timing = run_job(b, inputs, "still", cached ? "cold" : "cold-import", 0);
    b->cache[0] = keep;
    b->pool = pool;
    return now_s() - t;
}

static double module_warm(pf_render_bench *b, const json_t *inputs, json_t **timing) {
    double t = now_s();
    *timing = run_job(b, inputs, "still", "warm", 0);
    return now_s() - t;
}

/* The cold still through the render modules' job code (what
 * render.blender_still runs) against raw Blender, in rounds taken side by
 * side (their order rotating), so every side sees the same machine load:
 * the module opening the product from the data directory's cache, the
 * module importing the GLB (no cache directory: how every cold still ran
 * before the cache), and raw `blender -b`. Per round the ratios to raw,
 * and each side's seconds outside Cycles and the file writing (start,
 * import or load, set-up, exit), whose difference is the module's
 * overhead without Cycles' noise. With b's warm pool, a still on it is a
 * side of each round too: warm against cold in the same rounds, as the
 * machine's load moves from minute to minute. The first render fills the
 * cache and is shown on its own, then the warm worker's first. */
static cold_means cold_rounds(pf_render_bench *b, const json_t *inputs, const char *blend_path, const char *raw_png) {
    int n = getenv("PF_COLD_PAIRS") ? atoi(getenv("PF_COLD_PAIRS")) : 7;
    if (n < 5) n = 5;
    json_t *first = NULL;
    module_cold(b, inputs, true, &first);
    print_phases("cold still, first:", first);
    printf("  (its product: %s)\n", json_object_get(first, "import_s") ? "imported from the GLB and kept in the cache"
                                                                       : "opened from the cache");
    json_decref(first);
    if (b->pool) {
        first = run_job(b, inputs, "still", "warm-first", 0);
        print_phases("warm worker, first still:", first);
        json_decref(first);
    }
    raw_still(blend_path, raw_png); /* raw Blender's files in the page cache too */

    enum { CACHED, IMPORT, RAW, WARM, SIDES };
    int used = b->pool ? SIDES : WARM;
    side sides[SIDES];
    for (int k = 0; k < SIDES; k++)
        sides[k] = (side){pf_xcalloc((size_t)n, sizeof(double)), pf_xcalloc((size_t)n, sizeof(double)), json_object()};
    double *ratio = pf_xcalloc((size_t)n, sizeof *ratio), *ratio_import = pf_xcalloc((size_t)n, sizeof *ratio);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < used; j++) {
            int k = (i + j) % used;
            json_t *timing = NULL;
            double wall;
            if (k == RAW) {
                raw_run raw = raw_still(blend_path, raw_png);
                wall = raw.wall_s;
                timing = json_pack("{s:f, s:f, s:f}", "cycles_s", raw.times.cycles_s, "sync_s", raw.times.sync_s,
                                   "write_s", raw.times.write_s);
            } else if (k == WARM) {
                wall = module_warm(b, inputs, &timing);
            } else {
                wall = module_cold(b, inputs, k == CACHED, &timing);
            }
            side_add(&sides[k], i, n, wall, timing);
            json_decref(timing);
        }
        ratio[i] = sides[CACHED].wall[i] / sides[RAW].wall[i];
        ratio_import[i] = sides[IMPORT].wall[i] / sides[RAW].wall[i];
    }
    cold_means mean = {0};
    for (int i = 0; i < n; i++) {
        mean.cached += sides[CACHED].wall[i] / n;
        mean.imported += sides[IMPORT].wall[i] / n;
        mean.warm += sides[WARM].wall[i] / n;
    }
    double r[3], ri[3], rest[SIDES][3], oc[3], oi[3], raw_wall[3];
    spread(ratio, n, r);
    spread(ratio_import, n, ri);
    /* The overhead without Cycles' noise: per round, each module side's
     * seconds outside Cycles and writing less raw Blender's. */
    double *over = pf_xcalloc((size_t)n, sizeof *over), *over_import = pf_xcalloc((size_t)n, sizeof *over);
    for (int i = 0; i < n; i++) {
        over[i] = sides[CACHED].rest[i] - sides[RAW].rest[i];
        over_import[i] = sides[IMPORT].rest[i] - sides[RAW].rest[i];
    }
    spread(over, n, oc);
    spread(over_import, n, oi);
    for (int k = 0; k < SIDES; k++)
        spread(sides[k].rest, n, rest[k]);
    double raw_mean = 0;
    for (int i = 0; i < n; i++)
        raw_mean += sides[RAW].wall[i] / n;
    spread(sides[RAW].wall, n, raw_wall);
    printf("cold still %dx%d at %d samples against raw blender -b, %d rounds side by side (min / median / max):\n",
           WIDTH, HEIGHT, SAMPLES, n);
    printf("  product from the cache: ratio %.2fx / %.2fx / %.2fx (goal <= 1.05x)\n", r[0], r[1], r[2]);
    printf("  GLB imported (no cache): ratio %.2fx / %.2fx / %.2fx\n", ri[0], ri[1], ri[2]);
    printf("  outside Cycles and writing: from the cache %.2f / %.2f / %.2f s, imported %.2f / %.2f / %.2f s, "
           "raw %.2f / %.2f / %.2f s\n",
           rest[CACHED][0], rest[CACHED][1], rest[CACHED][2], rest[IMPORT][0], rest[IMPORT][1], rest[IMPORT][2],
           rest[RAW][0], rest[RAW][1], rest[RAW][2]);
    printf("  overhead outside Cycles, module less raw in the same round: from the cache %+.2f / %+.2f / %+.2f s, "
           "imported %+.2f / %+.2f / %+.2f s; raw's still %.2f / %.2f / %.2f s\n",
           oc[0], oc[1], oc[2], oi[0], oi[1], oi[2], raw_wall[0], raw_wall[1], raw_wall[2]);
    print_phases("from the cache, mean:", sides[CACHED].phases);
    print_phases("imported, mean:", sides[IMPORT].phases);
    /* What the job's phases do not see: the job's set-up on this side and
     * Blender's exit after the job. */
    const json_t *cp = sides[CACHED].phases, *ip = sides[IMPORT].phases;
    printf("  outside the job (its set-up here, Blender's exit): from the cache %.2f s, imported %.2f s\n",
           phase(cp, "wall_s") - phase(cp, "start_s") - phase(cp, "job_s"),
           phase(ip, "wall_s") - phase(ip, "start_s") - phase(ip, "job_s"));
    const json_t *rp = sides[RAW].phases;
    printf("  %-26s Cycles %.2f (sync %.2f)  write %.2f  the rest (start, .blend load, exit) %.2f  = %.2f s\n",
           "raw blender -b, mean:", phase(rp, "cycles_s"), phase(rp, "sync_s"), phase(rp, "write_s"),
           raw_mean - phase(rp, "cycles_s") - phase(rp, "write_s"), raw_mean);
    mean.cycles_write = phase(cp, "cycles_s") + phase(cp, "write_s");
    if (b->pool) {
        print_phases("warm, mean:", sides[WARM].phases);
        /* Issue #4 set the goal when a cold still imported the GLB (start
         * and import, "about a second per call"); a cold still that loads
         * the product from the cache saves the import too, and then a warm
         * worker saves only Blender's start and what Cycles' first render
         * in a process costs more than later ones. */
        printf("%d stills of one product, warm worker against cold processes, in the same %d rounds: against cold "
               "stills importing the GLB (the goal's baseline) %.2f s against %.2f s, ratio %.2fx (goal <= 0.5x)\n",
               STILLS, n, mean.warm * STILLS, mean.imported * STILLS, mean.warm / mean.imported);
        printf("  against cold stills loading the product from the cache %.2f s, ratio %.2fx: a warm still saves "
               "Blender's start and Cycles' first render in a process (%.2f s against the cold still's %.2f s of "
               "Cycles and writing)\n",
               mean.cached * STILLS, mean.warm / mean.cached, mean.warm, mean.cycles_write);
    }
    free(over);
    free(over_import);
    for (int k = 0; k < SIDES; k++) {
        free(sides[k].wall);
        free(sides[k].rest);
        json_decref(sides[k].phases);
    }
    free(ratio);
    free(ratio_import);
    return mean;
}

/* Warm stills against Cycles' own time, a thumbnail after them on the same
 * worker, and a turntable. */
static void warm_stills(pf_render_bench *b, const json_t *inputs) {
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
}

/* With the argument "cold", only the cold stills. */
int main(int argc, char **argv) {
    pf_render_bench b;
    pf_render_bench_open(&b, "render");
    json_t *tmpl = pf_render_bench_invoke(&b, "render.resolve_template", "template", json_object(), NULL);
    json_t *inputs =
        json_pack("{s:O, s:O, s:O}", "glb", b.glb, "bbox", b.bbox, "template", json_object_get(tmpl, "template"));
    /* Without the cache, which the export would fill (it imports and keeps
     * the product): the first cold still below shows what keeping costs. */
    b.cache[0] = '\0';
    json_t *blend = pf_render_bench_invoke(&b, "render.blender_export_blend", "blend", json_deep_copy(inputs), NULL);
    snprintf(b.cache, sizeof b.cache, "%s/cache", b.dir);
    const char *blend_path = json_string_value(json_object_get(json_object_get(blend, "blend"), "path"));
    char *raw_png = pf_asprintf("%s/raw_#.png", b.dir);

    bool warm = argc < 2 || strcmp(argv[1], "cold") != 0;
    if (warm) b.pool = pf_render_bench_pool();
    cold_rounds(&b, inputs, blend_path, raw_png);
    if (warm) warm_stills(&b, inputs);
    json_decref(inputs);
    json_decref(blend);
    json_decref(tmpl);
    free(raw_png);
    pf_render_bench_close(&b);
    return 0;
}
