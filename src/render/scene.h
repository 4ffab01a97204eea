/* Template scenes: the .blend files a blend_scene template renders in.
 * They arrive by upload through the API and are named by key, never by
 * path: DATA/scenes/<key>.blend, or share/scenes/<key>.blend for shipped
 * ones (the data directory wins on a shared key, as for templates). A
 * template that could name a path could name any file on the host, and
 * its answer would tell whether that file exists. */
#ifndef PF_RENDER_SCENE_H
#define PF_RENDER_SCENE_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>

/* Bytes of a .blend's header: "BLENDER", pointer size, endianness, version. */
#define PF_SCENE_HEADER_BYTES 12

/* 1 to 64 of a-z, 0-9, '_' and '-', starting with a letter or digit: no
 * '.', '/' or '%', so a key can never spell a path. */
bool pf_scene_key_valid(const char *key);

/* The message for a value that is not a scene key (a path, say). It names
 * no file, so it says nothing of what exists on the host. */
#define PF_SCENE_KEY_RULE                                                                                              \
    "a scene is named by its key (1 to 64 of a-z, 0-9, _ and -), never by a file path: upload the .blend with "        \
    "PUT /api/scenes/{key} and give that key here"

/* The file of the scene key for a template: the data directory's, else
 * the shipped one. PF_EINVAL at pointer when key is not a key, PF_ENOTFOUND
 * at pointer when no scene has that key. Either root may be NULL. */
pf_error *pf_scene_find(const char *share_dir, const char *data_root, const char *key, const char *pointer,
                        char **path_out);

/* Where an upload of key is kept (DATA/scenes/<key>.blend), through the
 * one safe-path check; PF_EINVAL at pointer when key is not a key. */
pf_error *pf_scene_data_path(const char *data_root, const char *key, const char *pointer, char **path_out);

/* Deletes uploads a crash left in DATA/scenes/tmp (at start-up); how many. */
size_t pf_scene_uploads_sweep(const char *data_root);

/* NULL when head (n bytes, the file's first) is an uncompressed .blend's
 * header; else why not, for the client. A compressed .blend is refused
 * here: only Blender could look inside it. */
const char *pf_scene_sniff(const unsigned char *head, size_t n);

#endif
