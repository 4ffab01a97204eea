/* pf_path_hide: an absolute server directory in a message becomes a label,
 * only where the directory ends a path component. */
#include "check.h"

#include "core/path.h"

#include <stdlib.h>

static void hides(const char *text, const char *root, const char *want) {
    char *got = pf_path_hide(text, root, "DATA");
    if (want)
        CHECK_STR(got, want);
    else
        CHECK_MSG(got == NULL, "%s: got %s", text, got);
    free(got);
}

int main(void) {
    hides("cannot open /srv/pf/cad/x.step: No such file", "/srv/pf", "cannot open DATA/cad/x.step: No such file");
    hides("cannot open /srv/pf/cad/x.step", "/srv/pf/", "cannot open DATA/cad/x.step");
    hides("/srv/pf and /srv/pf/a", "/srv/pf", "DATA and DATA/a");
    hides("\"/srv/pf\"", "/srv/pf", "\"DATA\"");
    hides("/srv/pf2/x is another directory", "/srv/pf", NULL);
    hides("/srv/pf.old/x", "/srv/pf", NULL);
    hides("nothing here", "/srv/pf", NULL);
    hides("short root", "/", NULL);
    hides("no root", NULL, NULL);
    return pf_check_done("core_path_hide");
}
