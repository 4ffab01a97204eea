/* The module registry: every contract loads and is complete, and the module
 * layer runs what has a body and refuses clearly what has none. */
#include "check.h"

#include "core/mem.h"
#include "modules/invoke.h"
#include "support/tmpdir.h"
#include "workflow/node_registry.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_contracts(const pf_registry *reg) {
    CHECK_INT(reg->n_modules, 14);
    for (size_t i = 0; i < reg->n_modules; i++) {
        const pf_module *m = &reg->modules[i];
        /* field_order lists exactly the params, so the editor shows every one. */
        const json_t *order = json_object_get(m->contract, "field_order");
        CHECK_MSG(json_array_size(order) == json_object_size(json_object_get(m->param_schema, "properties")),
                  "%s: field_order and params differ", m->key);
        size_t k;
        const json_t *name;
        json_array_foreach(order, k, name) {
            const json_t *p = pf_module_param(m, json_string_value(name));
            CHECK_MSG(p != NULL, "%s: field_order names unknown param", m->key);
            /* A param without a default says what leaving it empty does
             * (render samples: the template's count). */
            const char *about = json_string_value(json_object_get(p, "description"));
            CHECK_MSG(json_object_get(p, "default") != NULL || (about && strstr(about, "Empty ")),
                      "%s.%s has no default and does not say what empty means", m->key, json_string_value(name));
        }
        CHECK_MSG(m->external == (!strcmp(m->key, "output.publish_asset") || !strcmp(m->key, "output.notify")),
                  "%s: side effects", m->key);
        CHECK_MSG(m->entry == (!strcmp(m->key, "cad.resolve_step_path") || !strcmp(m->key, "order.resolve_line")),
                  "%s: entry flag", m->key);
        if (m->entry) CHECK_INT(m->inputs.len, 0);
    }
    for (size_t f = 0; f < reg->contract.n_families; f++) {
        const pf_family *fam = &reg->contract.families[f];
        const pf_module *entry = pf_registry_find(reg, fam->entry_step);
        CHECK_MSG(entry && entry->entry, "family %s: entry step", fam->key);
        size_t k;
        const json_t *step;
        json_array_foreach(fam->palette, k, step)
            CHECK_MSG(pf_registry_find(reg, json_string_value(step)) != NULL, "family %s: palette", fam->key);
    }
}

static void test_node_definitions(const pf_registry *reg) {
    json_t *all = pf_node_definitions(reg, NULL);
    json_t *cad = pf_node_definitions(reg, "cad_file");
    json_t *order = pf_node_definitions(reg, "order_line");
    CHECK_INT(json_array_size(json_object_get(all, "node_definitions")), 14);
    CHECK(json_array_size(json_object_get(cad, "node_definitions")) < 14);
    CHECK(json_array_size(json_object_get(order, "node_definitions")) < 14);
    CHECK(pf_node_definitions(reg, "nope") == NULL);
    json_t *def = pf_node_definition(pf_registry_find(reg, "cad.export_glb"));
    CHECK_STR(json_string_value(json_object_get(def, "step")), "cad.export_glb");
    CHECK_STR(json_string_value(json_object_get(def, "module_key")), "cad.export_glb");
    CHECK(json_object_get(json_object_get(def, "ui"), "field_order") != NULL);
    CHECK(json_object_get(def, "label") == NULL); /* UI metadata lives under "ui" only */
    json_decref(def);
    json_decref(all);
    json_decref(cad);
    json_decref(order);
}

