/* Files that modules write into their work directory, described as port
 * values: {"path", "sha256", "size", "media_type"}. */
#ifndef PF_MODULES_MODULE_FILES_H
#define PF_MODULES_MODULE_FILES_H

#include "modules/module.h"

/* Writes doc as <work_dir>/<name>; *value is a new reference. */
pf_error *pf_module_write_json(const pf_module_ctx *ctx, const char *name, const json_t *doc, json_t **value);
/* Describes an existing file; *value is a new reference. */
pf_error *pf_module_file_value(const char *path, const char *media_type, json_t **value);
/* Parses the JSON file a port value points at; *out is a new reference. */
pf_error *pf_module_read_json_input(const json_t *value, const char *pointer, json_t **out);
/* The work directory, created on first use (runs create none up front, so
 * modules that write nothing cost no mkdir). */
const char *pf_module_work_dir(const pf_module_ctx *ctx);
/* <work_dir>/<name>, the directory created; caller frees. */
char *pf_module_work_path(const pf_module_ctx *ctx, const char *name);

#endif
