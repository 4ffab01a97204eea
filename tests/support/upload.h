/* A product's STEP file, made and uploaded as a user would. */
#ifndef PF_TESTS_UPLOAD_H
#define PF_TESTS_UPLOAD_H

#include "support/server.h"

/* Makes the pump fixture (two bolts) as DIR/NAME.step, uploads it as a new
 * CAD file (a CHECK expects 201) and returns the CAD file's id, owned;
 * "" when the upload failed. The intake starts on the server. */
char *pf_test_upload_pump(const pf_test_server *srv, const char *dir, const char *name);

#endif
