#include "contract/contract.h"

#include "core/embed.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

pf_error *pf_contract_embedded_json(const char *path, json_t **doc_out) {
    *doc_out = NULL;
    const pf_embedded_file *f = pf_embed_find(path);
    if (!f) return pf_error_new(PF_EINTERNAL, "", "embedded file %s is missing from the build", path);
    json_error_t jerr;
    *doc_out = json_loadb(f->data, f->size, 0, &jerr);
    if (!*doc_out) return pf_error_new(PF_EINTERNAL, "", "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    return NULL;
}

static const json_t *find_keyed(const json_t *arr, const char *key) {
    size_t i;
    const json_t *item;
    json_array_foreach(arr, i, item) {
        const char *k = json_string_value(json_object_get(item, "key"));
        if (k && strcmp(k, key) == 0) return item;
    }
    return NULL;
}

pf_error *pf_contract_load(pf_contract *out, const json_t *extra_families) {
    memset(out, 0, sizeof *out);
    pf_error *err = pf_contract_embedded_json("contract/vocabulary.json", &out->vocabulary);
    if (!err) err = pf_contract_embedded_json("contract/families.json", &out->families_doc);
    if (!err) err = pf_contract_embedded_json("contract/workflow.schema.json", &out->workflow_schema);
    if (err) {
        pf_contract_free(out);
        return err;
    }
    out->workflow_compiled = pf_schema_compile(out->workflow_schema);
    size_t k;
    const json_t *extra;
    json_array_foreach(extra_families, k, extra)
        json_array_append_new(json_object_get(out->families_doc, "families"), json_deep_copy(extra));
    const json_t *fams = json_object_get(out->families_doc, "families");
    out->n_families = json_array_size(fams);
    out->families = pf_xcalloc(out->n_families, sizeof *out->families);
    for (size_t i = 0; i < out->n_families; i++) {
        const json_t *f = json_array_get(fams, i);
        pf_family *fam = &out->families[i];
        fam->doc = f;
        fam->key = json_string_value(json_object_get(f, "key"));
        fam->entry_step = json_string_value(json_object_get(f, "entry_step"));
        fam->palette = json_object_get(f, "palette");
        fam->artifact_kinds = json_object_get(f, "artifact_kinds");
        fam->context_schema = json_object_get(f, "context_schema");
        fam->order_context = json_object_get(f, "order_context");
        fam->rollouts = json_object_get(f, "rollouts");
        fam->preflight = json_object_get(f, "preflight");
        if (!fam->key || !fam->entry_step || !json_is_array(fam->palette) || !json_is_array(fam->artifact_kinds)) {
            pf_contract_free(out);
            return pf_error_new(PF_EINTERNAL, "", "contract/families.json: family %zu is incomplete", i);
        }
        /* Preflight checks are {id, description}: code dispatches on the id. */
        size_t k;
        const json_t *check;
        json_array_foreach(fam->preflight, k, check) {
            if (json_is_string(json_object_get(check, "id")) && json_is_string(json_object_get(check, "description")))
                continue;
            pf_error *e = pf_error_new(
                PF_EINTERNAL, "", "contract/families.json: family %s: preflight check %zu is not {id, description}",
                fam->key, k);
            pf_contract_free(out);
            return e;
        }
    }
    return NULL;
}

void pf_contract_free(pf_contract *c) {
    free(c->families);
    json_decref(c->families_doc);
    pf_schema_free(c->workflow_compiled);
    json_decref(c->workflow_schema);
    json_decref(c->vocabulary);
    memset(c, 0, sizeof *c);
}

const pf_family *pf_contract_family(const pf_contract *c, const char *key) {
    for (size_t i = 0; i < c->n_families; i++)
        if (strcmp(c->families[i].key, key) == 0) return &c->families[i];
    return NULL;
}

static bool array_has_string(const json_t *arr, const char *s) {
    size_t i;
    const json_t *item;
    json_array_foreach(arr, i, item) {
        const char *v = json_string_value(item);
        if (v && strcmp(v, s) == 0) return true;
    }
    return false;
}

bool pf_family_allows_step(const pf_family *f, const char *step) { return array_has_string(f->palette, step); }

bool pf_contract_admit_step(pf_contract *c, const char *family, const char *step) {
    for (size_t i = 0; i < c->n_families; i++) {
        if (strcmp(c->families[i].key, family) != 0) continue;
        /* The palette belongs to families_doc, which c owns. */
        json_t *palette = json_object_get(json_array_get(json_object_get(c->families_doc, "families"), i), "palette");
        if (!pf_family_allows_step(&c->families[i], step)) json_array_append_new(palette, json_string(step));
        return true;
    }
    return false;
}
bool pf_family_delivers_kind(const pf_family *f, const char *kind) { return array_has_string(f->artifact_kinds, kind); }

bool pf_family_allows_rollout(const pf_family *f, const char *rollout) {
    return !json_is_array(f->rollouts) || array_has_string(f->rollouts, rollout);
}

/* "/a/b" into doc: plain member names (no ~ escapes), arrays by index. */
static const json_t *pointer_get(const json_t *doc, const char *ptr) {
    while (doc && *ptr == '/') {
        const char *name = ptr + 1, *end = strchr(name, '/');
        size_t n = end ? (size_t)(end - name) : strlen(name);
        char *key = pf_strndup(name, n);
        doc = json_is_array(doc) ? json_array_get(doc, strtoul(key, NULL, 10)) : json_object_get(doc, key);
        free(key);
        ptr = name + n;
    }
    return *ptr ? NULL : doc;
}

json_t *pf_family_order_context(const pf_family *f, const json_t *line_context, pf_errors *errs) {
    if (!json_is_object(f->order_context)) {
        pf_errors_add(errs, PF_EINVAL, "/output_type/family",
                      "the %s family cannot be ordered: it declares no order_context", f->key);
        return NULL;
    }
    json_t *context = json_object();
    const char *field;
    const json_t *ptr;
    size_t before = errs->len;
    json_object_foreach((json_t *)f->order_context, field, ptr) {
        const char *p = json_string_value(ptr);
        const json_t *v = p ? pointer_get(line_context, p) : NULL;
        if (v && !json_is_null(v))
            json_object_set_new(context, field, json_deep_copy(v));
        else if (!p)
            pf_errors_add(errs, PF_EINTERNAL, "/output_type/family", "family %s: order_context.%s is not a pointer",
                          f->key, field);
    }
    if (errs->len > before) {
        json_decref(context);
        return NULL;
    }
    return context;
}

const json_t *pf_contract_port_type(const pf_contract *c, const char *key) {
    return find_keyed(json_object_get(c->vocabulary, "port_types"), key);
}
const json_t *pf_contract_artifact_role(const pf_contract *c, const char *key) {
    return find_keyed(json_object_get(c->vocabulary, "artifact_roles"), key);
}
const json_t *pf_contract_artifact_kind(const pf_contract *c, const char *key) {
    return find_keyed(json_object_get(c->vocabulary, "artifact_kinds"), key);
}

bool pf_contract_ports_compatible(const pf_contract *c, const char *from, const char *to) {
    if (strcmp(from, to) == 0) return true;
    const json_t *target = pf_contract_port_type(c, to);
    return target && array_has_string(json_object_get(target, "accepts"), from);
}
