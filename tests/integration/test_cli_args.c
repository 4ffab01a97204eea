/* The CLI's command lines, table by table: every usage error exits 2, says
 * what is wrong and prints that command's usage on stderr (stdout stays
 * empty); a mistyped name (--set key, output type, module, template) gets
 * the closest known one; a command that fails leaves no ./var it made; and
 * `run --json` prints one JSON document even when it refuses. Checked by
 * meaning (phrases), not column layout. No row renders: the argument checks
 * come before OCCT or Blender would start. */
#include "check.h"

#include "core/json.h"
#include "core/mem.h"
#include "support/shell.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *args; /* after "prodflow", run in the test's directory */
    int code;
    const char *says;  /* on stderr */
    const char *usage; /* the usage line stderr must show after it (exit 2), or NULL */
} row;

/* Usage errors: exit 2, why, and the command's usage. */
static const row usage_rows[] = {
    {"", 2, "Usage: prodflow <command>", "Commands:"},
    {"frobnicate", 2, "unknown command \"frobnicate\"", "Commands:"},
    {"serve extra", 2, "unexpected argument \"extra\"", "Usage: prodflow serve"},
    {"serve --frob", 2, "unrecognized option '--frob'", "Usage: prodflow serve"},
    {"serve --min-free-disk lots", 2, "--min-free-disk must be a size", "Usage: prodflow serve"},
    {"validate", 2, "name one file", "Usage: prodflow validate"},
    {"validate a.json b.json", 2, "name one file", "Usage: prodflow validate"},
    {"node-definitions extra", 2, "unexpected arguments", "Usage: prodflow node-definitions"},
    {"token", 2, "name an action", "Usage: prodflow token"},
    {"token mint", 2, "unknown action \"mint\"", "Usage: prodflow token"},
    {"token create --name ci", 2, "give --name and at least one --role", "Usage: prodflow token"},
    {"token create --name ci --role wizard", 2, "the roles are viewer", "Usage: prodflow token"},
    {"token revoke", 2, "name one token id", "Usage: prodflow token"},
    {"migrate extra", 2, "unexpected arguments", "Usage: prodflow migrate"},
    {"store", 2, "name an action: copy", "Usage: prodflow store copy"},
    {"store copy --from sqlite:a.db", 2, "give --from and --to", "Usage: prodflow store copy"},
    {"cad", 2, "name an action", "Usage: prodflow cad"},
    {"cad inspect", 2, "name one file", "Usage: prodflow cad"},
    {"cad export gearbox.step", 2, "give -o OUT.glb", "Usage: prodflow cad"},
    {"cad fixture --bolts 2", 2, "give -o OUT.step", "Usage: prodflow cad"},
    {"worker extra", 2, "unexpected arguments", "Usage: prodflow worker"},
    {"module", 2, "name an action: list or run", "Usage: prodflow module"},
    {"module run", 2, "name one module key", "Usage: prodflow module"},
    {"module run cad.resolve_step_path --set path", 2, "must look like NAME=VALUE", "Usage: prodflow module"},
    {"module run cad.resolv_step_path", 2, "did you mean \"cad.resolve_step_path\"?", "Usage: prodflow module"},
    {"module run cad.resolve_step_path --set pth=x.step", 2, "did you mean \"path\"?", "Usage: prodflow module"},
    {"module run cad.resolve_step_path --set max_bytes=lots", 2, "/params/max_bytes", "Usage: prodflow module"},
    {"module run render.blender_still", 2, "needs its input \"glb\"", "Usage: prodflow module"},
    {"module run cad.resolve_step_path --input step=x.step", 2, "no input port \"step\"", "Usage: prodflow module"},
    {"render", 2, "-o OUT is required", "Usage: prodflow render"},
    {"render gearbox.step -o out.gif", 2, "the extension must be", "Usage: prodflow render"},
    {"render gearbox.step -o out.png --template studio_whte", 2, "did you mean \"studio_white\"?",
     "Usage: prodflow render"},
    {"render gearbox.step -o out.png --samples 0", 2, "/params/samples", "Usage: prodflow render"},
    {"run", 2, "name one STEP file", "Usage: prodflow run"},
    {"run gearbox.step", 2, "--output-type is required", "Usage: prodflow run"},
    {"run gearbox.step --output-type turntable_360 --set width", 2, "--set takes PARAM=VALUE", "Usage: prodflow run"},
    {"run gearbox.step --output-type studio_stil", 2, "did you mean \"studio_still\"?", "Usage: prodflow run"},
    {"run gearbox.step --output-type turntable_360 --set widht=64", 2, "did you mean \"width\"?",
     "Usage: prodflow run"},
    {"run gearbox.step --output-type turntable_360 --set frames=1", 2, "/overrides/frames", "Usage: prodflow run"},
    {"run gearbox.step --output-type studio_still --set width=10", 2, "takes no per-line overrides",
     "Usage: prodflow run"},
};

