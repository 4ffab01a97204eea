#include "modules/external.h"

#include "core/id.h"
#include "core/mem.h"
#include "core/path.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pf_external_modules {
    pf_module_desc *descs;
    const pf_module_desc **list;
    size_t n;
};

/* Namespaces of Prodflow's own modules (their domain directories, from the
 * generated modules/contracts.h): an operator's module never shadows one,
 * today's or a later release's. */
static const char *const reserved[] = {PF_MODULE_NAMESPACES, "prodflow"};
/* The queues Prodflow's own workers consume: a task sent there would reach
 * a worker that cannot run it. */
static const char *const own_queues[] = {"cad", "render", "default"};

static bool listed(const char *const *list, size_t n, const char *s, size_t len) {
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && strncmp(list[i], s, len) == 0) return true;
    return false;
}

static void problem(pf_errors *errs, const char *file, const char *pointer, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *what = pf_vasprintf(fmt, ap);
    va_end(ap);
    pf_errors_add(errs, PF_EINVAL, pointer, "modules/%s: %s", file, what);
    free(what);
}

static bool word_char(char c, bool first) {
    return (c >= 'a' && c <= 'z') || (!first && ((c >= '0' && c <= '9') || c == '_'));
}

/* "namespace.name", each part a lower-case word. */
static bool valid_key(const char *key) {
    const char *dot = strchr(key, '.');
    if (!dot || strchr(dot + 1, '.') || strlen(key) > 64) return false;
    for (const char *p = key; *p; p++)
        if (p != dot && !word_char(*p, p == key || p == dot + 1)) return false;
    return true;
}

/* A Celery task name as Celery spells them: dotted words, nothing a
 * protocol or a log would misread. */
