#include "catalog/output_type.h"

#include "core/mem.h"
#include "legacy/compat.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static void need(const json_t *doc, const char *field, const char *base, pf_errors *errs) {
    if (json_is_string(json_object_get(doc, field)) && *str(doc, field)) return;
    char *ptr = pf_ptr_join(base, field);
    pf_errors_add(errs, PF_EINVAL, ptr, "an output type needs a %s", field);
    free(ptr);
}

size_t pf_output_type_check(const json_t *doc, const char *base, pf_errors *errs) {
    size_t before = errs->len;
    const char *fields[] = {"key", "name", "family", "rollout", "artifact_kind"};
    for (size_t i = 0; i < 5; i++)
        need(doc, fields[i], base, errs);
    const char *rollout = str(doc, "rollout");
    const json_t *wf = json_object_get(doc, "workflow");
    char *ptr = pf_ptr_join(base, "rollout");
    if (rollout && strcmp(rollout, "legacy") && strcmp(rollout, "shadow") && strcmp(rollout, "graph"))
        pf_errors_add(errs, PF_EINVAL, ptr, "rollout must be legacy, shadow or graph, not \"%s\"", rollout);
    else if (rollout && strcmp(rollout, "legacy") != 0 && !json_is_string(json_object_get(wf, "id")))
        pf_errors_add(errs, PF_EINVAL, ptr, "rollout %s needs a linked workflow {id, version}", rollout);
    free(ptr);
    if (rollout && strcmp(rollout, "graph") != 0) {
        char *lbase = pf_ptr_join(base, "legacy_render_settings");
        pf_compat_result r;
        if (pf_compat_map(json_object_get(doc, "legacy_render_settings"), lbase, errs, &r) == 0) {
            if (str(doc, "artifact_kind") && strcmp(r.artifact_kind, str(doc, "artifact_kind")) != 0)
                pf_errors_add(errs, PF_EINVAL, lbase, "the legacy settings make a %s, but the output type sells a %s",
                              r.artifact_kind, str(doc, "artifact_kind"));
            pf_compat_result_free(&r);
        }
        free(lbase);
    }
    return errs->len - before;
}

json_t *pf_output_types_load(const char *share_dir, pf_errors *errs) {
    json_t *types = json_object();
    char *dir = pf_asprintf("%s/output-types", share_dir);
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        char *path = pf_asprintf("%s/%s", dir, e->d_name);
        json_error_t jerr;
        json_t *doc = json_load_file(path, 0, &jerr);
        pf_errors found;
        pf_errors_init(&found);
        if (!doc)
            pf_errors_add(&found, PF_EINVAL, "", "not JSON: %s", jerr.text);
        else
            pf_output_type_check(doc, "", &found);
        for (size_t i = 0; i < found.len; i++)
            pf_errors_add(errs, found.items[i].code, found.items[i].pointer, "%s: %s", path, found.items[i].message);
        if (!found.len) json_object_set(types, str(doc, "key"), doc);
        pf_errors_clear(&found);
        json_decref(doc);
        free(path);
    }
    if (d) closedir(d);
    free(dir);
    return types;
}
