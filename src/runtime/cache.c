#include "runtime/cache.h"

#include "core/json_text.h"
#include "core/mem.h"
#include "core/sha256.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A file value's digest is its content's; any other value's is that of
 * its canonical text. */
static json_t *digest_of(const json_t *value, pf_sha256_hasher *h) {
    const char *sha = json_string_value(json_object_get(value, "sha256"));
    if (sha) return json_string(sha);
    char *text = pf_json_text(value, true), hex[65];
    pf_sha256_hasher_hex(h, text, strlen(text), hex);
    free(text);
    return json_stringn_nocheck(hex, 64);
}

void pf_cache_probe_init(pf_cache_probe *p, const pf_module *m, const char *workflow_id, const char *node_id,
                         const json_t *params, const json_t *inputs, const json_t *depends, pf_sha256_hasher *h) {
    json_t *digests = json_object();
    const char *port;
    const json_t *value;
    json_object_foreach((json_t *)inputs, port, value) json_object_set_new(digests, port, digest_of(value, h));
    p->basis = json_object();
    json_object_set_new_nocheck(p->basis, "module_key", json_string(m->key));
    json_object_set_new_nocheck(p->basis, "module_version", json_string(m->version));
    json_object_set_nocheck(p->basis, "params", (json_t *)params);
    json_object_set_new_nocheck(p->basis, "inputs", digests);
    if (depends) json_object_set_nocheck(p->basis, "depends", (json_t *)depends);
    p->basis_text = pf_json_text(p->basis, true);
    pf_sha256_hasher_hex(h, p->basis_text, strlen(p->basis_text), p->key);
    const char *parts[] = {m->key, "@", workflow_id ? workflow_id : "", "/", node_id};
    p->slot = pf_concat(parts, 5); /* "<module>@<workflow>/<node>" */
}

void pf_cache_probe_free(pf_cache_probe *p) {
    json_decref(p->basis);
    free(p->basis_text);
    free(p->slot);
    p->basis = NULL;
    p->basis_text = NULL;
    p->slot = NULL;
}

/* Keys of a and b whose values differ, as a JSON array. */
static json_t *changed_keys(const json_t *a, const json_t *b) {
    json_t *out = json_array();
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)a, k, v) if (!json_equal(v, json_object_get(b, k)))
        json_array_append_new(out, json_string(k));
    json_object_foreach((json_t *)b, k, v) if (!json_object_get(a, k)) json_array_append_new(out, json_string(k));
    return out;
}

/* A cached file value whose file has gone cannot be reused. */
static bool files_exist(const json_t *outputs) {
    const char *port;
    const json_t *v;
    json_object_foreach((json_t *)outputs, port, v) {
        const char *path = json_string_value(json_object_get(v, "path"));
        if (path && json_object_get(v, "sha256") && access(path, R_OK) != 0) return false;
    }
    return true;
}

static json_t *verdict_of(bool hit, const char *reason, json_t *changed, const char *key) {
    /* Keys, reasons and the hex key are ASCII: jansson's UTF-8 checks are skipped. */
    json_t *v = json_object();
    json_object_set_new_nocheck(v, "hit", json_boolean(hit));
    if (reason) json_object_set_new_nocheck(v, "reason", json_stringn_nocheck(reason, strlen(reason)));
    if (changed) json_object_set_new_nocheck(v, "changed", changed);
    json_object_set_new_nocheck(v, "key", json_stringn_nocheck(key, strlen(key)));
    return v;
}

json_t *pf_cache_lookup(pf_store *s, const pf_cache_probe *p, json_t **outputs) {
    json_t *entry = NULL;
    bool exact = false;
    pf_error_free(pf_store_cache_find(s, p->key, p->slot, &entry, &exact));
    return pf_cache_judge(p, entry, exact, outputs);
}

json_t *pf_cache_judge(const pf_cache_probe *p, json_t *entry, bool exact, json_t **outputs) {
    *outputs = NULL;
    if (exact && files_exist(json_object_get(entry, "outputs"))) {
        *outputs = json_incref(json_object_get(entry, "outputs"));
        json_decref(entry);
        return verdict_of(true, NULL, NULL, p->key);
    }
    json_t *verdict;
    if (exact) {
        verdict = verdict_of(false, "artifact missing", NULL, p->key);
    } else if (!entry) {
        verdict = verdict_of(false, "no entry", NULL, p->key);
    } else {
        const json_t *old = json_object_get(entry, "basis");
        if (!json_equal(json_object_get(old, "module_version"), json_object_get(p->basis, "module_version")))
            verdict = verdict_of(false, "module version changed", NULL, p->key);
        else if (!json_equal(json_object_get(old, "params"), json_object_get(p->basis, "params")))
            verdict =
                verdict_of(false, "params changed",
                           changed_keys(json_object_get(old, "params"), json_object_get(p->basis, "params")), p->key);
        else if (!json_equal(json_object_get(old, "inputs"), json_object_get(p->basis, "inputs")))
            verdict =
                verdict_of(false, "input changed",
                           changed_keys(json_object_get(old, "inputs"), json_object_get(p->basis, "inputs")), p->key);
        else
            verdict =
                verdict_of(false, "dependencies changed",
                           changed_keys(json_object_get(old, "depends"), json_object_get(p->basis, "depends")), p->key);
    }
    json_decref(entry);
    return verdict;
}

char *pf_cache_entry_text(const pf_cache_probe *p, const json_t *outputs) {
    char *out = pf_json_text(outputs, false);
    const char *parts[] = {"{\"basis\":", p->basis_text, ",\"outputs\":", out, "}"};
    char *entry = pf_concat(parts, 5);
    free(out);
    return entry;
}
