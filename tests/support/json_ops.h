/* JSON helpers for table-driven tests. */
#ifndef PF_TESTS_JSON_OPS_H
#define PF_TESTS_JSON_OPS_H

#include <jansson.h>

/* base (JSON text) with patch's top-level fields set, or deleted where
 * patch gives null, as a JSON merge patch one level deep. New reference. */
json_t *pf_test_json_patched(const char *base, const char *patch);

#endif
