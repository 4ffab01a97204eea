/* The installation's disk quota (prodflow serve --disk-quota): the bytes
 * of the regular files under the data directory. Uploads are refused
 * (507) when they would not fit; new work (a run, a dispatch, a re-run),
 * which writes artifacts, is refused once the quota is reached, so a full
 * installation stops growing while what runs already may finish. */
#ifndef PF_API_QUOTA_H
#define PF_API_QUOTA_H

#include "api/app.h"
#include "api/http.h"

#include <stdbool.h>
#include <stdint.h>

/* The bytes left under the quota: UINT64_MAX without one, 0 when it is
 * reached; *used_out (may be NULL) gets what the data directory holds. */
uint64_t pf_quota_left(const pf_app *app, uint64_t *used_out);
/* The answer for work that does not fit: "what" is the work ("this
 * upload", "a new run"). New string. */
char *pf_quota_message(const pf_app *app, uint64_t used, const char *what);
/* Whether new work may start; if not, a 507 problem is on res. */
bool pf_quota_admit(const pf_app *app, const pf_request *req, pf_response *res);

#endif
