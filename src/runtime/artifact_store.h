/* The content-addressed artifact store under the data directory:
 * <data>/artifacts/sha256/ab/<digest>. Files arrive atomically (temp file,
 * fsync, rename), so a reader never sees half an artifact. */
#ifndef PF_RUNTIME_ARTIFACT_STORE_H
#define PF_RUNTIME_ARTIFACT_STORE_H

#include "core/error.h"

#include <stdbool.h>

/* Copies the file at src into the store unless its digest is there already;
 * a src inside data_dir that is named by its digest (DATA/cad/<digest>.step)
 * is hard-linked instead, so its bytes are stored once. sha256 is its hex
 * digest. *stored_path (caller frees) is where it lives. */
pf_error *pf_artifact_store_put(const char *data_dir, const char *src, const char *sha256, char **stored_path);
/* Moves a file that arrived whole (an upload under DATA/artifacts/tmp,
 * on the same file system) into the store under sha256, its digest, unless
 * that digest is there already; the caller has checked the digest. */
pf_error *pf_artifact_store_adopt(const char *data_dir, const char *src, const char *sha256);
/* Where a digest lives; caller frees. */
char *pf_artifact_store_path(const char *data_dir, const char *sha256);
/* 64 lower-case hex digits. */
bool pf_artifact_is_digest(const char *s);

#endif
