/* STEP metadata at memory speed (issue #18), on the project's own
 * assembly of 1,642 products and 2,041 instances (about 20 MB):
 * - the scanner alone, in MB/s, against `cat FILE > /dev/null`, the
 *   memory-speed limit, measured in the same run;
 * - `prodflow cad inspect FILE` as a whole process against a process that
 *   reads the file with OCCT (this bench run again with --occt-read), as a
 *   ratio. Each is the best of several runs, alternated: the machine's
 *   noise is larger than the differences between runs. */
#include "cad/cad_kernel.h"
#include "cad/fixture.h"
#include "cad/step_scanner.h"
#include "core/mem.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wall time of a whole process with its output thrown away; <0 if it failed. */
static double run(char *const argv[]) {
    double t = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    t = now_s() - t;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : -1;
}

static double scan_once(const char *path) {
    double t = now_s();
    pf_step_summary *s = NULL;
    pf_error *err = pf_step_scan_file(path, &s);
    t = now_s() - t;
    if (err) {
        fprintf(stderr, "%s\n", err->message);
        pf_error_free(err);
        return -1;
    }
    pf_step_summary_free(s);
    return t;
}

/* The OCCT side as a whole process: load the kernel, read, close. */
static int occt_read(const char *path) {
    pf_cad_doc *doc = NULL;
    if (pf_cad_open_step(path, NULL, &doc) != PF_CAD_OK) {
        fprintf(stderr, "%s\n", pf_cad_last_error());
        return 1;
    }
    pf_cad_close(doc);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--occt-read")) return occt_read(argv[2]);
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
    char *cat[] = {"/bin/sh", "-c", pf_asprintf("exec cat '%s' > /dev/null", step), NULL};
    char *inspect[] = {PF_BIN, "cad", "inspect", step, NULL};
    char *occt[] = {argv[0], "--occt-read", step, NULL};
    enum { RUNS = 15, OCCT_RUNS = 3 };
    double scan = 1e9, cat_s = 1e9, insp = 1e9, occt_s = 1e9;
    for (int r = 0; r < RUNS; r++) {
        double a = scan_once(step), b = run(cat), c = run(inspect);
        double d = r < OCCT_RUNS ? run(occt) : 1e9;
        if (a < 0 || b < 0 || c < 0 || d < 0) {
            fprintf(stderr, "a run failed (scanner %g, cat %g, inspect %g, OCCT %g)\n", a, b, c, d);
            return 1;
        }
        scan = fmin(scan, a), cat_s = fmin(cat_s, b), insp = fmin(insp, c), occt_s = fmin(occt_s, d);
    }
    printf("STEP metadata of a %.1f MB assembly (%d products), best of %d:\n", mb, fo.extra_parts + 8, RUNS);
    printf("  scanner %.0f MB/s (%.1f ms), cat > /dev/null %.0f MB/s (%.1f ms, a process): %.2fx of cat "
           "(goal: >= 500 MB/s)\n",
           mb / scan, scan * 1e3, mb / cat_s, cat_s * 1e3, cat_s / scan);
    printf("  cad inspect %.1f ms, OCCT read %.0f ms (processes, OCCT best of %d): %.0fx faster (goal >= 100x)\n",
           insp * 1e3, occt_s * 1e3, OCCT_RUNS, occt_s / insp);
    unlink(step), rmdir(dir);
    free(cat[2]), free(step);
    return 0;
}
