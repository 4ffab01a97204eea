/* A product to render in module tests: the generated gearbox (cad/fixture)
 * exported to GLB with its bounding box by the real CAD modules, and the
 * modules invoked in place against it. */
#ifndef PF_TEST_PRODUCT_H
#define PF_TEST_PRODUCT_H

#include "modules/invoke.h"

#include <jansson.h>

typedef struct {
    const pf_registry *reg; /* borrowed */
    char *dir;              /* a fresh directory: the data root */
    char *share;            /* the source tree's share/ */
    json_t *glb, *bbox;     /* cad.export_glb's and cad.compute_bbox's outputs */
} pf_test_product;

/* Makes the gearbox with `bolts` bolts under a fresh directory named after
 * name and exports it; false (with CHECKs failed) when that did not work. */
bool pf_test_product_make(pf_test_product *p, const pf_registry *reg, const char *name, int bolts);
void pf_test_product_free(pf_test_product *p);

/* Invokes the module key on the product's directories in a fresh work
 * directory, CHECKing that it succeeds; takes inputs and params (either
 * may be NULL); progress (may be NULL) hears the module's progress. The
 * outputs, or NULL. */
json_t *pf_test_product_invoke(const pf_test_product *p, const char *key, json_t *inputs, json_t *params,
                               void (*progress)(void *user, double fraction, const char *message), void *progress_user);

#endif
