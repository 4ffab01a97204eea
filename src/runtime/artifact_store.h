/* The content-addressed artifact store under the data directory:
 * <data>/artifacts/sha256/ab/<digest>. Files arrive atomically (temp file,
 * fsync, rename), so a reader never sees half an artifact. */
#ifndef PF_RUNTIME_ARTIFACT_STORE_H
#define PF_RUNTIME_ARTIFACT_STORE_H

#include "core/error.h"

/* Copies the file at src into the store unless its digest is there already.
 * sha256 is its hex digest. *stored_path (caller frees) is where it lives. */
pf_error *pf_artifact_store_put(const char *data_dir, const char *src, const char *sha256, char **stored_path);
/* Where a digest lives; caller frees. */
char *pf_artifact_store_path(const char *data_dir, const char *sha256);

#endif
