/* `prodflow render` as the README's first job runs it: a STEP fixture to a
 * PNG, a WebP thumbnail and an MP4 through real OCCT and Blender, and clear
 * failures for a wrong extension, a missing file and an unknown template. */
#include "check.h"

#include "core/json.h"
#include "core/mem.h"
#include "support/png.h"
#include "support/shell.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <string.h>

#define expect(cmd, code, phrase) CHECK(pf_test_expect(cmd, code, phrase))

int main(void) {
    char *dir = pf_test_tmpdir("cli-render");
    char *cmd = pf_asprintf("%s cad fixture -o %s/gearbox.step --bolts 3", PF_BIN, dir);
    expect(cmd, 0, "gearbox");
    free(cmd);

    cmd =
        pf_asprintf("%s render %s/gearbox.step -o %s/gearbox.png --width 64 --height 48 --samples 2", PF_BIN, dir, dir);
    expect(cmd, 0, "still_image from");
    free(cmd);
    char *png = pf_asprintf("%s/gearbox.png", dir);
    pf_test_image img;
    CHECK(pf_test_png_read(png, &img) == 0);
    CHECK_INT(img.width, 64);
    CHECK_INT(img.height, 48);
    pf_test_image_free(&img);
    free(png);

    /* --json: one document on stdout, the progress on stderr */
    cmd = pf_asprintf("(%s render %s/gearbox.step -o %s/thumb.webp --width 48 --json 2>/dev/null)", PF_BIN, dir, dir);
    char *out = NULL;
    CHECK_INT(pf_test_sh(cmd, &out), 0);
    json_t *doc = json_loads(out, 0, NULL);
    CHECK_MSG(json_is_object(doc), "stdout is not one JSON document:\n%s", out);
    CHECK_STR(json_string_value(json_object_get(doc, "status")), "succeeded");
    CHECK_STR(json_string_value(json_object_get(doc, "artifact_kind")), "preview_thumbnail");
    char *thumb = pf_asprintf("%s/thumb.webp", dir);
    CHECK_STR(json_string_value(json_object_get(doc, "output")), thumb);
    free(thumb);
    CHECK_INT(json_array_size(json_object_get(doc, "steps")), 7);
    json_decref(doc);
    free(out);
    free(cmd);
    cmd = pf_asprintf("%s render %s/gearbox.step -o %s/spin.mp4 --width 32 --height 32 --samples 1 --frames 4 && "
                      "ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 %s/spin.mp4",
                      PF_BIN, dir, dir, dir);
    expect(cmd, 0, "\n4");
    free(cmd);

    cmd = pf_asprintf("%s render %s/gearbox.step -o %s/out.gif", PF_BIN, dir, dir);
    expect(cmd, 2, "the extension must be");
    free(cmd);
    cmd = pf_asprintf("%s render %s/missing.step -o %s/out.png", PF_BIN, dir, dir);
    expect(cmd, 1, "cannot find");
    free(cmd);
    cmd = pf_asprintf("%s render %s/gearbox.step -o %s/out.png --template velvet", PF_BIN, dir, dir);
    expect(cmd, 2, "no template \"velvet\"");
    free(cmd);
    free(dir);
    return pf_check_done("cli_render");
}
