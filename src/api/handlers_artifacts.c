/* Artifacts: download with byte ranges (video players seek with them). */
#include "api/router.h"

#include "api/links.h"
#include "api/upload.h"
#include "core/json.h"
#include "core/mem.h"
#include "core/path.h"
#include "runtime/artifact_store.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void pf_handle_artifact_get(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *meta = NULL;
    pf_error *err = pf_store_artifact_get(app->store, pf_request_param(req, "id"), &meta);
    const char *path = json_string_value(json_object_get(meta, "path"));
    int fd = err || !path ? -1 : open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (!err && (fd < 0 || fstat(fd, &st) != 0))
        err = pf_error_new(PF_ENOTFOUND, "", "the file of artifact %s is gone", pf_request_param(req, "id"));
    if (err) {
        if (fd >= 0) close(fd);
        pf_respond_error_take(res, req, err);
        json_decref(meta);
        return;
    }
    const char *type = json_string_value(json_object_get(meta, "media_type"));
    pf_respond_file(res, req, fd, (uint64_t)st.st_size, type ? type : "application/octet-stream",
                    json_string_value(json_object_get(meta, "sha256")));
    json_decref(meta);
}

/* GET /api/artifacts/sha256/{digest}: a stored file by its content, for
 * workers fetching a task's inputs. */
void pf_handle_artifact_blob_get(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *digest = pf_request_param(req, "digest");
    pf_error *err = pf_artifact_is_digest(digest)
                        ? NULL
                        : pf_error_new(PF_EINVAL, "/path/digest", "the digest is 64 lower-case hex digits");
    char *path = err ? NULL : pf_artifact_store_path(app->data_dir, digest);
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    struct stat st;
    if (!err && (fd < 0 || fstat(fd, &st) != 0))
        err = pf_error_new(PF_ENOTFOUND, "/path/digest", "no artifact has the digest %s", digest);
    free(path);
    if (err) {
        if (fd >= 0) close(fd);
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_file(res, req, fd, (uint64_t)st.st_size, "application/octet-stream", digest);
}

/* PUT /api/artifacts/sha256/{digest}: a worker's output, streamed to disk
 * and hashed on arrival; kept only when its digest is the one named. */
void pf_handle_artifact_blob_put(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *digest = pf_request_param(req, "digest");
    const pf_upload *up = req->upload;
    pf_error *err = NULL;
    if (!pf_artifact_is_digest(digest))
        err = pf_error_new(PF_EINVAL, "/path/digest", "the digest is 64 lower-case hex digits");
    else if (!up || strcmp(up->sha256, digest) != 0)
        err = pf_error_new(PF_EINVAL, "/body", "the body's SHA-256 is %s, not the digest %s named in the path",
                           up ? up->sha256 : "(none)", digest);
    else
        err = pf_artifact_store_adopt(app->data_dir, up->path, digest);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_json(res, 201, json_pack("{s:s, s:I}", "sha256", digest, "size", (json_int_t)up->size));
}

/* GET /api/shared/{id}?expires=&sig=: a published asset through the signed
 * link /api/assets handed out, for a customer without a token (the route
 * is anonymous: the signature is the credential). */
void pf_handle_shared_asset_get(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *id = pf_request_param(req, "id"), *pointer = NULL, *message = NULL;
    char *path = pf_asprintf("/api/shared/%s", id);
    int refused = pf_link_check(app->link_key, path, req->query(req, "expires"), req->query(req, "sig"),
                                (long long)time(NULL), &pointer, &message);
    free(path);
    if (refused) {
        pf_errors errs;
        pf_errors_init(&errs);
        pf_errors_add(&errs, PF_EFORBIDDEN, pointer, "%s", message);
        pf_respond_problem(res, refused, NULL, message, req->path, &errs);
        pf_errors_clear(&errs);
        return;
    }
    json_t *list = NULL, *asset = NULL;
    pf_error *err = pf_store_asset_list(app->store, NULL, &list);
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a) if (!asset && pf_json_str(a, "id") && strcmp(pf_json_str(a, "id"), id) == 0) asset =
        a;
    /* Published files live under DATA/assets; the asset names one there. */
    char *root = pf_asprintf("%s/assets", app->data_dir), *resolved = NULL;
    const char *file = pf_json_str(asset, "published_path");
    size_t n = strlen(root);
    if (file && strncmp(file, root, n) == 0 && file[n] == '/')
        file += n + 1;
    else if (file && strncmp(file, "assets/", 7) == 0)
        file += 7; /* relative to the data directory */
    int fd = -1;
    if (!err && asset && file && !json_is_true(json_object_get(asset, "shadow")) &&
        !(err = pf_path_resolve_within(root, file, &resolved)))
        fd = open(resolved, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (!err && (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        if (fd >= 0) close(fd);
        fd = -1;
        err = pf_error_new(PF_ENOTFOUND, "", "this deliverable is no longer available");
    }
    if (err) {
        pf_error *shown =
            pf_error_new(err->code == PF_EIO ? PF_EIO : PF_ENOTFOUND, "", "this deliverable is no longer available");
        pf_respond_error_take(res, req, shown);
        pf_error_free(err);
    } else {
        pf_respond_file(res, req, fd, (uint64_t)st.st_size, pf_json_str(asset, "media_type"),
                        pf_json_str(asset, "sha256"));
    }
    free(resolved);
    free(root);
    json_decref(list);
}
