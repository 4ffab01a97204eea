#include "api/quota.h"

#include "core/quota.h"

#include <stdlib.h>

uint64_t pf_quota_left(const pf_app *app, uint64_t *used_out) {
    return pf_disk_quota_left(app->data_dir, app->disk_quota_bytes, used_out);
}

char *pf_quota_message(const pf_app *app, uint64_t used, const char *what) {
    return pf_disk_quota_message(app->disk_quota_bytes, used, what);
}

bool pf_quota_admit(const pf_app *app, const pf_request *req, pf_response *res) {
    uint64_t used;
    if (pf_quota_left(app, &used) > 0) return true;
    char *msg = pf_quota_message(app, used, "new work");
    pf_errors errs;
    pf_errors_init(&errs);
    pf_errors_add(&errs, PF_ELIMIT, "", "%s", msg);
    pf_respond_problem(res, 507, "Disk quota reached", msg, req->path, &errs);
    pf_errors_clear(&errs);
    free(msg);
    return false;
}
