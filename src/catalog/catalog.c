#include "catalog/catalog.h"

#include "core/mem.h"

#include <stdlib.h>

bool pf_catalog_need(const json_t *doc, const char *field, const char *what, const char *base, pf_errors *errs) {
    const char *s = json_string_value(json_object_get(doc, field));
    if (s && *s) return true;
    char *ptr = pf_ptr_join(base, field);
    pf_errors_add(errs, PF_EINVAL, ptr, "%s needs its %s", what, field);
    free(ptr);
    return false;
}

json_t *pf_catalog_keys(pf_store *store, const char *kind) {
    json_t *list = NULL, *keys = json_array();
    pf_error_free(pf_store_item_list(store, kind, &list));
    size_t i;
    const json_t *item;
    json_array_foreach(list, i, item) json_array_append(keys, json_object_get(item, "key"));
    json_decref(list);
    return keys;
}