/* Failures that are not the command line's fault: exit 1, why, no usage. */
static const row failure_rows[] = {
    {"run missing.step --output-type studio_still", 1, "cannot find missing.step", NULL},
    {"run junk.step --output-type glb_model", 1, "is not a STEP file", NULL},
    {"render missing.step -o out.png", 1, "cannot find missing.step", NULL},
    {"render gearbox.step -o no-such-dir/out.png", 1, "its directory is missing", NULL},
    {"token revoke tok_nope", 1, "does not exist", NULL},
    {"serve --port 0 --store sqlite:/nonexistent-dir/x.db", 1, "cannot open the database", NULL},
};

/* Runs one row in dir: its code and message, its usage (or none) on
 * stderr, nothing on stdout, and no ./var left behind. */
static void check_row(const char *dir, const row *r) {
    /* In a subshell, as pf_test_sh joins its stderr to what it reads. */
    char *err_only = pf_asprintf("(cd %s && %s %s 2>&1 >/dev/null)", dir, PF_BIN, r->args);
    char *out_only = pf_asprintf("(cd %s && %s %s 2>/dev/null)", dir, PF_BIN, r->args);
    char *said = NULL, *printed = NULL;
    int code = pf_test_sh(err_only, &said);
    CHECK_MSG(code == r->code, "`prodflow %s` exited %d, not %d:\n%s", r->args, code, r->code, said);
    CHECK_MSG(strstr(said, r->says) != NULL, "`prodflow %s` did not say \"%s\" on stderr:\n%s", r->args, r->says, said);
    const char *why = strstr(said, r->says), *usage = strstr(said, "Usage: prodflow");
    if (r->usage)
        CHECK_MSG(usage && strstr(said, r->usage) && (!why || why <= usage || r->args[0] == '\0'),
                  "`prodflow %s` did not show \"%s\" after why on stderr:\n%s", r->args, r->usage, said);
    else
        CHECK_MSG(!usage, "`prodflow %s` failed with a usage on stderr:\n%s", r->args, said);
    pf_test_sh(out_only, &printed);
    CHECK_MSG(printed[0] == '\0', "`prodflow %s` printed on stdout:\n%s", r->args, printed);
    char *left = pf_asprintf("test ! -e %s/var", dir);
    CHECK_MSG(system(left) == 0, "`prodflow %s` left ./var behind", r->args);
    free(left);
    free(printed);
    free(said);
    free(out_only);
    free(err_only);
}

int main(void) {
    char *dir = pf_test_tmpdir("cli-args");
    char *cmd =
        pf_asprintf("cd %s && %s cad fixture -o gearbox.step --bolts 2 && printf 'junk' > junk.step", dir, PF_BIN);
    CHECK(pf_test_expect(cmd, 0, "gearbox"));
    free(cmd);

    for (size_t i = 0; i < sizeof usage_rows / sizeof *usage_rows; i++)
        check_row(dir, &usage_rows[i]);
    for (size_t i = 0; i < sizeof failure_rows / sizeof *failure_rows; i++)
        check_row(dir, &failure_rows[i]);

    /* A data directory that was there before is the user's: a failure keeps it. */
    cmd = pf_asprintf("(cd %s && mkdir kept && %s run junk.step --output-type glb_model --data-dir kept; "
                      "test -d kept/uploads)",
                      dir, PF_BIN);
    CHECK(pf_test_expect(cmd, 0, "is not a STEP file"));
    free(cmd);

    /* --json: one document on stdout whatever happens past the options. */
    static const struct {
        const char *args, *status, *says;
        int code;
    } json_rows[] = {
        {"run gearbox.step --output-type turntable_360 --set widht=64 --json", "refused", "did you mean \"width\"?", 2},
        {"run junk.step --output-type glb_model --json", "failed", "is not a STEP file", 1},
        {"run missing.step --output-type glb_model --json", "failed", "cannot find missing.step", 1},
        {"render gearbox.step -o out.png --template velvet --json", "refused", "no template \"velvet\"", 2},
    };
    for (size_t i = 0; i < sizeof json_rows / sizeof *json_rows; i++) {
        cmd = pf_asprintf("(cd %s && %s %s 2>/dev/null)", dir, PF_BIN, json_rows[i].args);
        char *out = NULL;
        int code = pf_test_sh(cmd, &out);
        json_error_t jerr;
        json_t *doc = json_loads(out, 0, &jerr);
        CHECK_MSG(code == json_rows[i].code, "`prodflow %s` exited %d", json_rows[i].args, code);
        CHECK_MSG(json_is_object(doc), "`prodflow %s` printed no one JSON document (%s):\n%s", json_rows[i].args,
                  jerr.text, out);
        const char *status = json_string_value(json_object_get(doc, "status"));
        CHECK_MSG(status && !strcmp(status, json_rows[i].status), "`prodflow %s`: status %s, not %s", json_rows[i].args,
                  status ? status : "(none)", json_rows[i].status);
        const char *message =
            json_string_value(json_object_get(json_array_get(json_object_get(doc, "errors"), 0), "message"));
        CHECK_MSG(message && strstr(message, json_rows[i].says), "`prodflow %s`: errors hold no \"%s\":\n%s",
                  json_rows[i].args, json_rows[i].says, out);
        json_decref(doc);
        free(out);
        free(cmd);
    }
    free(dir);
    return pf_check_done("cli_args");
}