static void test_invoke(const pf_registry *reg) {
    char *root = pf_test_tmpdir("registry");
    char *step = pf_asprintf("%s/part.step", root);
    char *src = pf_asprintf("%s/tests/fixtures/minimal.step", PF_SOURCE_DIR);
    char *cmd = pf_asprintf("cp '%s' '%s' && printf 'hello' > '%s/note.txt' && ln -s /etc/passwd '%s/out.step'", src,
                            step, root, root);
    CHECK_INT(system(cmd), 0);
    atomic_bool cancel = false;
    json_t *context = json_pack("{s:s}", "step_path", "part.step");
    pf_module_ctx ctx = {.data_root = root, .work_dir = root, .context = context, .cancel = &cancel};

    json_t *out = NULL;
    pf_error *err = pf_module_invoke(reg, "cad.resolve_step_path", &ctx, NULL, NULL, &out);
    CHECK(err == NULL);
    json_t *port = json_object_get(out, "step");
    CHECK_INT(json_integer_value(json_object_get(port, "size")), 455);
    CHECK_INT(strlen(json_string_value(json_object_get(port, "sha256"))), 64);
    CHECK_STR(json_string_value(json_object_get(port, "media_type")), "model/step");
    json_decref(out);

    json_t *params = json_pack("{s:s}", "path", "note.txt");
    err = pf_module_invoke(reg, "cad.resolve_step_path", &ctx, NULL, params, &out);
    CHECK(err && err->code == PF_EINVAL && strstr(err->message, "not a STEP file"));
    CHECK_STR(err ? err->pointer : NULL, "/params/path");
    pf_error_free(err);
    json_decref(params);

    params = json_pack("{s:s}", "path", "../../etc/passwd");
    err = pf_module_invoke(reg, "cad.resolve_step_path", &ctx, NULL, params, &out);
    CHECK(err && err->code == PF_EINVAL);
    pf_error_free(err);
    json_decref(params);

    params = json_pack("{s:s}", "path", "out.step");
    err = pf_module_invoke(reg, "cad.resolve_step_path", &ctx, NULL, params, &out);
    CHECK(err && err->code == PF_EINVAL);
    pf_error_free(err);
    json_decref(params);

    params = json_pack("{s:s, s:i}", "path", "part.step", "max_bytes", 100);
    err = pf_module_invoke(reg, "cad.resolve_step_path", &ctx, NULL, params, &out);
    CHECK(err && err->code == PF_ETOOLARGE);
    pf_error_free(err);
    json_decref(params);

    params = json_pack("{s:s}", "max_bytes", "lots");
    err = pf_module_invoke(reg, "cad.resolve_step_path", &ctx, NULL, params, &out);
    CHECK(err && err->code == PF_EINVAL);
    CHECK_STR(err ? err->pointer : NULL, "/params/max_bytes");
    pf_error_free(err);
    json_decref(params);

    /* A module whose body is still to come says where it will come from. */
    static const pf_module_desc planned = {
        .key = "cad.planned",
        .contract_json =
            "{\"module_key\":\"cad.planned\",\"module_version\":\"0.1.0\",\"family\":[\"later\"],"
            "\"entry\":true,\"label\":\"Planned\",\"category\":\"CAD\",\"description\":\"d\",\"icon\":\"box\","
            "\"input_contract\":[],\"output_contract\":[],\"param_schema\":{\"type\":\"object\"},"
            "\"field_order\":[],\"widgets\":{},\"artifact_roles_produced\":[],\"artifact_roles_consumed\":[],"
            "\"legacy_source\":\"none\",\"side_effects\":\"none\",\"policy\":{}}",
        .pending_issue = "#99",
    };
    const pf_module_desc *const extra_modules[] = {&planned};
    json_t *families = json_loads("[{\"key\":\"later\",\"label\":\"Later\",\"description\":\"d\",\"entry_step\":"
                                  "\"cad.planned\",\"context_schema\":{},\"palette\":[\"cad.planned\"],"
                                  "\"artifact_kinds\":[],\"preflight\":[]}]",
                                  0, NULL);
    pf_registry_extra extra = {extra_modules, 1, families};
    pf_errors extra_errs;
    pf_errors_init(&extra_errs);
    pf_registry *with = pf_registry_load_with(&extra, &extra_errs);
    CHECK_MSG(with != NULL, "%s", extra_errs.len ? extra_errs.items[0].message : "");
    err = with ? pf_module_invoke(with, "cad.planned", &ctx, NULL, NULL, &out) : NULL;
    CHECK(err && err->code == PF_EUNAVAILABLE && strstr(err->message, "#99"));
    pf_error_free(err);
    pf_registry_free(with);
    pf_errors_clear(&extra_errs);
    json_decref(families);
    err = pf_module_invoke(reg, "cad.teleport", &ctx, NULL, NULL, &out);
    CHECK(err && err->code == PF_ENOTFOUND);
    pf_error_free(err);
    CHECK(out == NULL);

    json_decref(context);
    free(cmd);
    free(src);
    free(step);
    free(root);
}

int main(void) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = pf_registry_load(&errs);
    for (size_t i = 0; i < errs.len; i++)
        fprintf(stderr, "%s\n", errs.items[i].message);
    CHECK(reg != NULL);
    if (reg) {
        test_contracts(reg);
        test_node_definitions(reg);
        test_invoke(reg);
    }
    pf_registry_free(reg);
    pf_errors_clear(&errs);
    return pf_check_done("registry");
}
