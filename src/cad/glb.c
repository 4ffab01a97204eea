#include "cad/glb.h"

#include "core/json_text.h"
#include "core/mem.h"
#include "core/path.h"

#include <stdbool.h>
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

/* The JSON text is OCCT's writer's or a model's own; the scanner below
 * only finds where a top-level member's value begins and ends, and jansson
 * parses that value, so a malformed value is still refused. */

static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

static size_t skip_space(const char *t, size_t n, size_t i) {
    while (i < n && is_space(t[i]))
        i++;
    return i;
}

/* From the opening quote at i to just past the closing one; n when unfinished. */
static size_t skip_string(const char *t, size_t n, size_t i) {
    for (i++; i < n; i++) {
        if (t[i] == '\\')
            i++;
        else if (t[i] == '"')
            return i + 1;
    }
    return n;
}

/* Just past the value that starts at i; n when it is unfinished. */
static size_t skip_value(const char *t, size_t n, size_t i) {
    if (i < n && t[i] == '"') return skip_string(t, n, i);
    if (i < n && (t[i] == '{' || t[i] == '[')) {
        size_t depth = 0;
        while (i < n) {
            char c = t[i];
            if (c == '"') {
                i = skip_string(t, n, i);
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                return i + 1;
            i++;
        }
        return n;
    }
    while (i < n && t[i] != ',' && t[i] != '}' && t[i] != ']' && !is_space(t[i]))
        i++; /* a number, true, false or null */
    return i;
}

typedef enum { MEMBER_FOUND, MEMBER_ABSENT, MEMBER_MALFORMED } member_search;

/* Finds the value of the top-level member name: [*at, *end). Absent only
 * when the object was read to its closing brace. */
static member_search find_member(const char *t, size_t n, const char *name, size_t *at, size_t *end) {
    size_t i = skip_space(t, n, 0), name_len = strlen(name);
    if (i >= n || t[i] != '{') return MEMBER_MALFORMED;
    i = skip_space(t, n, i + 1);
    if (i < n && t[i] == '}') return MEMBER_ABSENT;
    while (i < n && t[i] == '"') {
        size_t key = i + 1, after = skip_string(t, n, i);
        bool match = after < n && after - key - 1 == name_len && memcmp(t + key, name, name_len) == 0;
        i = skip_space(t, n, after);
        if (i >= n || t[i] != ':') return MEMBER_MALFORMED;
        i = skip_space(t, n, i + 1);
        size_t value_end = skip_value(t, n, i);
        if (value_end >= n || value_end == i) return MEMBER_MALFORMED; /* the object's "}" is still to come */
        if (match) {
            *at = i, *end = value_end;
            return MEMBER_FOUND;
        }
        i = skip_space(t, n, value_end);
        if (i < n && t[i] == '}') return MEMBER_ABSENT;
        if (i >= n || t[i] != ',') return MEMBER_MALFORMED;
        i = skip_space(t, n, i + 1);
    }
    return MEMBER_MALFORMED;
}

/* Writes path anew from its data with the JSON chunk replaced by
 * json[0..jlen); the binary chunk is kept as it is. */
static pf_error *write_with_json(const char *path, const char *data, size_t len, size_t at, size_t n, const char *json,
                                 size_t jlen) {
    size_t padded = (jlen + 3) & ~(size_t)3, rest = len - at - n;
    size_t total = 20 + padded + rest;
    if (total > GLB_MAX_BYTES) return pf_error_new(PF_ELIMIT, "", "%s would be larger than 4 GiB", path);
    char *out = pf_xmalloc(total);
    memcpy(out, data, 20);
    put_le32(out + 8, (uint32_t)total);
    put_le32(out + 12, (uint32_t)padded);
    memcpy(out + 20, json, jlen);
    memset(out + 20 + jlen, ' ', padded - jlen); /* the spec pads JSON with spaces */
    memcpy(out + 20 + padded, data + at + n, rest);
    pf_error *err = pf_write_file_atomic(path, out, total);
    free(out);
    return err;
}

pf_error *pf_glb_update_member(const char *path, const char *name, pf_glb_edit_fn edit, void *user) {
    char *data = NULL;
    size_t len = 0, at = 0, n = 0, from = 0, to = 0;
    pf_error *err = pf_read_file(path, GLB_MAX_BYTES, &data, &len);
    if (!err) err = parse(path, data, len, &at, &n);
    member_search found = err ? MEMBER_MALFORMED : find_member(data + at, n, name, &from, &to);
    if (!err && found == MEMBER_ABSENT)
        err = pf_error_new(PF_ENOTFOUND, "", "%s: the glTF JSON has no member \"%s\"", path, name);
    else if (!err && found == MEMBER_MALFORMED)
        err = pf_error_new(PF_EINVAL, "", "%s: the glTF JSON is not a JSON object", path);
    json_t *value = NULL;
    if (!err) {
        json_error_t jerr;
        value = json_loadb(data + at + from, to - from, 0, &jerr);
        if (!value) err = pf_error_new(PF_EINVAL, "", "%s: \"%s\" does not parse: %s", path, name, jerr.text);
    }
    if (!err) err = edit(value, user);
    char *text = err ? NULL : pf_json_text(value, false);
    if (!err && !text) err = pf_error_new(PF_EINTERNAL, "", "cannot serialise the glTF JSON for %s", path);
    if (!err) {
        size_t tlen = strlen(text), jlen = n - (to - from) + tlen;
        char *json = pf_xmalloc(jlen);
        memcpy(json, data + at, from);
        memcpy(json + from, text, tlen);
        memcpy(json + from + tlen, data + at + to, n - to);
        err = write_with_json(path, data, len, at, n, json, jlen);
        free(json);
    }
    free(text);
    json_decref(value);
    free(data);
    return err;
}
