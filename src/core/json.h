/* Small JSON helpers over jansson, shared by every layer. */
#ifndef PF_CORE_JSON_H
#define PF_CORE_JSON_H

#include <jansson.h>
#include <stdbool.h>

/* The string member k of object o; NULL when o is not an object, or k is
 * missing or not a string. Borrowed: valid while o holds it. */
static inline const char *pf_json_str(const json_t *o, const char *k) {
    return json_string_value(json_object_get(o, k));
}

/* Deep JSON equality where 1 and 1.0 are equal, as JSON Schema requires
 * (jansson's json_equal tells an integer from a real). */
bool pf_json_equal(const json_t *a, const json_t *b);

#endif
