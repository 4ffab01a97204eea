#include "runtime/artifact_store.h"

#include "core/mem.h"
#include "core/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *pf_artifact_store_path(const char *data_dir, const char *sha256) {
    return pf_asprintf("%s/artifacts/sha256/%.2s/%s", data_dir, sha256, sha256);
}

static bool is_digest(const char *s) {
    if (!s || strlen(s) != 64) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    return true;
}

/* Streams src into a temp file beside dst, fsyncs and renames it. */
static pf_error *copy_atomically(const char *src, const char *dst) {
    char *tmp = pf_asprintf("%s.XXXXXX", dst);
    int out = mkstemp(tmp), in = open(src, O_RDONLY | O_CLOEXEC);
    pf_error *err = NULL;
    if (out < 0 || in < 0) err = pf_error_new(PF_EIO, "", "cannot copy %s into the artifact store: %s", src, strerror(errno));
    char buf[1 << 16];
    for (ssize_t n; !err && (n = read(in, buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || write(out, buf, (size_t)n) != n)
            err = pf_error_new(PF_EIO, "", "cannot copy %s into the artifact store: %s", src, strerror(errno));
    }
    if (!err && fsync(out) != 0) err = pf_error_new(PF_EIO, "", "cannot sync %s: %s", tmp, strerror(errno));
    if (out >= 0) close(out);
    if (in >= 0) close(in);
    if (!err && rename(tmp, dst) != 0) err = pf_error_new(PF_EIO, "", "cannot place %s: %s", dst, strerror(errno));
    if (err) unlink(tmp);
    free(tmp);
    return err;
}

pf_error *pf_artifact_store_put(const char *data_dir, const char *src, const char *sha256, char **stored_path) {
    *stored_path = NULL;
    if (!is_digest(sha256)) return pf_error_new(PF_EINVAL, "", "\"%s\" is not a sha256 digest", sha256 ? sha256 : "");
    char *dst = pf_artifact_store_path(data_dir, sha256);
    char *dir = pf_strndup(dst, strlen(dst) - 65);
    struct stat st;
    pf_error *err = NULL;
    if (stat(dst, &st) != 0) { /* content-addressed: an existing file is this content */
        err = pf_mkdirs(dir, 0755);
        if (!err) err = copy_atomically(src, dst);
    }
    free(dir);
    if (err)
        free(dst);
    else
        *stored_path = dst;
    return err;
}
