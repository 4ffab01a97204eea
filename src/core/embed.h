/* Files compiled into the binary (see cmake/embed.cmake). Read-only. */
#ifndef PF_CORE_EMBED_H
#define PF_CORE_EMBED_H

#include <stddef.h>

typedef struct pf_embedded_file {
    const char *path; /* relative to src/, e.g. "modules/cad/export_glb.json" */
    const char *data; /* NUL-terminated */
    size_t size;
} pf_embedded_file;

/* Terminated by an entry whose path is NULL. */
extern const pf_embedded_file pf_embedded_files[];

const pf_embedded_file *pf_embed_find(const char *path);

#endif
