/* Core helpers: ids, sha256, safe paths, atomic files, errors and pointers. */
#include "check.h"

#include "core/error.h"
#include "core/id.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <unistd.h>

static void test_ids(void) {
    char a[PF_ID_MAX], b[PF_ID_MAX];
    pf_id_new("run", a);
    usleep(2000);
    pf_id_new("run", b);
    CHECK_INT(strlen(a), 4 + 26);
    CHECK(strncmp(a, "run_", 4) == 0);
    CHECK(strcmp(a, b) < 0); /* later ids sort after earlier ones */
    CHECK(pf_id_valid_slug("starter-cad-intake"));
    CHECK(pf_id_valid_slug("a.b_c-1"));
    CHECK(!pf_id_valid_slug("Bad"));
    CHECK(!pf_id_valid_slug("-lead"));
    CHECK(!pf_id_valid_slug(""));
}

static void test_sha256(void) {
    char hex[65];
    pf_sha256_hex("", 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    pf_sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    pf_sha256_ctx ctx;
    pf_sha256_init(&ctx);
    pf_sha256_update(&ctx, "a", 1);
    pf_sha256_update(&ctx, "bc", 2);
    pf_sha256_final_hex(&ctx, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    uint64_t size;
    pf_error *err = pf_sha256_file("/nonexistent/file", hex, &size);
    CHECK(err && err->code == PF_ENOTFOUND && strstr(err->message, "/nonexistent/file"));
    pf_error_free(err);
}

static void test_paths(void) {
    char *root = pf_test_tmpdir("core");
    char *file = pf_asprintf("%s/sub/a.txt", root);
    char *sub = pf_asprintf("%s/sub", root);
    CHECK(pf_mkdirs(sub, 0755) == NULL);
    CHECK(pf_write_file_atomic(file, "hello", 5) == NULL);
    char *data;
    size_t len;
    CHECK(pf_read_file(file, 100, &data, &len) == NULL);
    CHECK_STR(data, "hello");
    free(data);
    pf_error *err = pf_read_file(file, 3, &data, &len);
    CHECK(err && err->code == PF_ETOOLARGE);
    pf_error_free(err);

    char *resolved;
    CHECK(pf_path_resolve_within(root, "sub/a.txt", &resolved) == NULL);
    CHECK(resolved && strstr(resolved, "/sub/a.txt"));
    free(resolved);
    CHECK(pf_path_resolve_within(root, file, &resolved) == NULL);
    free(resolved);
    err = pf_path_resolve_within(root, "sub/../../x", &resolved);
    CHECK(err && err->code == PF_EINVAL);
    pf_error_free(err);
    err = pf_path_resolve_within(root, "/etc/hostname", &resolved);
    CHECK(err && err->code == PF_EINVAL && strstr(err->message, "outside"));
    pf_error_free(err);
    char *link = pf_asprintf("%s/escape", root);
    CHECK(symlink("/etc", link) == 0);
    err = pf_path_resolve_within(root, "escape/hostname", &resolved);
    CHECK(err && err->code == PF_EINVAL);
    pf_error_free(err);
    err = pf_path_resolve_within(root, "missing.step", &resolved);
    CHECK(err && err->code == PF_ENOTFOUND);
    pf_error_free(err);
    free(link);
    free(sub);
    free(file);
    free(root);
}

static void test_errors(void) {
    char *p = pf_ptr_join("/nodes", "a/b~c");
    CHECK_STR(p, "/nodes/a~1b~0c");
    char *q = pf_ptr_index(p, 7);
    CHECK_STR(q, "/nodes/a~1b~0c/7");
    free(p);
    free(q);
    pf_errors errs;
    pf_errors_init(&errs);
    pf_errors_add(&errs, PF_EINVAL, "/x", "bad %d", 1);
    pf_errors_take(&errs, pf_error_new(PF_ENOTFOUND, NULL, "gone"));
    json_t *j = pf_errors_to_json(&errs);
    CHECK_INT(json_array_size(j), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "code")), "not_found");
    CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "pointer")), "");
    CHECK_INT(pf_code_http_status(PF_EINVAL), 422);
    json_decref(j);
    pf_errors_clear(&errs);
}

int main(void) {
    test_ids();
    test_sha256();
    test_paths();
    test_errors();
    return pf_check_done("core");
}
