#include "render/template.h"
#include "core/json.h"

#include "core/closest.h"
#include "core/embed.h"
#include "core/jsonschema.h"
#include "core/mem.h"
#include "render/scene.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool has_string(const json_t *list, const char *s) {
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v) if (json_string_value(v) && strcmp(json_string_value(v), s) == 0) return true;
    return false;
}

/* Where a template finds its scenes (render/scene.h). */
typedef struct {
    const char *share_dir, *data_root;
} roots;

/* Every reason the document is not a usable template, into errs. A blend
 * scene names its .blend by scene key, which must name a scene; the renders
 * find its file again by that key (modules/render/render_job.c), so no
 * server path is in a template or in a run's records. */
static size_t validate(const pf_schema *schema, json_t *doc, roots where, pf_errors *errs) {
    size_t before = errs->len;
    if (pf_schema_run(schema, doc, "", errs) > 0) return errs->len - before;
    if (strcmp(pf_json_str(doc, "kind"), "studio") == 0) {
        static const char *const need[][2] = {{"camera", "/camera"}, {"lights", "/lights"}, {"backdrop", "/backdrop"}};
        for (size_t i = 0; i < 3; i++)
            if (!json_object_get(doc, need[i][0]))
                pf_errors_add(errs, PF_EINVAL, need[i][1], "a studio template needs %s", need[i][0]);
    } else if (!pf_json_str(doc, "blend") || !pf_json_str(doc, "collection")) {
        pf_errors_add(errs, PF_EINVAL, pf_json_str(doc, "blend") ? "/collection" : "/blend",
                      "a blend scene template needs it");
    } else {
        char *blend = NULL;
        pf_error *err = pf_scene_find(where.share_dir, where.data_root, pf_json_str(doc, "blend"), "/blend", &blend);
        if (err) pf_errors_add(errs, err->code, err->pointer, "%s", err->message);
        pf_error_free(err);
        free(blend);
    }
    return errs->len - before;
}

/* NULL when the document is a usable template, else why not (caller frees). */
static char *check(const pf_schema *schema, json_t *doc, roots where) {
    pf_errors errs;
    pf_errors_init(&errs);
    char *why = validate(schema, doc, where, &errs)
                    ? pf_asprintf("%s: %s", errs.items[0].pointer, errs.items[0].message)
                    : NULL;
    pf_errors_clear(&errs);
    return why;
}

size_t pf_template_validate(const json_t *doc, const char *share_dir, const char *data_root, pf_errors *errs) {
    json_t *schema = json_loads(pf_embed_find("render/render_template.schema.json")->data, 0, NULL);
    pf_schema *compiled = pf_schema_compile(schema);
    json_t *copy = json_deep_copy(doc);
    size_t n = json_is_object(copy) ? validate(compiled, copy, (roots){share_dir, data_root}, errs) : 0;
    if (!json_is_object(copy)) pf_errors_add(errs, PF_EINVAL, "", "a template is a JSON object"), n = 1;
    json_decref(copy);
    pf_schema_free(compiled);
    json_decref(schema);
    return n;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* label stands for dir in the problems, which clients see: "DATA/templates"
 * or "share/templates", never where the server keeps its files. */
static void load_dir(const pf_schema *schema, const char *dir, const char *label, roots where, pf_template_set *set) {
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) return;
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        names = pf_xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = pf_strdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        char *path = pf_asprintf("%s/%s", dir, names[i]), *stem = pf_strndup(names[i], strlen(names[i]) - 5);
        json_error_t jerr;
        json_t *doc = json_load_file(path, 0, &jerr);
        char *why = doc ? check(schema, doc, where) : pf_asprintf("not JSON: %s (line %d)", jerr.text, jerr.line);
        const char *key = doc ? pf_json_str(doc, "key") : NULL;
        if (why) {
            json_object_set_new(set->problems, key ? key : stem, json_sprintf("%s/%s: %s", label, names[i], why));
        } else if (!json_object_get(set->templates, key)) { /* the data directory is read first */
            json_object_set_new(doc, "source", json_string(path));
            json_object_set(set->templates, key, doc);
        }
        json_decref(doc);
        free(why);
        free(stem);
        free(path);
        free(names[i]);
    }
    free(names);
}