static bool valid_task(const char *task) {
    size_t n = strlen(task);
    if (n == 0 || n > 200) return false;
    for (size_t i = 0; i < n; i++) {
        char c = task[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-' || c == ':'))
            return false;
    }
    return true;
}

static void set_default(json_t *doc, const char *field, json_t *value) {
    if (!json_object_get(doc, field))
        json_object_set_new(doc, field, value);
    else
        json_decref(value);
}

/* What the operator must say; everything else of a contract has a default. */
static bool check_fields(const json_t *doc, const char *file, pf_errors *errs) {
    size_t before = errs->len;
    const char *key = json_string_value(json_object_get(doc, "module_key"));
    const char *task = json_string_value(json_object_get(doc, "celery_task"));
    const char *queue = json_string_value(json_object_get(doc, "queue"));
    if (!key || !valid_key(key))
        problem(errs, file, "/module_key",
                "module_key is \"namespace.name\" in lower-case words (\"studio.watermark\")");
    else if (listed(reserved, sizeof reserved / sizeof *reserved, key, (size_t)(strchr(key, '.') - key)))
        problem(errs, file, "/module_key",
                "the namespace of \"%s\" is Prodflow's own; name the module after your studio (\"studio.%s\")", key,
                strchr(key, '.') + 1);
    if (!task || !valid_task(task))
        problem(errs, file, "/celery_task",
                "celery_task names the Celery task that serves the module (\"studio.tasks.watermark\")");
    else if (strncmp(task, "prodflow.", 9) == 0)
        problem(errs, file, "/celery_task", "task names under \"prodflow.\" are Prodflow's own");
    if (!queue || !pf_id_valid_slug(queue))
        problem(errs, file, "/queue", "queue names the Celery queue the task's worker consumes (\"studio\")");
    else if (listed(own_queues, sizeof own_queues / sizeof *own_queues, queue, strlen(queue)))
        problem(errs, file, "/queue",
                "\"%s\" is a queue of Prodflow's workers, which cannot run somebody else's task; give the module a "
                "queue of its own",
                queue);
    const json_t *fam = json_object_get(doc, "family");
    if (!json_is_array(fam) || json_array_size(fam) == 0)
        problem(errs, file, "/family", "family lists the families whose graphs may use the module ([\"cad_file\"])");
    static const char *const ports[] = {"input_contract", "output_contract"};
    for (size_t i = 0; i < 2; i++)
        if (!json_is_array(json_object_get(doc, ports[i]))) {
            char ptr[32];
            snprintf(ptr, sizeof ptr, "/%s", ports[i]);
            problem(errs, file, ptr, "%s is an array of ports ({\"name\", \"type\"})", ports[i]);
        }
    const char *ex = json_string_value(json_object_get(doc, "execution"));
    if (json_object_get(doc, "execution") && (!ex || strcmp(ex, "celery") != 0))
        problem(errs, file, "/execution",
                "an external module runs as its Celery task: execution is \"celery\" or left out");
    if (json_is_true(json_object_get(doc, "entry")))
        problem(errs, file, "/entry", "an external module cannot be a family's entry step");
    const char *fx = json_string_value(json_object_get(doc, "side_effects"));
    if (json_object_get(doc, "side_effects") && (!fx || strcmp(fx, "none") != 0))
        problem(errs, file, "/side_effects",
                "an external module has no side effects (publishing and notifying stay on the server); "
                "side_effects is \"none\" or left out");
    return errs->len == before;
}

/* The contract as the registry reads it: the operator's fields and a
 * default for every other one. */
static void fill(json_t *doc) {
    const char *key = json_string_value(json_object_get(doc, "module_key"));
    set_default(doc, "module_version", json_string("1.0.0"));
    set_default(doc, "entry", json_false());
    set_default(doc, "label", json_string(key));
    set_default(doc, "category", json_string("External"));
    set_default(doc, "description",
                json_sprintf("Runs the Celery task %s on the queue %s.",
                             json_string_value(json_object_get(doc, "celery_task")),
                             json_string_value(json_object_get(doc, "queue"))));
    set_default(doc, "icon", json_string("extension"));
    set_default(doc, "param_schema",
                json_pack("{s:s, s:{}, s:b}", "type", "object", "properties", "additionalProperties", 0));
    set_default(doc, "field_order", json_array());
    set_default(doc, "widgets", json_object());
    set_default(doc, "artifact_roles_produced", json_array());
    set_default(doc, "artifact_roles_consumed", json_array());
    set_default(doc, "legacy_source", json_null());
    set_default(doc, "side_effects", json_string("none"));
    set_default(doc, "policy", json_object());
    set_default(doc, "execution", json_string("celery"));
}

/* One file: NULL when it is broken (problems in errs). */
static json_t *load_one(const char *dir, const char *file, pf_errors *errs) {
    char *path = pf_asprintf("%s/%s", dir, file), *text = NULL;
    size_t len = 0;
    pf_error *err = pf_read_file(path, PF_EXTERNAL_CONTRACT_MAX, &text, &len);
    free(path);
    if (err) {
        problem(errs, file, "", "%s",
                err->code == PF_ETOOLARGE ? "the contract is larger than 256 KiB" : "the contract cannot be read");
        pf_error_free(err);
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (!doc) {
        problem(errs, file, "", "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(doc)) {
        problem(errs, file, "", "a module contract is a JSON object");
    } else if (check_fields(doc, file, errs)) {
        fill(doc);
        return doc;
    }
    json_decref(doc);
    return NULL;
}

pf_external_modules *pf_external_modules_load(const char *data_dir, pf_errors *errs) {
    pf_external_modules *ext = pf_xcalloc(1, sizeof *ext);
    char *dir = pf_asprintf("%s/modules", data_dir);
    size_t n, before = errs->len;
    char **names = pf_json_file_names(dir, &n);
    ext->descs = pf_xcalloc(n + 1, sizeof *ext->descs);
    ext->list = pf_xcalloc(n + 1, sizeof *ext->list);
    for (size_t i = 0; i < n; i++) {
        json_t *doc = load_one(dir, names[i], errs);
        if (!doc) continue;
        pf_module_desc *d = &ext->descs[ext->n];
        d->key = pf_strdup(json_string_value(json_object_get(doc, "module_key")));
        d->celery_task = pf_strdup(json_string_value(json_object_get(doc, "celery_task")));
        d->contract_json = json_dumps(doc, JSON_COMPACT);
        ext->list[ext->n++] = d;
        json_decref(doc);
    }
    pf_names_free(names, n);
    free(dir);
    if (errs->len > before) {
        pf_external_modules_free(ext);
        return NULL;
    }
    return ext;
}

void pf_external_modules_free(pf_external_modules *ext) {
    if (!ext) return;
    for (size_t i = 0; i < ext->n; i++) {
        free((char *)ext->descs[i].key);
        free((char *)ext->descs[i].celery_task);
        free((char *)ext->descs[i].contract_json);
    }
    free(ext->descs);
    free(ext->list);
    free(ext);
}

const pf_module_desc *const *pf_external_modules_descs(const pf_external_modules *ext, size_t *n) {
    *n = ext ? ext->n : 0;
    return ext ? ext->list : NULL;
}
