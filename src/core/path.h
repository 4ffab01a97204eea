/* Paths confined to a root, and whole-file I/O. Every char* result is
 * malloc'd and owned by the caller; a returned pf_error is too. */
#ifndef PF_CORE_PATH_H
#define PF_CORE_PATH_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Resolves user_path (relative to root, or absolute) to a real path inside
 * root. Refuses ".." escapes, absolute paths elsewhere and symlinks that
 * lead out (PF_EINVAL); a missing file is PF_ENOTFOUND. */
pf_error *pf_path_resolve_within(const char *root, const char *user_path, char **resolved_out);
/* The one check for a path a user names below a root (a param, a context
 * field): relative (relative_len bytes, so a NUL inside is seen) must be
 * plain names joined by '/': no "..", ".", empty names, leading '/',
 * backslashes, control characters or NUL, and no %XX escapes left
 * undecoded. Existing parts may be symlinks only when they resolve inside
 * root; parts that do not exist yet are fine (the caller creates them), and
 * so is a root that does not exist yet. Refusals are PF_EINVAL at pointer.
 * *resolved_out is root + "/" + relative, spelled from root as given. */
pf_error *pf_path_confine(const char *root, const char *relative, size_t relative_len, const char *pointer,
                          char **resolved_out);
/* mkdir -p. */
pf_error *pf_mkdirs(const char *path, mode_t mode);
/* text with each occurrence of the directory root (where it ends a path
 * component) replaced by label, so that an error shown to a client does
 * not tell where the server keeps its files: "cannot open
 * /srv/prodflow/cad/x.step" -> "cannot open DATA/cad/x.step". NULL when
 * text does not contain root (or root is shorter than 2 bytes); else
 * malloc'd. */
char *pf_path_hide(const char *text, const char *root, const char *label);
/* Deletes the files directly in dir (not its dot files or directories):
 * what an upload directory's tmp/ holds after a crash. How many. */
size_t pf_unlink_files(const char *dir);
/* rm -rf: removes path and everything below it, following no symlinks. */
pf_error *pf_remove_tree(const char *path);
/* Bytes in the regular files under dir, links not followed; 0 when it
 * cannot be read. */
uint64_t pf_tree_bytes(const char *dir);
/* Temp file in the same directory, fsync, rename, fsync of the directory. */
pf_error *pf_write_file_atomic(const char *path, const void *data, size_t n);
/* Gives a complete file (an upload's temporary file) its final name in
 * the same file system: fsync, rename, fsync of the directory, so the file
 * is whole under that name or absent, even after a crash. */
pf_error *pf_rename_durable(const char *tmp_path, const char *path);
/* Copies src to dst through a temp file beside dst, fsync and rename. */
pf_error *pf_copy_file_atomic(const char *src, const char *dst);
/* Reads a whole file (NUL-terminated); PF_ETOOLARGE over max_bytes. */
pf_error *pf_read_file(const char *path, size_t max_bytes, char **data_out, size_t *len_out);
/* The names of dir's *.json files, sorted (so what they define comes in a
 * stable order); NULL with *n = 0 when there are none or dir is absent.
 * Free with pf_names_free. */
char **pf_json_file_names(const char *dir, size_t *n);
void pf_names_free(char **names, size_t n);

#endif
