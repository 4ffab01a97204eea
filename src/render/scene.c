#include "render/scene.h"

#include "core/mem.h"
#include "core/path.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool pf_scene_key_valid(const char *key) {
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '-'));
        if (!ok) return false;
    }
    return true;
}

/* root/scenes/<key>.blend through pf_path_confine: the key is already a
 * plain name, and the confinement also refuses a scenes/ symlink that
 * leads out of the root. */
static pf_error *scene_path(const char *root, const char *key, const char *pointer, char **path_out) {
    *path_out = NULL;
    if (!pf_scene_key_valid(key)) return pf_error_new(PF_EINVAL, pointer, "%s", PF_SCENE_KEY_RULE);
    char *rel = pf_asprintf("scenes/%s.blend", key);
    pf_error *err = pf_path_confine(root, rel, strlen(rel), pointer, path_out);
    free(rel);
    return err;
}

pf_error *pf_scene_data_path(const char *data_root, const char *key, const char *pointer, char **path_out) {
    return scene_path(data_root, key, pointer, path_out);
}

pf_error *pf_scene_find(const char *share_dir, const char *data_root, const char *key, const char *pointer,
                        char **path_out) {
    *path_out = NULL;
    if (!pf_scene_key_valid(key)) return pf_error_new(PF_EINVAL, pointer, "%s", PF_SCENE_KEY_RULE);
    const char *roots[2] = {data_root, share_dir};
    for (int i = 0; i < 2; i++) {
        char *path = NULL;
        pf_error *err = roots[i] ? scene_path(roots[i], key, pointer, &path) : NULL;
        if (err) return err;
        if (path && access(path, R_OK) == 0) {
            *path_out = path;
            return NULL;
        }
        free(path);
    }
    return pf_error_new(PF_ENOTFOUND, pointer,
                        "no scene \"%s\" has been uploaded; upload the .blend with PUT /api/scenes/%s", key, key);
}

size_t pf_scene_uploads_sweep(const char *data_root) {
    char *dir = pf_asprintf("%s/scenes/tmp", data_root);
    size_t n = pf_unlink_files(dir);
    free(dir);
    return n;
}

const char *pf_scene_sniff(const unsigned char *head, size_t n) {
    if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        return "the .blend is compressed (gzip); save it without compression and upload it again";
    if (n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
        return "the .blend is compressed (Zstandard); save it without compression and upload it again";
    bool ok = n >= PF_SCENE_HEADER_BYTES && memcmp(head, "BLENDER", 7) == 0 && (head[7] == '_' || head[7] == '-') &&
              (head[8] == 'v' || head[8] == 'V');
    for (size_t i = 9; ok && i < 12; i++)
        ok = head[i] >= '0' && head[i] <= '9';
    return ok ? NULL : "the upload is not a Blender file: it does not start with the BLENDER header";
}
