/* What an isolated node pays to start its child (issue 12: at most 30 ms
 * per child, OCCT loaded only where it is used). The same cheap module,
 * render.resolve_template (no inputs, reads one template directory), is
 * run N times each way:
 *
 *   inline        pf_module_invoke in this process: the module's own cost
 *                 (and, apart, pf_registry_load, which every child pays);
 *   /bin/true     pf_subprocess_run of a trivial program: the spawn floor
 *                 (posix_spawn, pipes, process group, reaping);
 *   --version     `prodflow --version`: the floor plus loading the prodflow
 *                 binary and every shared library it links;
 *   module-child  pf_isolate_invoke without a zygote: all of the above
 *                 plus the registry, the job and the events;
 *   zygote        pf_isolate_invoke_via a module zygote, as the runtime and
 *                 workers do: a fork of a process that has all of that
 *                 loaded (runtime/zygote.h);
 *   --help, validate  `prodflow --help` and `prodflow validate` of a shipped
 *                 workflow: what a person waits for at a prompt (issue 18:
 *                 at most 10 ms);
 *   CAD child     cad.extract_objects in full mode on Debian's small
 *                 screw.step, inline and as a child (spawned, then forked
 *                 by the zygote): the difference is what a CAD child pays
 *                 to start, OCCT's libraries included (the inline runs have
 *                 them loaded already).
 *
 * PF_CHILD_N (default 200) sets N. Each figure is a wall-clock mean per
 * call and, beside it, the child's CPU time (getrusage of the children),
 * which moves less with the load of a shared machine. */
#include "core/error.h"
#include "core/mem.h"
#include "core/subprocess.h"
#include "modules/invoke.h"
#include "modules/registry.h"
#include "runtime/isolate.h"
#include "runtime/zygote.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* CPU time (user + system) of the children reaped so far, in ms: unlike
 * wall time, it does not move with the machine's load. */
