/* The CAD kernel is a module loaded on first use (src/cad/cad_module.h):
 * the prodflow binary links no OCCT, a process loads it only when it calls
 * the kernel, and a missing module is a PF_EUNAVAILABLE error that names it
 * without the server's directories, in process, on the command line and
 * through a module child. */
#include "check.h"

#include "cad/cad_kernel.h"
#include "core/mem.h"
#include "modules/registry.h"
#include "runtime/isolate.h"
#include "support/shell.h"
#include "support/tmpdir.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define SCREW "/usr/share/opencascade/data/step/screw.step"
/* A module that is not there, in a directory a message must not show. */
#define MISSING_DIR "/nonexistent-pf-occt"
#define MISSING MISSING_DIR "/prodflow-occt.so"

/* Whether this process has mapped a file whose path contains name. */
static bool mapped(const char *name) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, name) != NULL;
    fclose(f);
    return found;
}

static void test_loaded_on_first_use(void) {
    CHECK_MSG(!mapped("prodflow-occt.so") && !mapped("libTKernel"), "OCCT was loaded before any CAD call");
    /* Freeing nothing is no reason to load OCCT. */
    pf_cad_close(NULL);
    pf_cad_builder_free(NULL);
    CHECK(!mapped("prodflow-occt.so"));
    CHECK_INT(pf_cad_load(), PF_CAD_OK);
    CHECK_INT(pf_cad_load(), PF_CAD_OK); /* once */
    CHECK(mapped("prodflow-occt.so") && mapped("libTKernel"));
    pf_cad_doc *doc = NULL;
    CHECK_INT(pf_cad_open_step(SCREW, NULL, &doc), PF_CAD_OK);
    /* The STEP lexer override still binds with the adapter dlopen'ed. */
    CHECK_MSG(doc && pf_cad_overrides_used(doc).lexer_block_reads > 0,
              "OCCT's STEP lexer read one character at a time");
    pf_cad_close(doc);
}

static void test_binary_links_no_occt(void) {
    char *out = NULL;
    int rc = pf_test_sh("ldd '" PF_BIN "'", &out);
    CHECK_INT(rc, 0);
    CHECK_MSG(out && !strstr(out, "libTK") && !strstr(out, "prodflow-occt"), "prodflow links OCCT:\n%s", out);
    free(out);
}

/* The line of out that starts with prefix, up to its end. */
static char *line_of(const char *out, const char *prefix) {
    const char *at = out ? strstr(out, prefix) : NULL;
    return at ? pf_strndup(at, strcspn(at, "\n")) : NULL;
}

static void test_missing_module_on_the_command_line(void) {
    char *dir = pf_test_tmpdir("cad-loader");
    char *cmd = pf_asprintf("PRODFLOW_OCCT_MODULE=" MISSING " '%s' cad fixture -o '%s/f.step'", PF_BIN, dir);
    char *out = NULL;
    int rc = pf_test_sh(cmd, &out);
    CHECK(rc != 0);
    char *line = line_of(out, "prodflow cad fixture: ");
    CHECK_MSG(line && strstr(line, "the CAD kernel is not available: cannot load prodflow-occt.so"), "printed: %s",
              out);
    CHECK_MSG(line && !strstr(line, MISSING_DIR), "the message shows the module's directory: %s", line);
    /* The operator's log has the whole path. */
    CHECK(out && strstr(out, "\"event\":\"cad.kernel_unavailable\"") && strstr(out, MISSING));
    free(line);
    free(out);
    free(cmd);
    free(dir);
}

/* cad.extract_objects in a child whose kernel module is missing: full mode
 * needs OCCT and fails as unavailable; fast mode never loads it. */
static void test_missing_module_in_a_child(void) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = pf_registry_load(&errs);
    pf_errors_clear(&errs);
    const pf_module *m = reg ? pf_registry_find(reg, "cad.extract_objects") : NULL;
    CHECK(m != NULL);
    if (!m) {
        pf_registry_free(reg);
        return;
    }
    char *dir = pf_test_tmpdir("cad-loader-child");
    json_t *context = json_object(), *inputs = json_pack("{s:{s:s}}", "step", "path", SCREW);
    pf_module_ctx ctx = {.data_root = dir,
                         .work_dir = dir,
                         .share_dir = PF_SOURCE_DIR "/share",
                         .context = context,
                         .run_id = "loader",
                         .node_id = "objects",
                         .limits = pf_isolate_limits(m, NULL, 0)};
    /* Children take PRODFLOW_OCCT_MODULE from this process (pf_child_env). */
    setenv("PRODFLOW_OCCT_MODULE", MISSING, 1);
    json_t *full = json_pack("{s:s}", "mode", "full"), *fast = json_pack("{s:s}", "mode", "fast"), *out = NULL;
    pf_error *err = pf_isolate_invoke(PF_BIN, m, &ctx, inputs, full, &out, NULL);
    CHECK_MSG(err && err->code == PF_EUNAVAILABLE, "full mode without the module: %s",
              err ? err->message : "succeeded");
    CHECK(err && strstr(err->message, "the CAD kernel is not available") && !strstr(err->message, MISSING_DIR));
    pf_error_free(err);
    json_decref(out);
    out = NULL;
    err = pf_isolate_invoke(PF_BIN, m, &ctx, inputs, fast, &out, NULL);
    CHECK_MSG(!err, "fast mode without the module: %s", err->message);
    pf_error_free(err);
    unsetenv("PRODFLOW_OCCT_MODULE");
    json_decref(out);
    json_decref(full);
    json_decref(fast);
    json_decref(inputs);
    json_decref(context);
    pf_registry_free(reg);
    free(dir);
}

int main(void) {
    test_loaded_on_first_use();
    test_binary_links_no_occt();
    test_missing_module_on_the_command_line();
    test_missing_module_in_a_child();
    return pf_check_done("cad_loader");
}
