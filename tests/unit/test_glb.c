/* The GLB container: changing one top-level member of the JSON chunk
 * parses that member alone and keeps the rest of the file byte for byte;
 * strings with brackets, quotes and escapes do not fool the scanner; a
 * missing member, a malformed value or a file that is no GLB is refused. */
#include "check.h"

#include "cad/glb.h"
#include "core/mem.h"
#include "core/path.h"
#include "support/tmpdir.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void put_le32(char *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (char)(v >> (8 * i));
}

/* Writes a GLB with the given JSON text (padded with spaces) and a binary
 * chunk of eight known bytes. */
static void write_glb(const char *path, const char *json) {
    size_t jlen = strlen(json), padded = (jlen + 3) & ~(size_t)3, total = 20 + padded + 16;
    char *out = pf_xcalloc(total, 1);
    memcpy(out, "glTF", 4);
    put_le32(out + 4, 2);
    put_le32(out + 8, (uint32_t)total);
    put_le32(out + 12, (uint32_t)padded);
    memcpy(out + 16, "JSON", 4);
    memcpy(out + 20, json, jlen);
    memset(out + 20 + jlen, ' ', padded - jlen);
    put_le32(out + 20 + padded, 8);
    memcpy(out + 24 + padded, "BIN\0binary!!", 12);
    pf_error *err = pf_write_file_atomic(path, out, total);
    CHECK(!err);
    pf_error_free(err);
    free(out);
}

/* The JSON chunk's text (trailing padding dropped) and the bytes after it. */
static char *json_text(const char *path, char **tail, size_t *tail_len) {
    char *data = NULL;
    size_t len = 0;
    pf_error *err = pf_read_file(path, 1u << 20, &data, &len);
    CHECK(!err);
    pf_error_free(err);
    if (!data || len < 20) {
        free(data);
        return NULL;
    }
    uint32_t n = (uint32_t)(unsigned char)data[12] | (uint32_t)(unsigned char)data[13] << 8 |
                 (uint32_t)(unsigned char)data[14] << 16 | (uint32_t)(unsigned char)data[15] << 24;
    CHECK(n % 4 == 0 && 20 + n <= len);
    uint32_t total = (uint32_t)(unsigned char)data[8] | (uint32_t)(unsigned char)data[9] << 8 |
                     (uint32_t)(unsigned char)data[10] << 16 | (uint32_t)(unsigned char)data[11] << 24;
    CHECK(total == len);
    char *text = pf_strndup(data + 20, n);
    for (size_t k = strlen(text); k > 0 && text[k - 1] == ' '; k--)
        text[k - 1] = '\0';
    *tail_len = len - 20 - n;
    *tail = pf_xmalloc(*tail_len);
    memcpy(*tail, data + 20 + n, *tail_len);
    free(data);
    return text;
}

static pf_error *tag_first(json_t *nodes, void *user) {
    json_object_set_new(json_array_get(nodes, 0), "extras", json_pack("{s:s}", "prodflow_path", (const char *)user));
    return NULL;
}

static pf_error *refuse(json_t *value, void *user) {
    (void)value;
    (void)user;
    return pf_error_new(PF_EINVAL, "/nodes", "refused by the edit");
}

