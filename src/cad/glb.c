#include "cad/glb.h"

#include "core/json_text.h"
#include "core/mem.h"
#include "core/path.h"

#include <stdint.h>
#include <string.h>

#define GLB_MAGIC 0x46546C67u /* "glTF" */
#define CHUNK_JSON 0x4E4F534Au
#define GLB_MAX_BYTES ((size_t)4 << 30)

static uint32_t le32(const char *p) {
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void put_le32(char *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (char)(v >> (8 * i));
}

/* Checks the header and finds the JSON chunk: [json_at, json_at + json_len). */
static pf_error *parse(const char *path, const char *data, size_t len, size_t *json_at, size_t *json_len) {
    if (len < 20 || le32(data) != GLB_MAGIC)
        return pf_error_new(PF_EINVAL, "", "%s is not a GLB file (no glTF header)", path);
    if (le32(data + 8) != len)
        return pf_error_new(PF_EINVAL, "", "%s is truncated: its header says %u bytes", path, le32(data + 8));
    size_t n = le32(data + 12);
    if (le32(data + 16) != CHUNK_JSON || 20 + n > len)
        return pf_error_new(PF_EINVAL, "", "%s has no JSON chunk first", path);
    *json_at = 20, *json_len = n;
    return NULL;
}

pf_error *pf_glb_read_json(const char *path, json_t **doc_out) {
    char *data = NULL;
    size_t len = 0, at = 0, n = 0;
    pf_error *err = pf_read_file(path, GLB_MAX_BYTES, &data, &len);
    if (!err) err = parse(path, data, len, &at, &n);
    if (!err) {
        json_error_t jerr;
        *doc_out = json_loadb(data + at, n, 0, &jerr);
        if (!*doc_out) err = pf_error_new(PF_EINVAL, "", "%s: the JSON chunk does not parse: %s", path, jerr.text);
    }
    free(data);
    return err;
}

pf_error *pf_glb_write_json(const char *path, const json_t *doc) {
    char *data = NULL;
    size_t len = 0, at = 0, n = 0;
    pf_error *err = pf_read_file(path, GLB_MAX_BYTES, &data, &len);
    if (!err) err = parse(path, data, len, &at, &n);
    char *json = err ? NULL : pf_json_text(doc, false);
    if (json) {
        size_t jlen = strlen(json), padded = (jlen + 3) & ~(size_t)3, rest = len - at - n;
        size_t total = 20 + padded + rest;
        char *out = pf_xmalloc(total);
        memcpy(out, data, 20);
        put_le32(out + 8, (uint32_t)total);
        put_le32(out + 12, (uint32_t)padded);
        memcpy(out + 20, json, jlen);
        memset(out + 20 + jlen, ' ', padded - jlen); /* the spec pads JSON with spaces */
        memcpy(out + 20 + padded, data + at + n, rest);
        err = pf_write_file_atomic(path, out, total);
        free(out);
        free(json);
    } else if (!err) {
        err = pf_error_new(PF_EINTERNAL, "", "cannot serialise the glTF JSON for %s", path);
    }
    free(data);
    return err;
}
