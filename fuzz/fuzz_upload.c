/* libFuzzer target: a CAD file upload without a server. The server streams
 * an upload to DATA/cad/tmp, hashes it and keeps its first bytes
 * (api/upload.h); this target builds that pf_upload from the input and calls
 * the real handler, pf_handle_cad_file_upload, against a real pf_app. Then
 * it runs the intake's first two modules on the same file in-process, as
 * the intake run would: cad.resolve_step_path (confinement, STEP sniffing
 * of the file's head, fingerprint) and cad.extract_objects in fast mode
 * (the STEP scanner on the memory-mapped file).
 *
 * Input: one flags byte (bit 0: the body was multipart, bit 1: a file name
 * follows up to the first newline, bit 2: a raw content type was sent),
 * then the file's bytes.
 *
 * The upload is given the sha256 of a CAD file the store already knows, so
 * pf_cad_file_accept takes its "known bytes" road and starts no intake run
 * (one would run OCCT and Blender on every accepted input). Everything the
 * handler checks before that (empty file, sniffing, the file name) runs on
 * the input itself.
 *
 * Checked properties (a violation traps):
 *   - the answer is 200 exactly when the file is non-empty, its head sniffs
 *     as STEP and the name is acceptable, else 422; never a 5xx; the body
 *     is JSON (problem+json for refusals);
 *   - the API and the intake's entry module agree: an upload the API takes
 *     is not refused by cad.resolve_step_path, and one it refuses as "not
 *     STEP" is refused by the module too (api/upload.h keeps the same
 *     PF_STEP_SNIFF_BYTES head the module reads). */
#include "fuzz_app.h"

#include "api/router.h"
#include "api/upload.h"
#include "cad/step_sniff.h"
#include "core/sha256.h"
#include "modules/invoke.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char known_step[] = "ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\nENDSEC;\nEND-ISO-10303-21;\n";

static char *data_dir;
static pf_app *app;
static char known_sha[65];

static void at_exit(void) {
    pf_app_close(app);
    fuzz_rm_tree(data_dir);
    free(data_dir);
}

static void setup(void) {
    data_dir = fuzz_temp_dir("fuzz_upload");
    app = fuzz_app_open(data_dir);
    atexit(at_exit);
    /* The known CAD file: its bytes under DATA/cad and its item, whose
     * intake run does not exist (the view says "missing"). */
    pf_sha256_hex(known_step, sizeof known_step - 1, known_sha);
    char path[4096];
    snprintf(path, sizeof path, "%s/cad", data_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/cad/tmp", data_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/cad/%s.step", data_dir, known_sha);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(known_step, 1, sizeof known_step - 1, f) != sizeof known_step - 1 || fclose(f) != 0) abort();
    char rel[128];
    snprintf(rel, sizeof rel, "cad/%s.step", known_sha);
    json_t *doc = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "id", known_sha, "sha256", known_sha, "size",
                            (json_int_t)(sizeof known_step - 1), "filename", "known.step", "path", rel, "intake_run_id",
                            "run-fuzz-none");
    pf_store_item item = {.op = PF_ITEM_CREATE, .kind = "cad_file", .key = known_sha, .doc = doc};
    pf_error *err = pf_store_items_write(app->store, &item, 1);
    if (err) abort();
    json_decref(doc);
}

static const char *no_value(const pf_request *req, const char *name) {
    (void)req;
    (void)name;
    return NULL;
}

/* The handler's file-name rule, restated: what it must accept. */
static bool name_ok(const char *given) {
    if (!given) return true;
    const char *name = given;
    for (const char *p = given; *p; p++)
        if (*p == '/' || *p == '\\') name = p + 1;
    json_t *probe = json_string(name);
    bool ok = probe && *name && strlen(name) <= 255 && strcmp(name, ".") && strcmp(name, "..");
    for (const char *p = name; ok && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) ok = false;
    json_decref(probe);
    return ok;
}

/* The intake's first modules on the uploaded file; returns whether
 * cad.resolve_step_path took it. */
static bool intake(const char *rel) {
    char work[4096];
    snprintf(work, sizeof work, "%s/work", data_dir);
    pf_module_ctx ctx = {.data_root = data_dir, .work_dir = work, .share_dir = PF_SHARE_DIR};
    json_t *inputs = json_object(), *params = json_pack("{s:s}", "path", rel), *out = NULL;
    pf_error *err = pf_module_invoke(app->registry, "cad.resolve_step_path", &ctx, inputs, params, &out);
    bool took = err == NULL;
    pf_error_free(err);
    json_decref(params);
    json_decref(inputs);
    if (took) {
        json_t *objects = NULL;
        inputs = json_pack("{s:O}", "step", json_object_get(out, "step"));
        params = json_pack("{s:s}", "mode", "fast");
        pf_error_free(pf_module_invoke(app->registry, "cad.extract_objects", &ctx, inputs, params, &objects));
        json_decref(objects);
        json_decref(params);
        json_decref(inputs);
    }
    json_decref(out);
    return took;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!app) setup();
    if (size == 0) return 0;
    unsigned flags = data[0];
    const uint8_t *p = data + 1, *end = data + size;
    char *filename = NULL;
    if (flags & 2) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *stop = nl ? nl : end;
        /* Names come from C strings (a query argument or a part header). */
        const uint8_t *nul = memchr(p, 0, (size_t)(stop - p));
        size_t n = (size_t)((nul ? nul : stop) - p);
        filename = malloc(n + 1);
        memcpy(filename, p, n);
        filename[n] = '\0';
        p = nl ? nl + 1 : end;
    }
    size_t body_len = (size_t)(end - p);

    /* As the server leaves it: a complete temporary file, hashed, with its head. */
    char path[4096], rel[64];
    snprintf(rel, sizeof rel, "cad/tmp/upload-fuzz");
    snprintf(path, sizeof path, "%s/%s", data_dir, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || (body_len && write(fd, p, body_len) != (ssize_t)body_len) || close(fd) != 0) abort();
    pf_upload up = {.path = path,
                    .size = body_len,
                    .filename = filename,
                    .content_type = (flags & 4) ? "application/octet-stream" : NULL,
                    .multipart = flags & 1};
    memcpy(up.sha256, known_sha, sizeof up.sha256);
    up.head_len = body_len < sizeof up.head ? body_len : sizeof up.head;
    memcpy(up.head, p, up.head_len);

    pf_request req = {.method = "POST", .path = "/api/cad-files", .query = no_value, .header = no_value, .upload = &up};
    pf_response res = {.status = 500};
    pf_handle_cad_file_upload(app, &req, &res);

    bool sniffed = pf_step_sniff(up.head, up.head_len);
    bool expect_ok = body_len > 0 && sniffed && name_ok(filename);
    if (res.status != (expect_ok ? 200 : 422)) __builtin_trap();
    if (res.has_file || res.has_stream || !res.body) __builtin_trap();
    json_t *body = json_loadb(res.body, res.body_len, 0, NULL);
    if (!body) __builtin_trap();
    if (!expect_ok && strcmp(res.content_type, "application/problem+json") != 0) __builtin_trap();
    json_decref(body);
    free(res.body);
    free(res.location);
    json_decref(res.headers);

    bool took = intake(rel);
    if (expect_ok && !took) __builtin_trap();               /* the API took what the intake refuses */
    if (body_len > 0 && !sniffed && took) __builtin_trap(); /* the intake takes what the API refused */
    unlink(path);
    free(filename);
    return 0;
}
