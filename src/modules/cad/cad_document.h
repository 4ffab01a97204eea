/* Shared by the cad.* modules that need the kernel: open the step input and
 * mesh it with the module's deflection params, mapping kernel statuses to
 * errors that name the input. */
#ifndef PF_MODULES_CAD_DOCUMENT_H
#define PF_MODULES_CAD_DOCUMENT_H

#include "cad/cad_kernel.h"
#include "modules/module.h"

pf_error *pf_cad_open_meshed(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, pf_cad_doc **out);
pf_error *pf_cad_error(pf_cad_status status, const char *pointer);

#endif
