#include "support/upload.h"

#include "cad/fixture.h"
#include "check.h"
#include "core/json.h"
#include "core/mem.h"
#include "core/path.h"

#include <stdlib.h>

char *pf_test_upload_pump(const pf_test_server *srv, const char *dir, const char *name) {
    char *step = pf_asprintf("%s/%s.step", dir, name);
    pf_fixture_opts fo = {.bolts = 2};
    pf_error *err = pf_cad_make_fixture(step, &fo);
    CHECK(err == NULL);
    pf_error_free(err);
    char *bytes = NULL, *path = pf_asprintf("/api/cad-files?filename=%s.step", name);
    size_t n = 0;
    pf_error_free(pf_read_file(step, 1u << 24, &bytes, &n));
    pf_http_reply up;
    char *id = NULL;
    if (pf_http(srv, "POST", path, bytes, n, "application/octet-stream", &up) == 0) {
        CHECK_MSG(up.status == 201, "uploading %s.step: %ld", name, up.status);
        id = pf_strdup(pf_json_str(up.json, "id") ? pf_json_str(up.json, "id") : "");
        pf_http_reply_free(&up);
    }
    free(path);
    free(bytes);
    free(step);
    return id ? id : pf_strdup("");
}
