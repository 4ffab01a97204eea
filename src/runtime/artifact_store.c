#include "runtime/artifact_store.h"

#include "core/mem.h"
#include "core/path.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *pf_artifact_store_path(const char *data_dir, const char *sha256) {
    return pf_asprintf("%s/artifacts/sha256/%.2s/%s", data_dir, sha256, sha256);
}

static bool is_digest(const char *s) {
    if (!s || strlen(s) != 64) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    return true;
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
        if (!err) err = pf_copy_file_atomic(src, dst);
    }
    free(dir);
    if (err)
        free(dst);
    else
        *stored_path = dst;
    return err;
}
