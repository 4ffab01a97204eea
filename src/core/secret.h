/* The server's own secrets: a key made once and kept in a file. */
#ifndef PF_CORE_SECRET_H
#define PF_CORE_SECRET_H

#include "core/error.h"

/* Reads the secret kept at path; when there is no file, makes one first:
 * 32 random bytes as 64 hex digits, mode 0600, created under a temporary
 * name and linked into place, so a reader never sees half a key and two
 * servers starting at once end up with the same one. Missing parent
 * directories are made (0700). *secret_out is malloc'd, without the
 * trailing newline; an empty file is PF_EINVAL. */
pf_error *pf_secret_load_or_create(const char *path, char **secret_out);

#endif
