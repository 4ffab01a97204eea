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

/* Parses "bytes=a-b", "bytes=a-" or "bytes=-n" against size; false when the
 * range cannot be satisfied. Several ranges are not offered. */
static bool parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *len) {
    unsigned long long a = 0, b = 0;
    if (strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') || size == 0) return false;
    h += 6;
    if (*h == '-') {
        if (sscanf(h + 1, "%llu", &b) != 1 || b == 0) return false;
        *from = b >= size ? 0 : size - b;
        *len = size - *from;
        return true;
    }
    int n = sscanf(h, "%llu-%llu", &a, &b);
    if (n < 1 || a >= size || (n == 2 && b < a)) return false;
    uint64_t last = n == 2 && b < size ? b : size - 1;
    *from = a;
    *len = last - a + 1;
    return true;
}

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
    uint64_t size = (uint64_t)st.st_size, from = 0, len = size;
    const char *range = req->header(req, "Range");
    res->headers = json_pack(
        "{s:s, s:s}", "Accept-Ranges", "bytes", "ETag",
        json_string_value(json_object_get(meta, "sha256")) ? json_string_value(json_object_get(meta, "sha256")) : "");
    res->content_type = "application/octet-stream";
    static const char *const media[] = {"image/png",         "image/webp",       "video/mp4",
                                        "model/gltf-binary", "application/json", "application/x-blender",
                                        "text/plain"};
    const char *type = json_string_value(json_object_get(meta, "media_type"));
    for (size_t i = 0; type && i < sizeof media / sizeof *media; i++)
        if (strcmp(type, media[i]) == 0) res->content_type = media[i];
    if (range && !parse_range(range, size, &from, &len)) {
        close(fd);
        json_object_set_new(res->headers, "Content-Range", json_sprintf("bytes */%" PRIu64, size));
        pf_respond_text(res, 416, "text/plain", pf_strdup("range not satisfiable\n"), 22);
        json_decref(meta);
        return;
    }
    if (range)
        json_object_set_new(res->headers, "Content-Range",
                            json_sprintf("bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, from, from + len - 1, size));
    res->status = range ? 206 : 200;
    res->has_file = true;
    res->file_fd = fd;
    res->file_offset = from;
    res->file_length = len;
    json_decref(meta);
}
