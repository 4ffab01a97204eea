#include "api/quota.h"

#include "core/mem.h"
#include "core/path.h"

#include <stdlib.h>

uint64_t pf_quota_left(const pf_app *app, uint64_t *used_out) {
    uint64_t quota = app->disk_quota_bytes;
    uint64_t used = quota ? pf_tree_bytes(app->data_dir) : 0;
    if (used_out) *used_out = used;
    if (!quota) return UINT64_MAX;
    return used >= quota ? 0 : quota - used;
}

char *pf_quota_message(const pf_app *app, uint64_t used, const char *what) {
    return pf_asprintf("the installation is at its disk quota of %llu bytes (prodflow serve --disk-quota): %llu bytes "
                       "are used and %s does not fit; delete what is not needed or raise the quota",
                       (unsigned long long)app->disk_quota_bytes, (unsigned long long)used, what);
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
