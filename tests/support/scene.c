#include "support/scene.h"
#include "support/shell.h"

#include "core/mem.h"
#include "core/path.h"

#include <stdlib.h>
#include <unistd.h>

/* The controlled start the product uses: factory settings, auto-run off. */
static bool blender_script(const char *script, const char *const *args) {
    const char *argv[12] = {"blender", "-b", "--factory-startup", "--disable-autoexec", "-noaudio", "--python",
                            script,    "--"};
    size_t n = 8;
    for (size_t i = 0; args[i] && n < 11; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return pf_test_run_argv(argv);
}

bool pf_test_make_scene(const char *out, const char *kind, const char *marker) {
    const char *args[] = {out, kind, marker, NULL};
    return blender_script(PF_SOURCE_DIR "/tests/fixtures/scenes/make_scene.py", args);
}

json_t *pf_test_inspect_blend(const char *path) {
    char *out = pf_asprintf("%s.inspect.json", path);
    const char *args[] = {path, out, NULL};
    json_t *doc = blender_script(PF_SOURCE_DIR "/tests/fixtures/scenes/inspect_blend.py", args)
                      ? json_load_file(out, 0, NULL)
                      : NULL;
    unlink(out);
    free(out);
    return doc;
}
