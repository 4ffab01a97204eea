/* External modules: an operator's contract file in DATA/modules joins the
 * registry as a module whose body is a Celery task, and every broken file
 * is refused at start-up with its name, a pointer into it and why. */
#include "check.h"

#include "core/mem.h"
#include "core/path.h"
#include "modules/external.h"
#include "modules/registry.h"
#include "support/json_ops.h"
#include "support/tmpdir.h"
#include "workflow/node_registry.h"
#include "workflow/workflow.h"

#include <stdlib.h>
#include <string.h>

/* What an operator writes for a watermarking step. */
#define GOOD                                                                                                           \
    "{\"module_key\": \"studio.watermark\", \"celery_task\": \"studio.tasks.watermark\", \"queue\": \"studio\", "      \
    "\"family\": [\"cad_file\"], \"input_contract\": [{\"name\": \"glb\", \"type\": \"glb\", \"required\": true}], "   \
    "\"output_contract\": [{\"name\": \"glb\", \"type\": \"glb\", \"required\": true}]"

typedef struct {
    const char *name;
    const char *patch; /* merged into GOOD (null deletes a field), or */
    const char *raw;   /* the whole file */
    const char *pointer;
    const char *says;
} bad_case;

static const bad_case cases[] = {
    {"not JSON", NULL, "{\"module_key\": ", "", "line 1"},
    {"not an object", NULL, "[1]", "", "a JSON object"},
    {"a duplicate field", NULL, "{\"module_key\": \"studio.x\", \"module_key\": \"studio.y\"}", "", "duplicate"},
    {"no task", "{\"celery_task\": null}", NULL, "/celery_task", "names the Celery task"},
    {"one of our queues", "{\"queue\": \"render\"}", NULL, "/queue", "a queue of its own"},
    {"our namespace", "{\"module_key\": \"cad.watermark\"}", NULL, "/module_key", "\"studio.watermark\""},
    {"not namespaced", "{\"module_key\": \"watermark\"}", NULL, "/module_key", "namespace.name"},
    {"our task names", "{\"celery_task\": \"prodflow.module.cad.export_glb\"}", NULL, "/celery_task", "Prodflow's own"},
    {"a side effect", "{\"side_effects\": \"external\"}", NULL, "/side_effects", "stay on the server"},
    {"an entry step", "{\"entry\": true}", NULL, "/entry", "entry step"},
    {"runs in a process", "{\"execution\": \"process\"}", NULL, "/execution", "\"celery\""},
    {"no family", "{\"family\": []}", NULL, "/family", "families"},
    {"no ports", "{\"input_contract\": null}", NULL, "/input_contract", "array of ports"},
};

/* GOOD with patch's fields set (or deleted, where patch says null). */
static char *patched(const char *patch) {
    json_t *doc = pf_test_json_patched(GOOD "}", patch);
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    return text;
}

static char *data_dir_with(const char *file, const char *text) {
    char *dir = pf_test_tmpdir("external"), *modules = pf_asprintf("%s/modules", dir);
    CHECK(pf_mkdirs(modules, 0755) == NULL);
    if (file) {
        char *path = pf_asprintf("%s/%s", modules, file);
        CHECK(pf_write_file_atomic(path, text, strlen(text)) == NULL);
        free(path);
    }
    free(modules);
    return dir;
}

static void add_file(const char *dir, const char *file, const char *text) {
    char *path = pf_asprintf("%s/modules/%s", dir, file);
    CHECK(pf_write_file_atomic(path, text, strlen(text)) == NULL);
    free(path);
}

static void test_refused(void) {
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *text = cases[i].raw ? pf_strdup(cases[i].raw) : patched(cases[i].patch);
        char *dir = data_dir_with("watermark.json", text);
        free(text);
        pf_errors errs;
        pf_errors_init(&errs);
        pf_external_modules *ext = pf_external_modules_load(dir, &errs);
        CHECK_MSG(ext == NULL && errs.len >= 1, "%s: refused", cases[i].name);
        bool found = false;
        for (size_t k = 0; k < errs.len; k++)
            found |= strcmp(errs.items[k].pointer, cases[i].pointer) == 0 &&
                     strncmp(errs.items[k].message, "modules/watermark.json: ", 24) == 0 &&
                     strstr(errs.items[k].message, cases[i].says) != NULL;
        CHECK_MSG(found, "%s: wanted \"%s\" at \"%s\", got \"%s\" at \"%s\"", cases[i].name, cases[i].says,
                  cases[i].pointer, errs.len ? errs.items[0].message : "", errs.len ? errs.items[0].pointer : "");
        pf_errors_clear(&errs);
        pf_external_modules_free(ext);
        free(dir);
    }
}

/* A file larger than the cap is refused unread. */
static void test_too_large(void) {
    size_t n = PF_EXTERNAL_CONTRACT_MAX + 2;
    char *big = pf_xmalloc(n + 1);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    char *dir = data_dir_with("big.json", big);
    pf_errors errs;
    pf_errors_init(&errs);
    CHECK(pf_external_modules_load(dir, &errs) == NULL);
    CHECK_MSG(errs.len == 1 && strstr(errs.items[0].message, "modules/big.json") &&
                  strstr(errs.items[0].message, "256 KiB"),
              "%s", errs.len ? errs.items[0].message : "no problem");
    pf_errors_clear(&errs);
    free(big);
    free(dir);
}

/* What only the registry can tell: a family that does not exist, a key
 * defined twice, a broken port. */
