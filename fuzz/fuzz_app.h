/* What the targets that need a real application share (fuzz_upload.c,
 * fuzz_api.c): a throwaway data directory and a pf_app opened on it the
 * way `prodflow serve` opens one, minus anything that starts long work. */
#ifndef PF_FUZZ_APP_H
#define PF_FUZZ_APP_H

#include "api/app.h"
#include "core/log.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void fuzz_rm_tree(const char *dir) { nftw(dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS); }

/* A new directory named after the target and this process, on tmpfs when
 * there is one: SQLite and the atomic file writes fsync, which on a disk
 * would make every execution wait for it. The caller removes it
 * (fuzz_rm_tree); after a crash fuzz/run removes it, knowing by the pid
 * that its process is gone. */
static char *fuzz_temp_dir(const char *target) {
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    size_t n = strlen(base) + strlen(target) + 40;
    char *dir = malloc(n);
    snprintf(dir, n, "%s/pf-%s-%ld-XXXXXX", base, target, (long)getpid());
    if (!mkdtemp(dir)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    return dir;
}

/* The application on data_dir: demo catalog, no resumed runs, no warm
 * Blender, one runtime thread (nothing here submits runs to it). */
static pf_app *fuzz_app_open(const char *data_dir) {
    static bool quiet;
    if (!quiet) { /* the store and the seed log at INFO; only problems matter here */
        pf_log_init(stderr, PF_LOG_ERROR);
        quiet = true;
    }
    pf_app_config cfg = {.data_dir = data_dir,
                         .share_dir = PF_SHARE_DIR,
                         .max_body_bytes = 1u << 20,
                         .max_upload_bytes = 1u << 20,
                         .blender_workers = 0,
                         .run_workers = 1,
                         .resume_runs = false,
                         .demo_data = true};
    pf_errors errs;
    pf_errors_init(&errs);
    pf_app *app = pf_app_open(&cfg, &errs);
    if (!app) {
        fprintf(stderr, "fuzz: the app does not open on %s: %s\n", data_dir, errs.len ? errs.items[0].message : "?");
        abort();
    }
    pf_errors_clear(&errs);
    return app;
}

#endif
