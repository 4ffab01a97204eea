/* `prodflow render` as the README's first job runs it: a STEP fixture to a
 * PNG, a WebP thumbnail and an MP4 through real OCCT and Blender, and clear
 * failures for a wrong extension, a missing file and an unknown template. */
#include "check.h"

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

    cmd = pf_asprintf("%s render %s/gearbox.step -o %s/thumb.webp --width 48", PF_BIN, dir, dir);
    expect(cmd, 0, "preview_thumbnail from");
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
    expect(cmd, 1, "no template \"velvet\"");
    free(cmd);
    free(dir);
    return pf_check_done("cli_render");
}
