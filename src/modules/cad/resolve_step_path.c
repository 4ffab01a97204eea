/* cad.resolve_step_path: the cad_file family's entry. It confines the path
 * to the data root, sniffs the ISO-10303-21 header and fingerprints the file. */
#include "modules/module.h"

#include "cad/step_sniff.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Reads the first bytes: STEP Part 21 files start with the magic. */
static pf_error *sniff_step(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return pf_error_new(PF_EIO, "/params/path", "cannot open %s: %s", path, strerror(errno));
    char head[PF_STEP_SNIFF_BYTES];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n == 0) return pf_error_new(PF_EINVAL, "/params/path", "%s is empty, not a STEP file", path);
    if (!pf_step_sniff(head, n))
        return pf_error_new(PF_EINVAL, "/params/path",
                            "%s is not a STEP file: it does not start with the ISO-10303-21 header", path);
    return NULL;
}

/* The CLI names files by absolute path: one under the data root is taken
 * as the path below it; any other stays absolute, and the confinement
 * refuses it. */
static size_t root_prefix(const char *root, const char *path) {
    char real_root[PATH_MAX];
    const char *roots[] = {root, realpath(root, real_root) ? real_root : root};
    for (size_t i = 0; path[0] == '/' && i < 2; i++) {
        size_t n = strlen(roots[i]);
        while (n > 0 && roots[i][n - 1] == '/')
            n--;
        if (strncmp(path, roots[i], n) == 0 && path[n] == '/') return n + 1;
    }
    return 0;
}

/* The param's path, or else the context's step_path, confined to the data
 * root; *pointer names where it came from. */
static pf_error *confined_path(const pf_module_ctx *ctx, const json_t *params, const char **pointer, char **given,
                               char **resolved) {
    const json_t *value = json_object_get(params, "path");
    *pointer = "/params/path";
    if (!json_string_length(value)) {
        value = json_object_get(ctx->context, "step_path");
        *pointer = "/context/step_path";
    }
    if (!json_string_length(value))
        return pf_error_new(PF_EINVAL, "/params/path", "no STEP path: set the path param or the context's step_path");
    const char *path = json_string_value(value);
    size_t skip = root_prefix(ctx->data_root, path);
    pf_error *err = pf_path_confine(ctx->data_root, path + skip, json_string_length(value) - skip, *pointer, resolved);
    *given = err ? NULL : pf_strdup(path);
    return err;
}

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    (void)inputs;
    const char *pointer = NULL;
    char *path = NULL, *confined = NULL, *resolved = NULL;
    pf_error *err = confined_path(ctx, params, &pointer, &path, &confined);
    if (err) return err;
    /* Links leaving the root are refused above; links inside it are
     * accepted only on request, since they defeat content tracking. */
    struct stat st;
    bool is_link = lstat(confined, &st) == 0 && S_ISLNK(st.st_mode);
    char real[PATH_MAX];
    if (!realpath(confined, real)) {
        err = errno == ENOENT ? pf_error_new(PF_ENOTFOUND, pointer, "%s does not exist", path)
                              : pf_error_new(PF_EIO, pointer, "cannot resolve %s: %s", path, strerror(errno));
        goto out;
    }
    resolved = pf_strdup(real);
    if (is_link && !json_is_true(json_object_get(params, "allow_symlinks"))) {
        err = pf_error_new(PF_EINVAL, pointer, "%s is a symbolic link; set allow_symlinks to accept it", path);
        goto out;
    }
    if (stat(resolved, &st) != 0 || !S_ISREG(st.st_mode)) {
        err = pf_error_new(PF_EINVAL, pointer, "%s is not a regular file", path);
        goto out;
    }
    json_int_t max_bytes = json_integer_value(json_object_get(params, "max_bytes"));
    if (max_bytes > 0 && st.st_size > max_bytes) {
        err = pf_error_new(PF_ETOOLARGE, pointer, "%s is %lld bytes, over the limit of %lld", path,
                           (long long)st.st_size, (long long)max_bytes);
        goto out;
    }
    if ((err = sniff_step(resolved))) goto out;
    char digest[65];
    uint64_t size = 0;
    if ((err = pf_sha256_file(resolved, digest, &size))) goto out;
    *outputs = json_pack("{s:{s:s, s:s, s:I, s:s}}", "step", "path", resolved, "sha256", digest, "size",
                         (json_int_t)size, "media_type", "model/step");
out:
    free(resolved);
    free(confined);
    free(path);
    return err;
}

PF_MODULE(cad, resolve_step_path, .execute = execute);
