#include "support/procs.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_zombie(const char *pid) {
    char path[300], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close_paren = strrchr(buf, ')');
    return !close_paren || close_paren[2] == 'Z';
}

size_t pf_test_procs_with(const char *marker, pid_t *pids, size_t max) {
    DIR *d = opendir("/proc");
    size_t found = 0;
    if (!d) return 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!isdigit((unsigned char)e->d_name[0])) continue;
        char path[300], argv[8192];
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(argv, 1, sizeof argv - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (argv[i] == '\0') argv[i] = ' ';
        argv[n] = '\0';
        if (!strstr(argv, marker) || is_zombie(e->d_name)) continue;
        if (found < max) pids[found] = (pid_t)atoi(e->d_name);
        found++;
    }
    closedir(d);
    return found;
}

long pf_test_threads_of(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %ld", &n) == 1) break;
    if (f) fclose(f);
    return n;
}
