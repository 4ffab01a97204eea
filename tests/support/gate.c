#include "support/gate.h"

#include "core/mem.h"
#include "core/path.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

/* A wrapper whose server died meanwhile (kill -9) ends instead of
 * rendering for nobody. Held, it says so as Cycles reports samples, so a
 * test sees a render's progress while it waits. */
static const char script[] = "#!/bin/sh\n"
                             "server=$PPID\n"
                             "[ -e \"$(dirname \"$0\")/gate\" ] && echo '| Sample 1/4 (held at the gate)' &&\n"
                             "  : > \"$(dirname \"$0\")/arrived.$$\"\n"
                             "while [ -e \"$(dirname \"$0\")/gate\" ]; do sleep 0.05; done\n"
                             "kill -0 \"$server\" 2>/dev/null || exit 1\n"
                             "exec blender \"$@\"\n";

void pf_test_gate_make(pf_test_gate *g, const char *dir) {
    g->blender = pf_asprintf("%s/gated-blender", dir);
    g->file = pf_asprintf("%s/gate", dir);
    g->dir = pf_strdup(dir);
    pf_error *err = pf_write_file_atomic(g->blender, script, strlen(script));
    if (err || chmod(g->blender, 0755) != 0) fprintf(stderr, "cannot write %s\n", g->blender);
    pf_error_free(err);
}

/* The renders that reached the gate since it closed: their arrived.PID files. */
static int arrivals(const pf_test_gate *g, bool remove) {
    DIR *d = opendir(g->dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strncmp(e->d_name, "arrived.", 8) == 0) {
            n++;
            if (remove) unlinkat(dirfd(d), e->d_name, 0);
        }
    if (d) closedir(d);
    return n;
}

void pf_test_gate_close(const pf_test_gate *g) {
    arrivals(g, true);
    pf_error_free(pf_write_file_atomic(g->file, "", 0));
}

/* inotify, watched before the first look, so an arrival between the look
 * and the wait is not missed. */
void pf_test_gate_wait(const pf_test_gate *g, int n) {
    int fd = inotify_init1(IN_CLOEXEC);
    if (fd < 0 || inotify_add_watch(fd, g->dir, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
        fprintf(stderr, "inotify on %s: %s\n", g->dir, strerror(errno));
        abort();
    }
    char events[4096];
    while (arrivals(g, false) < n)
        if (read(fd, events, sizeof events) < 0 && errno != EINTR) break;
    close(fd);
}
void pf_test_gate_open(const pf_test_gate *g) { unlink(g->file); }

void pf_test_gate_free(pf_test_gate *g) {
    free(g->blender);
    free(g->file);
    free(g->dir);
}
