#include "runtime/artifact_store.h"

#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *pf_artifact_store_path(const char *data_dir, const char *sha256) {
    return pf_asprintf("%s/artifacts/sha256/%.2s/%s", data_dir, sha256, sha256);
}

bool pf_artifact_is_digest(const char *s) { return pf_sha256_is_hex(s); }

/* A source that is itself named by its digest inside the data directory (a
 * CAD upload kept as DATA/cad/<digest>.step) never changes: the store gets
 * a hard link to it rather than a second copy of its bytes. link() makes
 * the name atomically; if the name exists, it is this content already. */
static bool link_content_addressed(const char *data_dir, const char *src, const char *sha256, const char *dst) {
    const char *base = strrchr(src, '/');
    base = base ? base + 1 : src;
    if (strncmp(base, sha256, 64) != 0) return false;
    char real_dir[PATH_MAX], real_src[PATH_MAX];
    if (!realpath(data_dir, real_dir) || !realpath(src, real_src)) return false;
    size_t n = strlen(real_dir);
    if (strncmp(real_src, real_dir, n) != 0 || real_src[n] != '/') return false;
    return link(real_src, dst) == 0 || errno == EEXIST;
}

pf_error *pf_artifact_store_put(const char *data_dir, const char *src, const char *sha256, char **stored_path) {
    *stored_path = NULL;
    if (!pf_artifact_is_digest(sha256))
        return pf_error_new(PF_EINVAL, "", "\"%s\" is not a sha256 digest", sha256 ? sha256 : "");
    char *dst = pf_artifact_store_path(data_dir, sha256);
    char *dir = pf_strndup(dst, strlen(dst) - 65);
    struct stat st;
    pf_error *err = NULL;
    if (stat(dst, &st) != 0) { /* content-addressed: an existing file is this content */
        err = pf_mkdirs(dir, 0755);
        if (!err && !link_content_addressed(data_dir, src, sha256, dst)) err = pf_copy_file_atomic(src, dst);
    }
    free(dir);
    if (err)
        free(dst);
    else
        *stored_path = dst;
    return err;
}

pf_error *pf_artifact_store_adopt(const char *data_dir, const char *src, const char *sha256) {
    if (!pf_artifact_is_digest(sha256)) return pf_error_new(PF_EINVAL, "", "\"%s\" is not a sha256 digest", sha256);
    char *dst = pf_artifact_store_path(data_dir, sha256);
    char *dir = pf_strndup(dst, strlen(dst) - 65);
    struct stat st;
    pf_error *err = NULL;
    if (stat(dst, &st) != 0) {
        err = pf_mkdirs(dir, 0755);
        /* Durable before it has its name: a crash never leaves a short file under a digest. */
        int fd = err ? -1 : open(src, O_RDONLY | O_CLOEXEC);
        if (!err && (fd < 0 || fsync(fd) != 0))
            err = pf_error_new(PF_EIO, "", "cannot store the artifact %.12s: %s", sha256, strerror(errno));
        if (fd >= 0) close(fd);
        if (!err && rename(src, dst) != 0)
            err = pf_error_new(PF_EIO, "", "cannot store the artifact %.12s: %s", sha256, strerror(errno));
    }
    free(dir);
    free(dst);
    return err;
}