static void test_member_replaced_rest_kept(const char *dir) {
    char *path = pf_asprintf("%s/model.glb", dir);
    /* Brackets, braces, quotes and backslashes inside strings, a member
     * named like the one wanted inside another value, spaces around. */
    const char *before = "{ \"asset\":{\"generator\":\"a \\\"quoted\\\" ] } [ { \\\\\"},"
                         "\"meshes\":[{\"name\":\"nodes\",\"x\":[1,2.5e3,-0,true,null]}] ,"
                         "\"nodes\" : [{\"name\":\"Gearbox\",\"children\":[1]},{\"name\":\"Bolt\"}],"
                         "\"scene\":0}";
    write_glb(path, before);
    pf_error *err = pf_glb_update_member(path, "nodes", tag_first, "/Gearbox");
    CHECK_MSG(!err, "%s", err ? err->message : "");
    pf_error_free(err);
    char *tail = NULL;
    size_t tail_len = 0;
    char *after = json_text(path, &tail, &tail_len);
    const char *expect_head = "{ \"asset\":{\"generator\":\"a \\\"quoted\\\" ] } [ { \\\\\"},"
                              "\"meshes\":[{\"name\":\"nodes\",\"x\":[1,2.5e3,-0,true,null]}] ,"
                              "\"nodes\" : ";
    CHECK_MSG(after && strncmp(after, expect_head, strlen(expect_head)) == 0, "the text before nodes changed: %s",
              after ? after : "(none)");
    CHECK_MSG(after && strlen(after) >= 11 && strcmp(after + strlen(after) - 11, ",\"scene\":0}") == 0,
              "the text after nodes changed: %s", after ? after : "(none)");
    json_t *doc = after ? json_loads(after, 0, NULL) : NULL;
    CHECK_MSG(doc != NULL, "the JSON chunk no longer parses");
    json_t *first = json_array_get(json_object_get(doc, "nodes"), 0);
    CHECK_STR(json_string_value(json_object_get(json_object_get(first, "extras"), "prodflow_path")), "/Gearbox");
    CHECK(json_array_size(json_object_get(doc, "nodes")) == 2);
    CHECK(tail_len == 16 && tail && memcmp(tail + 4, "BIN\0binary!!", 12) == 0);
    json_decref(doc);
    free(after);
    free(tail);
    free(path);
}

static void test_refusals(const char *dir) {
    char *path = pf_asprintf("%s/bad.glb", dir);
    struct {
        const char *json, *member, *phrase;
    } cases[] = {
        {"{\"asset\":{}}", "nodes", "no member \"nodes\""},
        {"{\"nodes\":[{\"name\":}]}", "nodes", "does not parse"},
        {"{\"nodes\":[{\"name\":\"unfinished]}", "nodes", "not a JSON object"},
        {"[1,2]", "nodes", "not a JSON object"},
        {"{}", "nodes", "no member"},
        {"{\"xnodes\":[],\"nodesx\":[]}", "nodes", "no member"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_glb(path, cases[i].json);
        pf_error *err = pf_glb_update_member(path, cases[i].member, tag_first, "/x");
        /* Only a member that is not there is "not found" (the export then has nothing to tag). */
        CHECK_MSG(err && (err->code == PF_ENOTFOUND) == (strstr(cases[i].phrase, "no member") != NULL),
                  "case %zu: code %d", i, err ? (int)err->code : -1);
        CHECK_MSG(err && strstr(err->message, cases[i].phrase), "case %zu: %s", i, err ? err->message : "accepted");
        pf_error_free(err);
    }
    /* The edit's own error is returned, and the file stays as it was. */
    write_glb(path, "{\"nodes\":[]}");
    pf_error *err = pf_glb_update_member(path, "nodes", refuse, NULL);
    CHECK(err && strcmp(err->pointer, "/nodes") == 0);
    pf_error_free(err);
    char *tail = NULL;
    size_t tail_len = 0;
    char *text = json_text(path, &tail, &tail_len);
    CHECK_STR(text, "{\"nodes\":[]}");
    free(text);
    free(tail);
    /* Not a GLB at all. */
    err = pf_write_file_atomic(path, "{\"nodes\":[]}", 12);
    pf_error_free(err);
    err = pf_glb_update_member(path, "nodes", tag_first, "/x");
    CHECK_MSG(err && strstr(err->message, "not a GLB"), "%s", err ? err->message : "accepted");
    pf_error_free(err);
    free(path);
}

int main(void) {
    char *dir = pf_test_tmpdir("glb");
    test_member_replaced_rest_kept(dir);
    test_refusals(dir);
    free(dir);
    return pf_check_done("glb");
}