static double children_cpu_ms(void) {
    struct rusage u;
    getrusage(RUSAGE_CHILDREN, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

#define SCREW "/usr/share/opencascade/data/step/screw.step"

/* CPU time (user + system) of this process so far, in ms. */
static double self_cpu_ms(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

/* Mean wall time and CPU of n invocations of key, inline (this process's
 * CPU) or isolated (the children's). */
static void time_module(const pf_registry *reg, pf_zygote *z, const char *key, const pf_module_ctx *ctx,
                        const json_t *inputs, const json_t *params, long n, int isolated, double *wall_ms,
                        double *cpu_ms, int *failed) {
    const pf_module *m = pf_registry_find(reg, key);
    double t = now_ms(), c = isolated ? children_cpu_ms() : self_cpu_ms();
    for (long i = 0; i < n; i++) {
        json_t *out = NULL;
        pf_error *err = isolated ? pf_isolate_invoke_via(z, PF_BIN, m, ctx, inputs, params, &out, NULL)
                                 : pf_module_invoke(reg, key, ctx, inputs, params, &out);
        if (err && !*failed) fprintf(stderr, "%s: %s\n", key, err->message);
        *failed += err != NULL;
        pf_error_free(err);
        json_decref(out);
    }
    *wall_ms = (now_ms() - t) / (double)n;
    *cpu_ms = ((isolated ? children_cpu_ms() : self_cpu_ms()) - c) / (double)n;
}

/* What pid has resident now, from /proc. */
static unsigned long long resident_bytes(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long long size = 0, pages = 0;
    if (f && fscanf(f, "%llu %llu", &size, &pages) != 2) pages = 0;
    if (f) fclose(f);
    return pages * (unsigned long long)sysconf(_SC_PAGESIZE);
}

/* CPU time (user + system) of the children pid has reaped, in ms, from
 * /proc (cutime and cstime): the zygote's children are not ours. */
static double reaped_cpu_ms(pid_t pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    long cutime = 0, cstime = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %ld %ld", &cutime, &cstime) != 2)
        return 0;
    return (double)(cutime + cstime) * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

static int spawn(const char *const *argv) {
    pf_subprocess_opts o = {.argv = argv, .timeout_ms = 60000};
    pf_subprocess_result r;
    pf_error *err = pf_subprocess_run(&o, &r);
    int rc = err ? -1 : r.exit_code;
    pf_error_free(err);
    return rc;
}

int main(void) {
    long n = getenv("PF_CHILD_N") ? atol(getenv("PF_CHILD_N")) : 200;
    if (n < 1) n = 1;
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = pf_registry_load(&errs);
    pf_errors_clear(&errs);
    const pf_module *m = reg ? pf_registry_find(reg, "render.resolve_template") : NULL;
    if (!m) {
        fprintf(stderr, "no render.resolve_template in the registry\n");
        return 1;
    }
    char tmpl[] = "/tmp/pf-child-startup-XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    json_t *context = json_pack("{s:s}", "category", "machinery");
    json_t *inputs = json_object(), *params = json_pack("{s:s}", "artifact_kind", "still_image");
    pf_module_ctx ctx = {.data_root = tmpl,
                         .work_dir = tmpl,
                         .share_dir = PF_SOURCE_DIR "/share",
                         .context = context,
                         .timeout_ms = 60000,
                         .run_id = "bench",
                         .node_id = "template"};
    /* The limits the module's contract gives its children, so the memory
     * watchdog and the address-space limit are part of the cost. */
    ctx.limits = pf_isolate_limits(m, NULL, 0);

    /* One of each first: the module works both ways, and the page cache is warm. */
    json_t *out = NULL;
    pf_error *err = pf_module_invoke(reg, m->key, &ctx, inputs, params, &out);
    json_decref(out);
    out = NULL;
    if (!err) err = pf_isolate_invoke(PF_BIN, m, &ctx, inputs, params, &out, NULL);
    json_decref(out);
    if (err) {
        fprintf(stderr, "render.resolve_template: %s\n", err->message);
        return 1;
    }

    double t = now_ms(), c, ignored;
    for (long i = 0; i < 20; i++) {
        pf_errors_init(&errs);
        pf_registry_free(pf_registry_load(&errs));
        pf_errors_clear(&errs);
    }
    double registry_ms = (now_ms() - t) / 20;

    t = now_ms();
    for (long i = 0; i < n; i++) {
        pf_error_free(pf_module_invoke(reg, m->key, &ctx, inputs, params, &out));
        json_decref(out);
    }
    double inline_ms = (now_ms() - t) / (double)n;

    t = now_ms(), c = children_cpu_ms();
    for (long i = 0; i < n; i++)
        spawn((const char *const[]){"/bin/true", NULL});
    double true_ms = (now_ms() - t) / (double)n, true_cpu = (children_cpu_ms() - c) / (double)n;

    t = now_ms(), c = children_cpu_ms();
    for (long i = 0; i < n; i++)
        spawn((const char *const[]){PF_BIN, "--version", NULL});
    double version_ms = (now_ms() - t) / (double)n, version_cpu = (children_cpu_ms() - c) / (double)n;

    t = now_ms(), c = children_cpu_ms();
    for (long i = 0; i < n; i++)
        spawn((const char *const[]){PF_BIN, "--help", NULL});
    double help_ms = (now_ms() - t) / (double)n, help_cpu = (children_cpu_ms() - c) / (double)n;

    t = now_ms(), c = children_cpu_ms();
    for (long i = 0; i < n; i++)
        spawn((const char *const[]){PF_BIN, "validate", PF_SOURCE_DIR "/share/workflows/cad_glb.json", NULL});
    double validate_ms = (now_ms() - t) / (double)n, validate_cpu = (children_cpu_ms() - c) / (double)n;

    int failed = 0;
    double child_ms, child_cpu, zygote_ms;
    time_module(reg, NULL, m->key, &ctx, inputs, params, n, 1, &child_ms, &child_cpu, &failed);
    /* The zygote is started and warmed by one job first: a server starts
     * it once, with the runtime. */
    pf_zygote *z = pf_zygote_new(PF_BIN);
    time_module(reg, z, m->key, &ctx, inputs, params, 1, 1, &zygote_ms, &ignored, &failed);
    c = reaped_cpu_ms(pf_zygote_pid(z));
    time_module(reg, z, m->key, &ctx, inputs, params, n, 1, &zygote_ms, &ignored, &failed);
    double zygote_cpu = (reaped_cpu_ms(pf_zygote_pid(z)) - c) / (double)n;

    printf("child start-up, mean of %ld, wall (CPU of the child): inline %.3f ms; /bin/true %.2f ms (%.2f); "
           "prodflow --version %.2f ms (%.2f)%s\n",
           n, inline_ms, true_ms, true_cpu, version_ms, version_cpu, failed ? " (some failed)" : "");
    printf("  module child, spawned: %.2f ms (%.2f), %.2fx the 30 ms goal; start-up (less the module inline) %.2f ms\n",
           child_ms, child_cpu, child_ms / 30, child_ms - inline_ms);
    printf(
        "  module child, forked by the zygote: %.2f ms (%.2f), %.2fx the 30 ms goal, %.2fx the spawned one; start-up "
        "%.2f ms\n",
        zygote_ms, zygote_cpu, zygote_ms / 30, zygote_ms / child_ms, zygote_ms - inline_ms);
    printf("  prodflow --help %.2f ms (%.2f), %.2fx the 10 ms goal; prodflow validate %.2f ms (%.2f), %.2fx the 10 ms "
           "goal\n",
           help_ms, help_cpu, help_ms / 10, validate_ms, validate_cpu, validate_ms / 10);
    printf("  child CPU: exec floor %.2f ms, loading prodflow and its shared libraries %.2f ms, the registry, job "
           "and module %.2f ms\n",
           true_cpu, version_cpu - true_cpu, child_cpu - version_cpu);
    printf("  in this process: loading the registry %.2f ms, the module inline %.3f ms\n", registry_ms, inline_ms);

    /* A CAD child: fewer rounds, each reads and meshes a real file. One
     * inline run first loads OCCT here, so the inline figure is the work alone. */
    long n_cad = n / 4 > 0 ? n / 4 : 1;
    json_t *step = json_pack("{s:{s:s}}", "step", "path", SCREW);
    json_t *full = json_pack("{s:s, s:f}", "mode", "full", "linear_deflection", 0.5);
    const pf_module *cad = pf_registry_find(reg, "cad.extract_objects");
    double cad_inline_ms = 0, cad_inline_cpu = 0, cad_child_ms = 0, cad_child_cpu = 0, cad_zygote_ms = 0,
           cad_zygote_cpu = 0;
    int cad_failed = !cad;
    if (cad) {
        pf_module_ctx cad_ctx = ctx;
        cad_ctx.limits = pf_isolate_limits(cad, NULL, 0);
        time_module(reg, NULL, cad->key, &cad_ctx, step, full, 1, 0, &cad_inline_ms, &ignored, &cad_failed);
        time_module(reg, NULL, cad->key, &cad_ctx, step, full, n_cad, 0, &cad_inline_ms, &cad_inline_cpu, &cad_failed);
        time_module(reg, NULL, cad->key, &cad_ctx, step, full, n_cad, 1, &cad_child_ms, &cad_child_cpu, &cad_failed);
        c = reaped_cpu_ms(pf_zygote_pid(z));
        time_module(reg, z, cad->key, &cad_ctx, step, full, n_cad, 1, &cad_zygote_ms, &ignored, &cad_failed);
        cad_zygote_cpu = (reaped_cpu_ms(pf_zygote_pid(z)) - c) / (double)n_cad;
    }
    printf("CAD child (cad.extract_objects, full mode, screw.step), mean of %ld: inline %.2f ms; spawned %.2f ms "
           "(%.2f): start-up %.2f ms, %.2fx the 30 ms goal; forked by the zygote %.2f ms (%.2f): start-up %.2f ms, "
           "%.2fx the 30 ms goal%s\n",
           n_cad, cad_inline_ms, cad_child_ms, cad_child_cpu, cad_child_ms - cad_inline_ms,
           (cad_child_ms - cad_inline_ms) / 30, cad_zygote_ms, cad_zygote_cpu, cad_zygote_ms - cad_inline_ms,
           (cad_zygote_ms - cad_inline_ms) / 30, cad_failed ? " (some failed)" : "");
    /* CPU moves less than wall time with a shared machine's load: the
     * child's CPU less the work's CPU inline is what starting it cost. */
    printf("  CAD child start-up in CPU (the child's less the work's inline, %.2f ms): spawned %.2f ms, forked by the "
           "zygote %.2f ms\n",
           cad_inline_cpu, cad_child_cpu - cad_inline_cpu, cad_zygote_cpu - cad_inline_cpu);
    printf("  the zygote itself: %.1f MiB resident (the registry loaded), shared with the children it forks\n",
           (double)resident_bytes(pf_zygote_pid(z)) / (1 << 20));
    pf_zygote_stop(z);
    json_decref(step);
    json_decref(full);
    failed += cad_failed;
    json_decref(context);
    json_decref(inputs);
    json_decref(params);
    pf_registry_free(reg);
    char *rm = pf_asprintf("rm -rf '%s'", tmpl);
    if (system(rm) != 0) fprintf(stderr, "could not remove %s\n", tmpl);
    free(rm);
    return failed ? 1 : 0;
}
