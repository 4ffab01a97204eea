/* cad.resolve_step_path: the cad_file family's entry. It confines the path
 * to the data root, sniffs the ISO-10303-21 header and fingerprints the file. */
#include "modules/module.h"

#include "cad/step_sniff.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
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

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    (void)inputs;
    const char *path = json_string_value(json_object_get(params, "path"));
    const char *pointer = "/params/path";
    if (!path || !*path) {
        path = json_string_value(json_object_get(ctx->context, "step_path"));
        pointer = "/context/step_path";
    }
    if (!path || !*path)
        return pf_error_new(PF_EINVAL, "/params/path", "no STEP path: set the path param or the context's step_path");
    char *resolved = NULL;
    pf_error *err = pf_path_resolve_within(ctx->data_root, path, &resolved);
    if (err) {
        free(err->pointer);
        err->pointer = pf_strdup(pointer);
        return err;
    }
    /* The resolver already refuses links leaving the root; links inside it
     * are accepted only on request, since they defeat content tracking. */
    struct stat st;
    char *given = path[0] == '/' ? pf_strdup(path) : pf_asprintf("%s/%s", ctx->data_root, path);
    bool is_link = lstat(given, &st) == 0 && S_ISLNK(st.st_mode);
    free(given);
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
    return err;
}

const pf_module_desc pf_module_cad_resolve_step_path = {
    .key = "cad.resolve_step_path",
    .contract_path = "modules/cad/resolve_step_path.json",
    .execute = execute,
};
