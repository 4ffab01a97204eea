#include "support/gate.h"

#include "core/mem.h"
#include "core/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A wrapper whose server died meanwhile (kill -9) ends instead of
 * rendering for nobody. Held, it says so as Cycles reports samples, so a
 * test sees a render's progress while it waits. */
static const char script[] = "#!/bin/sh\n"
                             "server=$PPID\n"
                             "[ -e \"$(dirname \"$0\")/gate\" ] && echo '| Sample 1/4 (held at the gate)'\n"
                             "while [ -e \"$(dirname \"$0\")/gate\" ]; do sleep 0.05; done\n"
                             "kill -0 \"$server\" 2>/dev/null || exit 1\n"
                             "exec blender \"$@\"\n";

void pf_test_gate_make(pf_test_gate *g, const char *dir) {
    g->blender = pf_asprintf("%s/gated-blender", dir);
    g->file = pf_asprintf("%s/gate", dir);
    pf_error *err = pf_write_file_atomic(g->blender, script, strlen(script));
    if (err || chmod(g->blender, 0755) != 0) fprintf(stderr, "cannot write %s\n", g->blender);
    pf_error_free(err);
}

void pf_test_gate_close(const pf_test_gate *g) { pf_error_free(pf_write_file_atomic(g->file, "", 0)); }
void pf_test_gate_open(const pf_test_gate *g) { unlink(g->file); }

void pf_test_gate_free(pf_test_gate *g) {
    free(g->blender);
    free(g->file);
}
