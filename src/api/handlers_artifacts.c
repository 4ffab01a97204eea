/* Artifacts: download with byte ranges (video players seek with them). */
#include "api/router.h"

#include "core/mem.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
        pf_respond_error(res, req, err);
        pf_error_free(err);
        json_decref(meta);
        return;
    }
    const char *type = json_string_value(json_object_get(meta, "media_type"));
    pf_respond_file(res, req, fd, (uint64_t)st.st_size, type ? type : "application/octet-stream",
                    json_string_value(json_object_get(meta, "sha256")));
    json_decref(meta);
}
