#include "core/quota.h"

#include "core/mem.h"
#include "core/path.h"

uint64_t pf_disk_quota_left(const char *data_dir, uint64_t quota, uint64_t *used_out) {
    uint64_t used = quota ? pf_tree_bytes(data_dir) : 0;
    if (used_out) *used_out = used;
    if (!quota) return UINT64_MAX;
    return used >= quota ? 0 : quota - used;
}

char *pf_disk_quota_message(uint64_t quota, uint64_t used, const char *what) {
    return pf_asprintf("the installation is at its disk quota of %llu bytes (prodflow serve --disk-quota): %llu bytes "
                       "are used and %s does not fit; delete what is not needed or raise the quota",
                       (unsigned long long)quota, (unsigned long long)used, what);
}
