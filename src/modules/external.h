/* External modules: an operator's own step whose body is somebody else's
 * Celery task (a studio's watermarking step, served by a Python worker).
 * Each is a contract file in DATA/modules/NAME.json that names the task and
 * its queue; it joins the families it names, validates and runs in graphs
 * like any module, sent through the broker with the same kwargs as
 * Prodflow's own tasks (docs/scale-out.md, "External modules"). Read once
 * at start-up. */
#ifndef PF_MODULES_EXTERNAL_H
#define PF_MODULES_EXTERNAL_H

#include "core/error.h"
#include "modules/module.h"

#include <stddef.h>

/* A contract file larger than this is refused before it is parsed. */
#define PF_EXTERNAL_CONTRACT_MAX (256u << 10)

typedef struct pf_external_modules pf_external_modules;

/* Reads data_dir/modules/NAME.json. Every problem is appended to errs, named
 * by its file ("modules/watermark.json") and a pointer into it; the result
 * is NULL when there is any. No directory is no external modules. */
pf_external_modules *pf_external_modules_load(const char *data_dir, pf_errors *errs);
void pf_external_modules_free(pf_external_modules *ext);

/* The descriptors, for pf_registry_extra; borrowed from ext, which must
 * outlive the registry. */
const pf_module_desc *const *pf_external_modules_descs(const pf_external_modules *ext, size_t *n);

#endif
