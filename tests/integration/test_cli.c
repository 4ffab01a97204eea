/* The CLI as a user runs it: help, validate, node-definitions, module run. */
#include "check.h"

#include "core/mem.h"
#include "store/store_backend.h" /* how many migrations there are */
#include "support/shell.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <string.h>

/* Runs a shell command line; returns its exit code and its output (owned). */
#define expect(cmd, code, phrase) CHECK(pf_test_expect(cmd, code, phrase))
#define expect_words(cmd, code, phrase) CHECK(pf_test_expect_words(cmd, code, phrase))

int main(void) {
    const char *subcommands[] = {"serve", "validate", "node-definitions", "module", "cad", "render"};
    expect(PF_BIN " --help", 0, "Commands:");
    expect(PF_BIN, 2, "Usage: prodflow");
    expect(PF_BIN " frobnicate", 2, "unknown command");
    for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++) {
        char *cmd = pf_asprintf("%s %s --help", PF_BIN, subcommands[i]);
        char *phrase = pf_asprintf("Usage: prodflow %s", subcommands[i]);
        expect(cmd, 0, phrase);
        free(cmd);
        free(phrase);
    }
    expect(PF_BIN " module run --help", 0, "--input PORT=FILE|JSON");

    expect(PF_BIN " validate " PF_SOURCE_DIR "/tests/fixtures/intake_valid.json", 0, "valid cad_file workflow");
    expect(PF_BIN " validate --json " PF_SOURCE_DIR "/tests/fixtures/intake_valid.json", 0, "\"valid\": true");
    expect(PF_BIN " validate " PF_SOURCE_DIR "/tests/fixtures/minimal.step", 1, "malformed JSON");
    expect(PF_BIN " validate /nonexistent/flow.json", 1, "/nonexistent/flow.json");
    for (const char *s = "cad_intake\0order_still\0order_turntable\0order_production_blend\0"; *s; s += strlen(s) + 1) {
        char *cmd = pf_asprintf("%s validate %s/share/workflows/%s.json", PF_BIN, PF_SOURCE_DIR, s);
        expect(cmd, 0, "valid");
        free(cmd);
    }

    char *dir = pf_test_tmpdir("cli");
    /* migrate and store copy on SQLite (test_store covers the PostgreSQL side) */
    expect(PF_BIN " migrate --help", 0, "Usage: prodflow migrate");
    expect(PF_BIN " store --help", 0, "Usage: prodflow store copy");
    expect(PF_BIN " store", 2, "Usage: prodflow store copy");
    char *cmd = pf_asprintf("%s migrate --store sqlite:%s/m.db --dry-run", PF_BIN, dir);
    char *would = pf_asprintf("%d migrations would run", pf_sqlite_n_migrations);
    expect(cmd, 0, would);
    free(would);
    free(cmd);
    cmd = pf_asprintf("test ! -e %s/m.db", dir);
    expect(cmd, 0, ""); /* a dry run creates nothing */
    free(cmd);
    cmd = pf_asprintf("%s migrate --store sqlite:%s/m.db", PF_BIN, dir);
    char *applied = pf_asprintf("%d migrations applied", pf_sqlite_n_migrations);
    expect(cmd, 0, applied);
    free(applied);
    expect(cmd, 0, "nothing to migrate");
    free(cmd);
    cmd = pf_asprintf("%s token create --store sqlite:%s/m.db --name t --role viewer", PF_BIN, dir);
    expect(cmd, 0, "");
    free(cmd);
    cmd = pf_asprintf("%s store copy --from sqlite:%s/m.db --to sqlite:%s/copy.db", PF_BIN, dir, dir);
    expect_words(cmd, 0, "items 1 rows");
    expect(cmd, 1, "already holds"); /* only into an empty store */
    free(cmd);
    char *bad = pf_asprintf("%s/bad.json", dir);
    FILE *f = fopen(bad, "w");
    fputs("{\"schema\":\"prodflow.workflow/v1\",\"id\":\"b\",\"name\":\"B\",\"family\":\"cad_file\","
          "\"nodes\":[{\"id\":\"r\",\"step\":\"cad.resolve_step_path\"},{\"id\":\"r\",\"step\":\"cad.export_glb\"}],"
          "\"edges\":[]}",
          f);
    fclose(f);
    cmd = pf_asprintf("%s validate %s", PF_BIN, bad);
    expect(cmd, 1, "/nodes/1/id: duplicate node id");
    free(cmd);

    expect(PF_BIN " node-definitions --family cad_file --compact", 0, "\"cad.resolve_step_path\"");
    expect(PF_BIN " node-definitions --family nope", 2, "unknown family");
    expect_words(PF_BIN " module list", 0, "order.resolve_line 1.0.0 available");

    cmd = pf_asprintf("cd %s && %s module run cad.resolve_step_path --set path=%s/tests/fixtures/minimal.step "
                      "--data-root %s --json -o %s/out",
                      dir, PF_BIN, PF_SOURCE_DIR, PF_SOURCE_DIR, dir);
    expect(cmd, 0, "\"sha256\"");
    free(cmd);
    cmd = pf_asprintf("test -s %s/out/outputs.json", dir);
    expect(cmd, 0, "");
    free(cmd);
    cmd = pf_asprintf("cd %s && %s module run cad.resolve_step_path --set path=/etc/hostname", dir, PF_BIN);
    expect(cmd, 1, "/etc/hostname");
    free(cmd);
    /* the module layer's refusals come before the module runs: usage errors (test_cli_args has more) */
    expect(PF_BIN " module run render.blender_still", 2, "needs its input \"glb\"");
    expect(PF_BIN " module run order.resolve_line", 1, "the run names no order line");
    expect(PF_BIN " module run cad.export_glb --input step=" PF_SOURCE_DIR
                  "/tests/fixtures/step/gearbox.step --set linear_deflection=fine",
           2, "/params/linear_deflection");
    expect(PF_BIN " module run cad.export_glb", 2, "needs its input \"step\"");
    expect_words(PF_BIN " cad inspect " PF_SOURCE_DIR "/tests/fixtures/step/gearbox.step", 0, " Bearing");
    expect(PF_BIN " cad inspect --json " PF_SOURCE_DIR "/tests/fixtures/step/gearbox.step", 0,
           "\"path\": \"/Gearbox/Bolt_M4[3]\"");
    expect(PF_BIN " cad inspect " PF_SOURCE_DIR "/tests/fixtures/intake_valid.json", 1, "not a STEP file");
    /* The hand-written gearbox has structure but no geometry: the kernel says so. */
    expect(PF_BIN " cad inspect --full " PF_SOURCE_DIR "/tests/fixtures/step/gearbox.step", 1, "no geometry");
    cmd =
        pf_asprintf("%s module run cad.extract_objects --input step=%s/tests/fixtures/step/gearbox.step -o %s/objects "
                    "--json",
                    PF_BIN, PF_SOURCE_DIR, dir);
    expect(cmd, 0, "\"instances\": 8");
    free(cmd);
    cmd = pf_asprintf("test -s %s/objects/objects.json", dir);
    expect(cmd, 0, "");
    free(cmd);
    cmd = pf_asprintf(
        "%s module run cad.extract_objects --input step=%s/tests/fixtures/step/gearbox.step --set mode=full "
        "-o %s/objects",
        PF_BIN, PF_SOURCE_DIR, dir);
    expect(cmd, 1, "no geometry");
    free(cmd);
    /* A model.glb of the user's beside OUT stays theirs; the export's
     * scratch directory goes. */
    cmd = pf_asprintf("printf mine > %s/model.glb && %s cad export /usr/share/opencascade/data/step/screw.step -o "
                      "%s/screw.glb --deflection 0.2",
                      dir, PF_BIN, dir);
    expect(cmd, 0, "triangles");
    free(cmd);
    cmd = pf_asprintf("test -s %s/screw.glb && test \"$(cat %s/model.glb)\" = mine && ls -a %s", dir, dir, dir);
    char *listed = NULL;
    CHECK_INT(pf_test_sh(cmd, &listed), 0);
    CHECK_MSG(listed && !strstr(listed, ".prodflow-export-"), "left behind: %s", listed);
    free(listed);
    free(cmd);
    /* From the command line too the export runs in a child under the
     * module's limits: past a small one it stops, says which, and leaves
     * neither a GLB nor its scratch directory. The child is over 20 MiB
     * once OCCT is loaded, before its first progress line, and every line
     * it writes has its memory looked at. */
    cmd = pf_asprintf("%s cad export /usr/share/opencascade/data/step/screw.step -o %s/limited.glb --memory-limit 20M",
                      PF_BIN, dir);
    expect(cmd, 1, "cad.export_glb went past its 20 MiB memory limit");
    free(cmd);
    cmd = pf_asprintf("test ! -e %s/limited.glb && ls -a %s", dir, dir);
    CHECK_INT(pf_test_sh(cmd, &listed), 0);
    CHECK_MSG(listed && !strstr(listed, ".prodflow-export-"), "left behind: %s", listed);
    free(listed);
    free(cmd);
    cmd = pf_asprintf("%s module run cad.export_glb --input step=/usr/share/opencascade/data/step/screw.step -o "
                      "%s/limited --memory-limit 20M",
                      PF_BIN, dir);
    expect(cmd, 1, "cad.export_glb went past its 20 MiB memory limit");
    free(cmd);
    expect(PF_BIN " cad export /usr/share/opencascade/data/step/screw.step -o /tmp/x.glb --memory-limit lots", 2,
           "--memory-limit takes [QUEUE=]SIZE");
    expect(PF_BIN " cad export /usr/share/opencascade/data/step/screw.step -o /nonexistent-dir/x.glb", 1,
           "cannot write beside /nonexistent-dir/x.glb");
    expect(PF_BIN " cad export /nonexistent.step -o /tmp/x.glb", 1, "cannot find /nonexistent.step");
    cmd = pf_asprintf("%s cad fixture -o %s/fixture.step --bolts 3 && %s cad inspect %s/fixture.step", PF_BIN, dir,
                      PF_BIN, dir);
    expect_words(cmd, 0, " Bolt_M4_3 rgb(0.033, 0.033, 0.033)");
    free(cmd);
    cmd = pf_asprintf("%s cad inspect --full %s/fixture.step", PF_BIN, dir);
    expect_words(cmd, 0, "Housing rgb(0.604, 0.010, 0.010) size 120.0 x 80.0 x 60.0 mm 12 triangles");
    free(cmd);
    expect(PF_BIN " cad fixture -o /nonexistent-dir/x.step", 1, "cannot make the fixture");
    free(bad);
    free(dir);
    return pf_check_done("cli");
}
