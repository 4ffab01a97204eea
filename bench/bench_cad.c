/* STEP metadata: the streaming scanner against OCCT's reader on the same
 * file, in one run, as a ratio. */
#include "cad/cad_kernel.h"
#include "cad/step_scanner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "/usr/share/opencascade/data/step/linkrods.step";
    enum { RUNS = 9 }; /* best of: a first read of the file is slower */
    double scan = 1e9, occt = 1e9;
    for (int r = 0; r < RUNS; r++) {
        double t = now_s();
        pf_step_summary *s = NULL;
        pf_error *err = pf_step_scan_file(path, &s);
        scan = fmin(scan, now_s() - t);
        if (err) {
            fprintf(stderr, "%s\n", err->message);
            return 1;
        }
        pf_step_summary_free(s);
        t = now_s();
        pf_cad_doc *doc = NULL;
        if (pf_cad_open_step(path, NULL, &doc) != PF_CAD_OK) {
            fprintf(stderr, "%s\n", pf_cad_last_error());
            return 1;
        }
        occt = fmin(occt, now_s() - t);
        pf_cad_close(doc);
    }
    printf("STEP metadata of %s: scanner %.1f ms, OCCT reader %.1f ms (best of %d): %.0fx faster (goal >= 50x)\n", path,
           scan * 1e3, occt * 1e3, RUNS, occt / scan);
    return 0;
}
