#include "support/json_ops.h"

json_t *pf_test_json_patched(const char *base, const char *patch) {
    json_t *doc = json_loads(base, 0, NULL), *p = json_loads(patch, 0, NULL);
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v) {
        if (json_is_null(v))
            json_object_del(doc, k);
        else
            json_object_set(doc, k, v);
    }
    json_decref(p);
    return doc;
}