static void test_registry_refuses(const char *second, const char *says) {
    char *dir = data_dir_with("a.json", GOOD "}");
    add_file(dir, "b.json", second);
    pf_errors errs;
    pf_errors_init(&errs);
    pf_external_modules *ext = pf_external_modules_load(dir, &errs);
    CHECK(ext != NULL);
    pf_registry_extra extra = {0};
    extra.modules = pf_external_modules_descs(ext, &extra.n_modules);
    CHECK_INT(extra.n_modules, 2);
    pf_registry *reg = pf_registry_load_with(&extra, &errs);
    CHECK(reg == NULL);
    pf_registry_free(reg);
    bool found = false;
    for (size_t k = 0; k < errs.len; k++)
        found |= strstr(errs.items[k].message, says) != NULL;
    CHECK_MSG(found, "wanted \"%s\", got \"%s\"", says, errs.len ? errs.items[0].message : "no problem");
    pf_errors_clear(&errs);
    pf_external_modules_free(ext);
    free(dir);
}

static void test_good(void) {
    char *dir = data_dir_with("watermark.json", GOOD ", \"label\": \"Watermark\"}");
    pf_errors errs;
    pf_errors_init(&errs);
    pf_external_modules *ext = pf_external_modules_load(dir, &errs);
    pf_registry_extra extra = {0};
    extra.modules = pf_external_modules_descs(ext, &extra.n_modules);
    pf_registry *reg = pf_registry_load_with(&extra, &errs);
    CHECK_MSG(reg && errs.len == 0, "%s", errs.len ? errs.items[0].message : "");
    const pf_module *m = reg ? pf_registry_find(reg, "studio.watermark") : NULL;
    CHECK(m != NULL);
    if (m) {
        CHECK(m->execution == PF_EXEC_CELERY);
        CHECK_STR(m->queue, "studio");
        CHECK_STR(m->desc->celery_task, "studio.tasks.watermark");
        CHECK(pf_module_available(m));
        CHECK_STR(m->version, "1.0.0"); /* defaults filled in */
        /* It is in the palette of the family it named, with what the editor shows. */
        json_t *defs = pf_node_definitions(reg, "cad_file");
        size_t i;
        const json_t *def;
        const json_t *found = NULL;
        json_array_foreach(json_object_get(defs, "node_definitions"), i,
                           def) if (!strcmp(json_string_value(json_object_get(def, "step")), "studio.watermark"))
            found = def;
        CHECK(found != NULL);
        CHECK_STR(json_string_value(json_object_get(found, "execution")), "celery");
        CHECK_STR(json_string_value(json_object_get(found, "celery_task")), "studio.tasks.watermark");
        CHECK_STR(json_string_value(json_object_get(json_object_get(found, "ui"), "label")), "Watermark");
        json_decref(defs);
        /* A graph that uses it validates; wired to a wrong port type it does not. */
        const char *graph =
            "{\"schema\": \"prodflow.workflow/v1\", \"id\": \"w\", \"name\": \"W\", \"family\": \"cad_file\", "
            "\"version\": 1, \"nodes\": [{\"id\": \"resolve\", \"step\": \"cad.resolve_step_path\"}, "
            "{\"id\": \"glb\", \"step\": \"cad.export_glb\"}, {\"id\": \"mark\", \"step\": \"studio.watermark\"}], "
            "\"edges\": [{\"from\": {\"node\": \"resolve\", \"port\": \"step\"}, \"to\": {\"node\": \"glb\", \"port\": "
            "\"step\"}}, {\"from\": {\"node\": \"glb\", \"port\": \"glb\"}, \"to\": {\"node\": \"mark\", \"port\": "
            "\"glb\"}}]}";
        json_t *doc = json_loads(graph, 0, NULL);
        CHECK_INT(pf_workflow_validate(reg, doc, &errs), 0);
        if (errs.len) fprintf(stderr, "%s at %s\n", errs.items[0].message, errs.items[0].pointer);
        pf_errors_clear(&errs);
        json_object_set_new(json_object_get(json_array_get(json_object_get(doc, "edges"), 1), "from"), "node",
                            json_string("resolve"));
        json_object_set_new(json_object_get(json_array_get(json_object_get(doc, "edges"), 1), "from"), "port",
                            json_string("step"));
        CHECK(pf_workflow_validate(reg, doc, &errs) >= 1);
        pf_errors_clear(&errs);
        json_decref(doc);
    }
    pf_registry_free(reg);
    pf_external_modules_free(ext);
    free(dir);
}

/* No modules directory: nothing external, nothing wrong. */
static void test_none(void) {
    char *dir = pf_test_tmpdir("external-none");
    pf_errors errs;
    pf_errors_init(&errs);
    pf_external_modules *ext = pf_external_modules_load(dir, &errs);
    size_t n = 1;
    CHECK(ext != NULL && errs.len == 0);
    pf_external_modules_descs(ext, &n);
    CHECK_INT(n, 0);
    pf_external_modules_free(ext);
    free(dir);
}

int main(void) {
    test_refused();
    test_too_large();
    char *twice = patched("{\"celery_task\": \"other\"}");
    test_registry_refuses(twice, "defined twice");
    free(twice);
    test_registry_refuses("{\"module_key\": \"studio.other\", \"celery_task\": \"t\", \"queue\": \"studio\", "
                          "\"family\": [\"no_such_family\"], \"input_contract\": [], \"output_contract\": []}",
                          "there is no family \"no_such_family\"");
    test_registry_refuses("{\"module_key\": \"studio.other\", \"celery_task\": \"t\", \"queue\": \"studio\", "
                          "\"family\": [\"cad_file\"], \"input_contract\": [{\"name\": \"x\", \"type\": \"nope\"}], "
                          "\"output_contract\": []}",
                          "unknown type");
    test_none();
    test_good();
    return pf_check_done("external_modules");
}