void pf_templates_load(const char *share_dir, const char *data_root, pf_template_set *out) {
    out->templates = json_object();
    out->problems = json_object();
    json_t *schema = json_loads(pf_embed_find("render/render_template.schema.json")->data, 0, NULL);
    pf_schema *compiled = pf_schema_compile(schema);
    char *dirs[2] = {data_root ? pf_asprintf("%s/templates", data_root) : NULL,
                     share_dir ? pf_asprintf("%s/templates", share_dir) : NULL};
    for (int i = 0; i < 2; i++) {
        load_dir(compiled, dirs[i], i == 0 ? "DATA/templates" : "share/templates", (roots){share_dir, data_root}, out);
        free(dirs[i]);
    }
    pf_schema_free(compiled);
    json_decref(schema);
}

void pf_template_set_free(pf_template_set *set) {
    json_decref(set->templates);
    json_decref(set->problems);
    set->templates = set->problems = NULL;
}

static char *known_keys(const json_t *templates) {
    char *list = pf_strdup("");
    const char *key;
    const json_t *doc;
    json_object_foreach((json_t *)templates, key, doc) {
        char *next = pf_asprintf("%s%s%s", list, *list ? ", " : "", key);
        free(list);
        list = next;
    }
    return list;
}

static pf_error *explicit_choice(const pf_template_set *set, const char *key, const char *kind, json_t **chosen) {
    const json_t *doc = json_object_get(set->templates, key);
    if (!doc) {
        if (json_object_get(set->problems, key))
            return pf_error_new(PF_EINVAL, "/params/template", "template \"%s\" is invalid: %s", key,
                                json_string_value(json_object_get(set->problems, key)));
        char *known = known_keys(set->templates);
        pf_closest near;
        pf_closest_init(&near, key);
        const char *k;
        const json_t *d;
        json_object_foreach(set->templates, k, d) pf_closest_offer(&near, k);
        const char *best = pf_closest_best(&near);
        pf_error *err = pf_error_new(PF_ENOTFOUND, "/params/template", "no template \"%s\"%s%s%s; known: %s", key,
                                     best ? " (did you mean \"" : "", best ? best : "", best ? "\"?)" : "", known);
        free(known);
        return err;
    }
    if (!has_string(json_object_get(doc, "artifact_kinds"), kind))
        return pf_error_new(PF_EINVAL, "/params/template", "template \"%s\" does not make a %s", key, kind);
    *chosen = json_deep_copy(doc);
    json_object_set_new(*chosen, "reason", json_string("explicit choice"));
    return NULL;
}

pf_error *pf_template_resolve(const pf_template_set *set, const char *explicit_key, const char *category,
                              const char *kind, json_t **chosen) {
    *chosen = NULL;
    if (explicit_key && *explicit_key) return explicit_choice(set, explicit_key, kind, chosen);
    const json_t *best = NULL;
    int best_rank = -1;
    json_int_t best_priority = 0;
    const char *key;
    const json_t *doc;
    /* Sorted keys break ties the same way on every machine. */
    const char **keys = pf_xcalloc(json_object_size(set->templates) + 1, sizeof *keys);
    size_t n = 0;
    json_object_foreach((json_t *)set->templates, key, doc) keys[n++] = key;
    qsort(keys, n, sizeof *keys, by_name);
    for (size_t i = 0; i < n; i++) {
        doc = json_object_get(set->templates, keys[i]);
        if (!has_string(json_object_get(doc, "artifact_kinds"), kind)) continue;
        const json_t *cats = json_object_get(doc, "categories");
        int rank = category && *category && has_string(cats, category) ? 2 : has_string(cats, "*") ? 1 : 0;
        json_int_t priority = json_integer_value(json_object_get(doc, "priority"));
        if (rank == 0) continue;
        if (rank > best_rank || (rank == best_rank && priority > best_priority))
            best = doc, best_rank = rank, best_priority = priority;
    }
    free(keys);
    if (!best)
        return pf_error_new(PF_ENOTFOUND, "/params/artifact_kind", "no template makes a %s%s%s", kind,
                            category && *category ? " for category " : "", category && *category ? category : "");
    *chosen = json_deep_copy(best);
    char *reason = best_rank == 2 ? pf_asprintf("made for category \"%s\" and %s (priority %lld)", category, kind,
                                                (long long)best_priority)
                                  : pf_asprintf("the default for %s (priority %lld)%s", kind, (long long)best_priority,
                                                category && *category ? ", no template names the category" : "");
    json_object_set_new(*chosen, "reason", json_string(reason));
    free(reason);
    return NULL;
}
