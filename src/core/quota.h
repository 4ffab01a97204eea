/* The installation's disk quota (prodflow serve --disk-quota): the bytes
 * of the regular files under the data directory. The API refuses uploads
 * that would not fit and new work once it is reached (api/quota.h); the
 * runtime refuses to keep a node's outputs past it, so a run already going
 * when the quota fills up fails its node instead of writing on. */
#ifndef PF_CORE_QUOTA_H
#define PF_CORE_QUOTA_H

#include <stdint.h>

/* The bytes left under quota (0: none set, UINT64_MAX is returned); 0 when
 * it is reached. *used_out (may be NULL) gets what data_dir holds. */
uint64_t pf_disk_quota_left(const char *data_dir, uint64_t quota, uint64_t *used_out);
/* The sentence for work that does not fit: "what" names the work ("this
 * upload", "new work", "the outputs of node x"). New string. */
char *pf_disk_quota_message(uint64_t quota, uint64_t used, const char *what);

#endif
