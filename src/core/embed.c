#include "core/embed.h"

#include <string.h>

const pf_embedded_file *pf_embed_find(const char *path) {
    for (const pf_embedded_file *f = pf_embedded_files; f->path; f++)
        if (strcmp(f->path, path) == 0) return f;
    return NULL;
}
