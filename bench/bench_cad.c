/* STEP metadata at memory speed (issue #18), on the project's own
 * assembly of 1,642 products and 2,041 instances (about 20 MB):
 * - the scanner alone, in MB/s, against `cat FILE > /dev/null`, the
 *   memory-speed limit, measured in the same run;
 * - `prodflow cad inspect FILE` as a whole process against a process that
 *   reads the file with OCCT's reader as shipped (this bench run again
 *   with --occt-read: OCCT's own lexer input, assembly check and healing),
 *   as a ratio, with the start-up of a prodflow process (--version) beside
 *   it, and the adapter's own read (--adapter-read: its replacements of
 *   OCCT functions, adaptive healing), for comparison.
 * Each is the best of several runs, alternated: the machine's noise is
 * larger than the differences between runs. CPU times are printed too: on
 * a shared machine wall time is mostly waiting for a core. */
#include "cad/cad_kernel.h"
#include "cad/fixture.h"
#include "cad/step_scanner.h"
#include "core/mem.h"
#include "core/subprocess.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct {
    double wall, cpu; /* seconds; wall < 0 when the run failed */
} timed;

/* CPU time (user + system) of the children this process has reaped. */
static double children_cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* A whole process, started the way the server starts its children
 * (pf_subprocess_run: posix_spawn, output read and dropped): wall and CPU.
 * Not fork and exec: a fork of this process (OCCT loaded) made its heap
 * copy-on-write, so the in-process scanner took a fault on every page it
 * reused, and each child's exec tore down the bench's page tables on the
 * child's CPU time (`prodflow --version` was charged 10.1 ms, against 3.9
 * ms by perf stat). */
static timed run(const char *const argv[]) {
    pf_subprocess_opts o = {.argv = argv};
    pf_subprocess_result r;
    double t = now_s(), c = children_cpu_s();
    pf_error *err = pf_subprocess_run(&o, &r);
    timed out = {now_s() - t, children_cpu_s() - c};
    if (err || r.exit_code != 0) out.wall = -1;
    pf_error_free(err);
    return out;
}

static timed scan_once(const char *path) {
    double t = now_s(), c = cpu_s();
    pf_step_summary *s = NULL;
    pf_error *err = pf_step_scan_file(path, &s);
    timed r = {now_s() - t, cpu_s() - c};
    if (err) {
        fprintf(stderr, "%s\n", err->message);
        pf_error_free(err);
        r.wall = -1;
    }
    pf_step_summary_free(s);
    return r;
}

static void best(timed *b, timed t) {
    b->wall = fmin(b->wall, t.wall);
    b->cpu = fmin(b->cpu, t.cpu);
}

/* The OCCT side as a whole process: load the kernel, read, close. */
static int occt_read(const char *path, const pf_cad_read_opts *opts) {
    pf_cad_doc *doc = NULL;
    if (pf_cad_open_step(path, opts, &doc) != PF_CAD_OK) {
        fprintf(stderr, "%s\n", pf_cad_last_error());
        return 1;
    }
    pf_cad_close(doc);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--occt-read")) return occt_read(argv[2], &(pf_cad_read_opts){.as_shipped = 1});
    if (argc == 3 && !strcmp(argv[1], "--adapter-read")) return occt_read(argv[2], NULL);
    char dir[] = "/tmp/prodflow-bench-cad-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char *step = pf_asprintf("%s/assembly.step", dir);
    pf_fixture_opts fo = {.bolts = 399, .extra_parts = 1634}; /* 1,642 products, 2,041 instances */
    pf_error *err = pf_cad_make_fixture(step, &fo);
    if (err) {
        fprintf(stderr, "%s\n", err->message);
        return 1;
    }
    struct stat st;
    stat(step, &st);
    double mb = (double)st.st_size / 1e6;
    char *cat_cmd = pf_asprintf("exec cat '%s' > /dev/null", step);
    const char *cat[] = {"/bin/sh", "-c", cat_cmd, NULL};
    const char *inspect[] = {PF_BIN, "cad", "inspect", step, NULL};
    const char *version[] = {PF_BIN, "--version", NULL};
    const char *occt[] = {argv[0], "--occt-read", step, NULL}, *adapter[] = {argv[0], "--adapter-read", step, NULL};
    enum { RUNS = 15, OCCT_RUNS = 3 };
    timed scan = {1e9, 1e9}, cat_t = {1e9, 1e9}, insp = {1e9, 1e9}, start = {1e9, 1e9}, occt_t = {1e9, 1e9},
          adapter_t = {1e9, 1e9};
    for (int r = 0; r < RUNS; r++) {
        timed a = scan_once(step), b = run(cat), c = run(inspect), v = run(version);
        timed d = r < OCCT_RUNS ? run(occt) : (timed){1e9, 1e9};
        timed e = r < OCCT_RUNS ? run(adapter) : (timed){1e9, 1e9};
        if (a.wall < 0 || b.wall < 0 || c.wall < 0 || v.wall < 0 || d.wall < 0 || e.wall < 0) {
            fprintf(stderr, "a run failed (scanner %g, cat %g, inspect %g, --version %g, OCCT %g, adapter %g)\n",
                    a.wall, b.wall, c.wall, v.wall, d.wall, e.wall);
            return 1;
        }
        best(&scan, a), best(&cat_t, b), best(&insp, c), best(&start, v), best(&occt_t, d), best(&adapter_t, e);
    }
    printf("STEP metadata of a %.1f MB assembly (%d products, %d instances), best of %d:\n", mb, fo.extra_parts + 8,
           fo.extra_parts + fo.bolts + 8, RUNS);
    printf("  scanner %.0f MB/s (%.1f ms), cat > /dev/null %.0f MB/s (%.1f ms, a process): %.2fx of cat "
           "(goal: >= 500 MB/s)\n",
           mb / scan.wall, scan.wall * 1e3, mb / cat_t.wall, cat_t.wall * 1e3, cat_t.wall / scan.wall);
    printf("    in CPU time: scanner %.0f MB/s, cat %.0f MB/s\n", mb / scan.cpu, mb / cat_t.cpu);
    printf("  cad inspect %.1f ms, OCCT's reader %.0f ms (processes, OCCT best of %d): %.0fx faster (goal >= 100x)\n",
           insp.wall * 1e3, occt_t.wall * 1e3, OCCT_RUNS, occt_t.wall / insp.wall);
    printf(
        "    in CPU time: cad inspect %.1f ms, OCCT read %.0f ms: %.0fx; start-up (prodflow --version) %.1f ms wall, "
        "%.1f ms CPU (goal: a few ms)\n",
        insp.cpu * 1e3, occt_t.cpu * 1e3, occt_t.cpu / insp.cpu, start.wall * 1e3, start.cpu * 1e3);
    printf("    the adapter's own read (its replacements of OCCT functions, adaptive healing): %.0f ms, %.0fx\n",
           adapter_t.wall * 1e3, adapter_t.wall / insp.wall);
    unlink(step), rmdir(dir);
    free(cat_cmd), free(step);
    return 0;
}
