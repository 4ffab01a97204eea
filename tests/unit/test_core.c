/* Core helpers: ids, sha256, safe paths, atomic files, errors, pointers and
 * compact JSON text. */
#include "check.h"

#include "core/clock.h"
#include "core/error.h"
#include "core/hex.h"
#include "core/id.h"
#include "core/json.h"
#include "core/json_text.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/secret.h"
#include "core/sha256.h"
#include "core/throttle.h"
#include "support/tmpdir.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void test_ids(void) {
    char a[PF_ID_MAX], b[PF_ID_MAX];
    pf_id_new("run", a);
    /* Ids order by their millisecond: wait for the clock to move on (a
     * state, not a sleep), then the next id sorts after. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_REALTIME, &t0);
    do
        clock_gettime(CLOCK_REALTIME, &t1);
    while (t1.tv_sec * 1000 + t1.tv_nsec / 1000000 <= t0.tv_sec * 1000 + t0.tv_nsec / 1000000);
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

/* RFC 4231 test case 2, and the hex and %-escape edges. */
static void test_hex(void) {
    char hex[65];
    const char *text = "what do ya want for nothing?";
    pf_hmac_sha256_hex("Jefe", text, strlen(text), hex);
    CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    pf_hex_encode((const unsigned char *)"\x00\x0f\xf0\xff", 4, hex);
    CHECK_STR(hex, "000ff0ff");
    pf_hex_encode(NULL, 0, hex);
    CHECK_STR(hex, "");
    CHECK_INT(pf_hex_digit('a'), 10);
    CHECK_INT(pf_hex_digit('F'), 15);
    CHECK_INT(pf_hex_digit('g'), -1);
    static const struct {
        const char *in, *out; /* out NULL: refused */
    } cases[] = {
        {"plain", "plain"}, {"a%2Fb", "a/b"}, {"%41%62", "Ab"}, {"%e2%82%ac", "\xe2\x82\xac"}, {"", ""}, {"100%", NULL},
        {"%4", NULL},       {"%zz", NULL},    {"a%00b", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = pf_percent_decode(cases[i].in, strlen(cases[i].in));
        if (cases[i].out)
            CHECK_MSG(got && strcmp(got, cases[i].out) == 0, "%s -> %s", cases[i].in, got ? got : "(refused)");
        else
            CHECK_MSG(!got, "%s should be refused, got %s", cases[i].in, got);
        free(got);
    }
}

/* 1 and 1.0 are one number in JSON Schema; order of members never matters. */
static void test_json_equal(void) {
    static const struct {
        const char *a, *b;
        bool equal;
    } cases[] = {
        {"1", "1.0", true},
        {"[1, {\"a\": 2.0, \"b\": null}]", "[1.0, {\"b\": null, \"a\": 2}]", true},
        {"{\"a\": 1}", "{\"a\": 1, \"b\": 1}", false},
        {"[1, 2]", "[2, 1]", false},
        {"\"1\"", "1", false},
        {"true", "false", false},
        {"null", "null", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *a = json_loads(cases[i].a, JSON_DECODE_ANY, NULL), *b = json_loads(cases[i].b, JSON_DECODE_ANY, NULL);
        CHECK_MSG(pf_json_equal(a, b) == cases[i].equal && pf_json_equal(b, a) == cases[i].equal, "%s vs %s",
                  cases[i].a, cases[i].b);
        json_decref(a);
        json_decref(b);
    }
}

static void test_paths(void) {
    char *root = pf_test_tmpdir("core");
    char *file = pf_asprintf("%s/sub/a.txt", root);
    char *sub = pf_asprintf("%s/sub", root);
    CHECK(pf_mkdirs(sub, 0755) == NULL);
    CHECK(pf_write_file_atomic(file, "hello", 5) == NULL);
    /* Written and copied files get 0666 less the umask, as any file would. */
    mode_t mask = umask(022);
    char *copy = pf_asprintf("%s/sub/b.txt", root);
    CHECK(pf_copy_file_atomic(file, copy) == NULL);
    struct stat st_file, st_copy;
    CHECK(stat(file, &st_file) == 0 && stat(copy, &st_copy) == 0);
    CHECK_INT(st_copy.st_mode & 0777, 0644);
    umask(mask);
    CHECK_INT(st_file.st_mode & 0777, 0666 & ~mask);
    free(copy);
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

/* pf_path_confine: every refusal at the caller's pointer, names that do not
 * exist yet allowed, symlinks judged by where they lead. */
/* What the disk quota counts: regular files, nested; not what a link
 * points at, not directories themselves. */
static void test_tree_bytes(void) {
    char *dir = pf_test_tmpdir("tree-bytes");
    char *sub = pf_asprintf("%s/a/b", dir), *f1 = pf_asprintf("%s/one", dir), *f2 = pf_asprintf("%s/a/b/two", dir);
    char *link = pf_asprintf("%s/a/outside", dir);
    CHECK(pf_mkdirs(sub, 0755) == NULL);
    CHECK(pf_write_file_atomic(f1, "12345", 5) == NULL);
    CHECK(pf_write_file_atomic(f2, "1234567", 7) == NULL);
    CHECK(symlink("/etc/passwd", link) == 0);
    CHECK_INT(pf_tree_bytes(dir), 12);
    CHECK_INT(pf_tree_bytes(f1), 0); /* not a directory */
    CHECK_INT(pf_tree_bytes("/nonexistent/dir"), 0);
    pf_error_free(pf_remove_tree(dir));
    free(sub), free(f1), free(f2), free(link), free(dir);
}

static void test_confine(void) {
    char *base = pf_test_tmpdir("confine"), *root = pf_asprintf("%s/root", base);
    char *cmd = pf_asprintf("mkdir -p '%s/root/in' '%s/outside' && touch '%s/root/file' && ln -s '%s/outside' "
                            "'%s/root/out' && ln -s in '%s/root/inner' && ln -s '%s/nowhere' '%s/root/dangling'",
                            base, base, base, base, base, base, base, base);
    CHECK_INT(system(cmd), 0);
    free(cmd);
    static const struct {
        const char *path;
        size_t len; /* 0: strlen */
        const char *why;
    } refused[] = {
        {"", 0, "empty"},
        {"..", 0, "\"..\""},
        {"../../etc", 0, "\"..\""},
        {"/etc/passwd", 0, "absolute"},
        {"a/../../b", 0, "\"..\""},
        {"a/./b", 0, "\".\""},
        {"a//b", 0, "empty names"},
        {"a/", 0, "empty names"},
        {"%2e%2e/x", 0, "percent-encoded"},
        {"a%2Fb", 0, "percent-encoded"},
        {"a\\..\\b", 0, "backslash"},
        {"a\0b", 3, "NUL"},
        {"a\nb", 0, "control"},
        {"out", 0, "leads out"},
        {"out/x.png", 0, "leads out"},
        {"dangling/x", 0, "leads nowhere"},
        {"file/x", 0, "not a directory"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char *resolved = NULL;
        size_t len = refused[i].len ? refused[i].len : strlen(refused[i].path);
        pf_error *err = pf_path_confine(root, refused[i].path, len, "/params/where", &resolved);
        CHECK_MSG(err && err->code == PF_EINVAL && strcmp(err->pointer, "/params/where") == 0 &&
                      strstr(err->message, refused[i].why),
                  "case %zu (%s): %s", i, refused[i].path, err ? err->message : "accepted");
        CHECK(resolved == NULL);
        pf_error_free(err);
    }
    static const char *const accepted[] = {"new", "in/new/deeper.png", "inner/x", "file", "a%b", "100%"};
    for (size_t i = 0; i < sizeof accepted / sizeof *accepted; i++) {
        char *resolved = NULL, *want = pf_asprintf("%s/%s", root, accepted[i]);
        pf_error *err = pf_path_confine(root, accepted[i], strlen(accepted[i]), "/p", &resolved);
        CHECK_MSG(err == NULL, "%s: %s", accepted[i], err ? err->message : "");
        CHECK_STR(resolved, want);
        pf_error_free(err);
        free(resolved);
        free(want);
    }
    /* A root that does not exist yet: nothing below it does either. */
    char *later = pf_asprintf("%s/later/", base), *want = pf_asprintf("%s/later/a/b", base), *resolved = NULL;
    pf_error *err = pf_path_confine(later, "a/b", 3, "/p", &resolved);
    CHECK(err == NULL);
    CHECK_STR(resolved, want);
    pf_error_free(err);
    free(resolved);
    free(want);
    free(later);
    free(root);
    free(base);
}

static bool is_hex64(const char *s) {
    if (!s || strlen(s) != 64) return false;
    for (; *s; s++)
        if (!strchr("0123456789abcdef", *s)) return false;
    return true;
}

static size_t entries(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d) closedir(d);
    return n;
}

/* pf_secret_load_or_create: made once (hex, 0600, its directory made),
 * read back after; an operator's file is taken as it is. */
static void test_secret(void) {
    char *base = pf_test_tmpdir("secret"), *path = pf_asprintf("%s/secrets/webhook.key", base);
    char *dir = pf_asprintf("%s/secrets", base), *first = NULL, *again = NULL;
    mode_t mask = umask(0);
    CHECK(pf_secret_load_or_create(path, &first) == NULL);
    umask(mask);
    CHECK_MSG(is_hex64(first), "%s", first ? first : "(null)");
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
    CHECK_INT(entries(dir), 1); /* no temporary file left beside it */
    CHECK(pf_secret_load_or_create(path, &again) == NULL);
    CHECK_STR(again, first);
    free(again);
    char *other = pf_asprintf("%s/other.key", base), *got = NULL;
    CHECK(pf_write_file_atomic(other, "operator-chosen\n", 16) == NULL);
    CHECK(pf_secret_load_or_create(other, &got) == NULL);
    CHECK_STR(got, "operator-chosen");
    free(got);
    CHECK(pf_write_file_atomic(other, "\n", 1) == NULL);
    pf_error *err = pf_secret_load_or_create(other, &got);
    CHECK(err && err->code == PF_EINVAL && got == NULL);
    pf_error_free(err);
    free(other);
    free(first);
    free(dir);
    free(path);
    free(base);
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

/* pf_json_text writes what json_dumps writes: cache keys and stored rows
 * stay byte-identical whichever wrote them. */
static void same_text(const json_t *v) {
    for (int sort = 0; sort <= 1; sort++) {
        char *ours = pf_json_text(v, sort);
        char *theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | (sort ? JSON_SORT_KEYS : 0));
        CHECK_STR(ours, theirs);
        free(ours);
        free(theirs);
    }
}

static void test_json_text(void) {
    const char *docs[] = {
        "{\"b\":1,\"a\":[true,false,null],\"c\":{\"z\":\"\",\"y\":{}},\"ab\":[],\"a\\u0001\":2}",
        "[\"quote \\\" backslash \\\\ slash / tab \\t nl \\n cr \\r bs \\b ff \\f\"]",
        "[\"\\u0001\\u001f\\u007f caf\\u00e9 \\u2028 \\ud83d\\ude00\"]",
        "[0,-1,9223372036854775807,-9223372036854775808]",
        "[0.0,-0.0,1.5,0.1,1e300,1e-300,123456789012345678.0,2.5e-7,1e21,-3.0e5,6.02214076e23]",
        "\"top-level string\"",
        "42",
        "null",
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        json_error_t jerr;
        json_t *v = json_loads(docs[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        CHECK_MSG(v != NULL, "%s: %s", docs[i], jerr.text);
        if (v) same_text(v);
        json_decref(v);
    }
    /* Object keys are compared as bytes, shorter first on a common prefix. */
    json_t *keys = json_object();
    const char *names[] = {"b", "a", "ab", "B", "\xc3\xa9", "a b", "_", "aa"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        json_object_set_new(keys, names[i], json_integer((json_int_t)i));
    same_text(keys);
    json_decref(keys);
    /* Text longer than the first buffer, with escapes at its edges, and
     * one value shared by several members. */
    char long_text[1200];
    for (size_t i = 0; i < sizeof long_text - 1; i++)
        long_text[i] = i % 255 == 0 ? '"' : i % 97 == 0 ? '\n' : (char)('a' + i % 26);
    long_text[sizeof long_text - 1] = '\0';
    json_t *shared = json_pack("{s:i, s:s}", "retries", -7, "s", long_text);
    json_t *big = json_pack("[O, O, s, {s:O}]", shared, shared, long_text, "k", shared);
    same_text(big);
    json_decref(big);
    json_decref(shared);
    /* Shared containers are written once and copied after (json_text.c
     * remembers a few): more of them than it remembers, arrays among
     * them, one inside another, each met again later in the text. */
    json_t *many = json_array(), *inner = json_pack("[i, {}]", 3);
    for (int i = 0; i < 40; i++) {
        json_t *one = i % 3 ? json_pack("{s:i, s:O}", "i", i, "in", inner) : json_pack("[i, O]", i, inner);
        json_array_append(many, one);
        json_array_append(many, json_array_get(many, (size_t)i)); /* an earlier one again */
        json_array_append_new(many, one);
    }
    same_text(many);
    json_decref(many);
    json_decref(inner);
    CHECK(pf_json_text(NULL, false) == NULL);
    const char *parts[] = {"run", "/", "", "n1", ".2"};
    char *joined = pf_concat(parts, 5);
    CHECK_STR(joined, "run/n1.2");
    free(joined);
}

/* The hand-made civil calendar agrees with the C library's. */
static void test_iso_time(void) {
    long long first_bad = 0;
    bool bad = false;
    for (long long sec = -2208988800LL; sec < 13569465600LL && !bad; sec += 86400LL * 3 + 3607) {
        char ours[PF_ISO_LEN], theirs[PF_ISO_LEN];
        pf_iso_format(sec, 123456789, ours);
        time_t t = (time_t)sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(theirs, sizeof theirs, "%Y-%m-%dT%H:%M:%S.123Z", &tm);
        if (strcmp(ours, theirs) != 0) bad = true, first_bad = sec;
    }
    CHECK_MSG(!bad, "from 1900 to 2400, %lld formats differently", first_bad);
    char now[PF_ISO_LEN];
    pf_iso_now(now);
    CHECK_INT(strlen(now), 24);
    CHECK(strncmp(now, "20", 2) == 0 && now[10] == 'T' && now[23] == 'Z');
}

/* A run of like reports is thinned; a new kind, the first and the last
 * always pass. The clock is an argument: no time passes in this test. */
static void test_throttle(void) {
    pf_throttle t = {.interval_ms = 250};
    CHECK(pf_throttle_pass(&t, 1000, -1, "running on w1@test"));
    CHECK(pf_throttle_pass(&t, 1001, 0.01, "sample 1 of 128"));  /* another kind */
    CHECK(!pf_throttle_pass(&t, 1002, 0.02, "sample 2 of 128")); /* like the last, too soon */
    CHECK(!pf_throttle_pass(&t, 1250, 0.5, "sample 64 of 128"));
    CHECK(pf_throttle_pass(&t, 1251, 0.51, "sample 65 of 128")); /* the interval is up */
    CHECK(pf_throttle_pass(&t, 1252, 0.6, "frame 2 of 36"));     /* another kind */
    CHECK(!pf_throttle_pass(&t, 1253, 0.7, "frame 3 of 36"));
    CHECK(pf_throttle_pass(&t, 1254, 1, "frame 36 of 36")); /* the last */
    CHECK(pf_throttle_pass(&t, 1255, 0.5, NULL));           /* no message is a kind too */
}

int main(void) {
    test_iso_time();
    test_throttle();
    test_json_text();
    test_ids();
    test_sha256();
    test_hex();
    test_json_equal();
    test_paths();
    test_confine();
    test_tree_bytes();
    test_secret();
    test_errors();
    return pf_check_done("core");
}
