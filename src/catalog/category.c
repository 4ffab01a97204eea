#include "catalog/category.h"

#include "core/mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

bool pf_catalog_key_ok(const char *key) {
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > 64 || !islower((unsigned char)key[0])) return false;
    for (size_t i = 1; i < n; i++)
        if (!islower((unsigned char)key[i]) && !isdigit((unsigned char)key[i]) && key[i] != '_') return false;
    return true;
}

/* key and name, and no field beyond those allowed. */
static void common(const json_t *doc, const char *what, const char *const *allowed, size_t n_allowed, const char *base,
                   pf_errors *errs) {
    if (pf_catalog_need(doc, "key", what, base, errs) &&
        !pf_catalog_key_ok(json_string_value(json_object_get(doc, "key")))) {
        char *ptr = pf_ptr_join(base, "key");
        pf_errors_add(errs, PF_EINVAL, ptr,
                      "a key is a lowercase letter, then lowercase letters, digits or _ (64 at most)");
        free(ptr);
    }
    pf_catalog_need(doc, "name", what, base, errs);
    const char *field;
    const json_t *v;
    json_object_foreach((json_t *)doc, field, v) {
        bool known = !strcmp(field, "created_at") || !strcmp(field, "updated_at") || !strcmp(field, "revision");
        for (size_t i = 0; i < n_allowed && !known; i++)
            known = strcmp(field, allowed[i]) == 0;
        if (known) continue;
        char *ptr = pf_ptr_join(base, field);
        pf_errors_add(errs, PF_EINVAL, ptr, "%s has no field \"%s\"", what, field);
        free(ptr);
    }
}

size_t pf_category_validate(const json_t *doc, const char *base, pf_errors *errs) {
    size_t before = errs->len;
    if (!json_is_object(doc)) {
        pf_errors_add(errs, PF_EINVAL, base, "a category is a JSON object");
        return 1;
    }
    static const char *const allowed[] = {"key", "name", "description"};
    common(doc, "a category", allowed, 3, base, errs);
    const json_t *d = json_object_get(doc, "description");
    if (d && !json_is_string(d)) {
        char *ptr = pf_ptr_join(base, "description");
        pf_errors_add(errs, PF_EINVAL, ptr, "a description is a string");
        free(ptr);
    }
    return errs->len - before;
}

size_t pf_pricing_tier_validate(const pf_catalog *c, const json_t *doc, const char *base, pf_errors *errs) {
    size_t before = errs->len;
    if (!json_is_object(doc)) {
        pf_errors_add(errs, PF_EINVAL, base, "a pricing tier is a JSON object");
        return 1;
    }
    static const char *const allowed[] = {"key", "name", "currency", "prices"};
    common(doc, "a pricing tier", allowed, 4, base, errs);
    const char *currency = json_string_value(json_object_get(doc, "currency"));
    bool iso = currency && strlen(currency) == 3;
    for (size_t i = 0; iso && i < 3; i++)
        iso = isupper((unsigned char)currency[i]);
    if (!iso) {
        char *ptr = pf_ptr_join(base, "currency");
        pf_errors_add(errs, PF_EINVAL, ptr, "a currency is an ISO 4217 code such as \"EUR\"");
        free(ptr);
    }
    const json_t *prices = json_object_get(doc, "prices");
    char *pbase = pf_ptr_join(base, "prices");
    if (!json_is_object(prices) || !json_object_size(prices))
        pf_errors_add(errs, PF_EINVAL, pbase,
                      "a pricing tier prices at least one artifact kind: {\"still_image\": 25}");
    const char *kind;
    const json_t *price;
    json_object_foreach((json_t *)prices, kind, price) {
        char *ptr = pf_ptr_join(pbase, kind);
        if (!pf_contract_artifact_kind(&c->registry->contract, kind))
            pf_errors_add(errs, PF_EINVAL, ptr, "\"%s\" is not an artifact kind", kind);
        else if (!json_is_number(price) || json_number_value(price) < 0)
            pf_errors_add(errs, PF_EINVAL, ptr, "a unit price is a number of at least 0");
        free(ptr);
    }
    free(pbase);
    return errs->len - before;
}
