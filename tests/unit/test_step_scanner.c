/* The STEP scanner on hand-written fixtures and broken inputs. */
#include "check.h"

#include "cad/step_record.h"
#include "cad/step_scanner.h"
#include "cad/step_text.h"
#include "core/mem.h"
#include "support/tmpdir.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

static json_t *scan(const char *name) {
    char *path = pf_asprintf("%s/tests/fixtures/step/%s", PF_SOURCE_DIR, name);
    pf_step_summary *s = NULL;
    pf_error *err = pf_step_scan_file(path, &s);
    CHECK_MSG(err == NULL, "%s: %s", name, err ? err->message : "");
    pf_error_free(err);
    free(path);
    json_t *doc = s ? pf_step_summary_json(s) : NULL;
    pf_step_summary_free(s);
    return doc;
}

static const json_t *node_at(const json_t *doc, const char *path) {
    size_t i;
    const json_t *n;
    json_array_foreach(json_object_get(doc, "tree"), i, n) {
        if (!strcmp(json_string_value(json_object_get(n, "path")), path)) return n;
    }
    return NULL;
}

static bool near(double a, double b) { return fabs(a - b) < 1e-4; }

static void test_gearbox(void) {
    json_t *doc = scan("gearbox.step");
    if (!doc) return;
    CHECK_STR(json_string_value(json_object_get(doc, "schema")), "AUTOMOTIVE_DESIGN { 1 0 10303 214 1 1 1 1 }");
    const json_t *unit = json_object_get(doc, "length_unit");
    CHECK_STR(json_string_value(json_object_get(unit, "name")), "millimetre");
    CHECK(near(json_real_value(json_object_get(unit, "metres_per_unit")), 0.001));
    CHECK_INT(json_integer_value(json_object_get(doc, "entity_count")), 58);
    CHECK_INT(json_array_size(json_object_get(doc, "products")), 5);
    CHECK_INT(json_array_size(json_object_get(doc, "tree")), 8);
    const json_t *root = node_at(doc, "/Gearbox");
    CHECK(root && json_is_true(json_object_get(root, "is_assembly")));
    CHECK(root && json_is_null(json_object_get(root, "parent")));
    const char *bolts[] = {"/Gearbox/Bolt_M4", "/Gearbox/Bolt_M4[2]", "/Gearbox/Bolt_M4[3]"};
    for (size_t i = 0; i < 3; i++) {
        const json_t *b = node_at(doc, bolts[i]);
        CHECK_MSG(b != NULL, "%s", bolts[i]);
        if (!b) continue;
        CHECK_STR(json_string_value(json_object_get(b, "instance_of")), "M4x12"); /* one prototype, shared */
        CHECK_STR(json_string_value(json_object_get(b, "parent")), "/Gearbox");
        CHECK(json_is_false(json_object_get(b, "is_assembly")));
        const json_t *c = json_object_get(b, "colour");
        CHECK(near(json_real_value(json_array_get(c, 0)), 0.033105)); /* sRGB 0.2 */
    }
    const json_t *housing = node_at(doc, "/Gearbox/Housing");
    const json_t *red = json_object_get(housing, "colour");
    CHECK(near(json_real_value(json_array_get(red, 0)), 0.214041)); /* sRGB 0.5 */
    CHECK(near(json_real_value(json_array_get(red, 1)), 0.0));
    CHECK(node_at(doc, "/Gearbox/Shaft_Assy/Bearing") != NULL);
    CHECK(node_at(doc, "/Gearbox/Shaft_Assy/Bearing[2]") != NULL);
    CHECK(json_is_true(json_object_get(node_at(doc, "/Gearbox/Shaft_Assy"), "is_assembly")));
    CHECK(json_is_null(json_object_get(node_at(doc, "/Gearbox/Shaft_Assy/Bearing"), "colour")));
    CHECK_INT(json_array_size(json_object_get(doc, "colours")), 2);
    const json_t *products = json_object_get(doc, "products");
    CHECK_STR(json_string_value(json_object_get(json_array_get(products, 0), "name")), "Gearbox");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(doc, "summary"), "assembly_links")), 7);
    json_decref(doc);
}

static void test_inch(void) {
    json_t *doc = scan("inch_part.step");
    if (!doc) return;
    const json_t *unit = json_object_get(doc, "length_unit");
    CHECK_STR(json_string_value(json_object_get(unit, "name")), "inch");
    CHECK(near(json_real_value(json_object_get(unit, "metres_per_unit")), 0.0254));
    CHECK_INT(json_array_size(json_object_get(doc, "tree")), 1);
    CHECK(node_at(doc, "/Bracket") != NULL);
    json_decref(doc);
}

/* A record on one 2 MB line, and a file of several MB, scan like any other. */
static void test_long_line(void) {
    size_t points = 80000;
    size_t cap = points * 40 + 4096, n = 0;
    char *buf = pf_xmalloc(cap);
    n += (size_t)snprintf(buf + n, cap - n,
                          "ISO-10303-21;HEADER;FILE_SCHEMA(('X'));ENDSEC;DATA;"
                          "#1=PRODUCT('L','Long','',());#2=PRODUCT_DEFINITION_FORMATION('','',#1);"
                          "#3=PRODUCT_DEFINITION('','',#2,$);#4=POLYLINE('',(");
    for (size_t i = 0; i < points; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s#%zu", i ? "," : "", i + 10);
    n += (size_t)snprintf(buf + n, cap - n, "));\nENDSEC;END-ISO-10303-21;\n");
    pf_step_summary *s = NULL;
    pf_error *err = pf_step_scan_buffer(buf, n, &s);
    CHECK(err == NULL);
    json_t *doc = s ? pf_step_summary_json(s) : NULL;
    CHECK(n > 500000);
    CHECK_INT(json_integer_value(json_object_get(doc, "entity_count")), 4);
    CHECK(node_at(doc, "/Long") != NULL);
    json_decref(doc);
    pf_step_summary_free(s);
    pf_error_free(err);
    free(buf);
}

/* Records are split at semicolons outside strings and comments; once a
 * record's name is read, its parentheses are passed over. Shifted across
 * every offset of the scanner's 64-byte blocks, records that are skipped
 * (with parentheses, and strings and comments holding ';' and '(') leave
 * the kept ones and the count intact; so do a string across a block, record
 * starts in OCCT's spacing and the odd ones the vector test of a record's
 * start leaves to the byte loops (white space in the id, a comment in the
 * name, a tab, a start over 64 bytes). */
static void test_split_offsets(void) {
    for (int pad = 0; pad < 64; pad++) {
        char *buf =
            pf_asprintf("ISO-10303-21;HEADER;FILE_SCHEMA(('X'));ENDSEC;DATA;%*s"
                        "#5=CARTESIAN_POINT('a;(',(0.,0.,(1.)));#6=B_SPLINE_CURVE(((1,2),(3,4)),'x)',/* ;( */(5));"
                        "#1=PRODUCT('P','Part ;(','',());#7=DIRECTION('',((((((0.)))))));"
                        "#2=PRODUCT_DEFINITION_FORMATION('','',#1);#3=PRODUCT_DEFINITION('','',#2,$);\n"
                        /* OCCT's spacing, and a string over a block with '' and ;( in it */
                        "#8 = PRODUCT('it''s ;( %070d','Spaced',' ',());\n"
                        "#9 =PRODUCT_DEFINITION_FORMATION('','',#8);# 10=PRODUCT_DEFINITION('','',#9,$);"
                        /* white space and a comment where the name's first test gives up */
                        "#11=PRO/* a ;( */DUCT('C','Commented','',());#12= PRODUCT_DEFINITION_FORMATION ('','',#11);"
                        "#13=\tPRODUCT_DEFINITION('','',#12,$);#14=%70sDIRECTION('',(0.,0.,1.));\n"
                        "ENDSEC;END-ISO-10303-21;\n",
                        pad, "", 0, "");
        pf_step_summary *s = NULL;
        pf_error *err = pf_step_scan_buffer(buf, strlen(buf), &s);
        CHECK_MSG(err == NULL, "pad %d: %s", pad, err ? err->message : "");
        json_t *doc = s ? pf_step_summary_json(s) : NULL;
        CHECK_INT(json_integer_value(json_object_get(doc, "entity_count")), 13);
        CHECK_MSG(node_at(doc, "/Part ;(") != NULL, "pad %d", pad);
        CHECK_MSG(node_at(doc, "/Spaced") != NULL, "pad %d", pad);
        CHECK_MSG(node_at(doc, "/Commented") != NULL, "pad %d", pad);
        json_decref(doc);
        pf_step_summary_free(s);
        pf_error_free(err);
        free(buf);
    }
}

static void expect_error(const char *what, const char *data, size_t len, const char *phrase) {
    pf_step_summary *s = NULL;
    pf_error *err = pf_step_scan_buffer(data, len, &s);
    CHECK_MSG(err && err->code == PF_EINVAL && strstr(err->message, phrase), "%s: %s", what,
              err ? err->message : "no error");
    CHECK(s == NULL);
    pf_error_free(err);
}

/* Entity ids and references are digits only, up to 2^64 - 1: no sign or
 * space (strtoull took "#-5" as 2^64 - 5). */
static void test_record_ids(void) {
    static const struct {
        const char *text;
        bool ok;
        uint64_t id, ref; /* the record's id, its first argument's reference */
    } cases[] = {
        {"#12=PRODUCT_DEFINITION_SHAPE(#7)", true, 12, 7},
        {"#18446744073709551615=X(#18446744073709551615)", true, UINT64_MAX, UINT64_MAX},
        {"#0=X(#0)", true, 0, 0},
        {"#18446744073709551616=X(#1)", false, 0, 0},
        {"#5=X(#18446744073709551616)", false, 0, 0},
        {"#-5=X(#1)", false, 0, 0},
        {"#+5=X(#1)", false, 0, 0},
        {"#5=X(#-1)", false, 0, 0},
        {"#5=X(#)", false, 0, 0},
        {"#=X(#1)", false, 0, 0},
        {"#5X(#1)", false, 0, 0},
        {"#5", false, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pf_arena arena = {0};
        pf_step_record r;
        bool ok = pf_step_record_parse(cases[i].text, strlen(cases[i].text), &arena, &r);
        CHECK_MSG(ok == cases[i].ok, "%s: %s", cases[i].text, ok ? "parsed" : "refused");
        if (ok && cases[i].ok) {
            const pf_sv *a = pf_step_arg(&r, 0);
            CHECK_MSG(r.id == cases[i].id, "%s: id %llu", cases[i].text, (unsigned long long)r.id);
            CHECK_MSG(a && a->kind == PF_SV_REF && a->ref == cases[i].ref, "%s: first argument", cases[i].text);
        }
        pf_arena_free(&arena);
    }
}

static void test_broken(void) {
    expect_error("empty", "", 0, "empty");
    expect_error("not STEP", "hello world;", 12, "not a STEP file");
    const char garbage[] = "\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00";
    expect_error("binary", garbage, sizeof garbage - 1, "binary data");
    const char *truncated = "ISO-10303-21;HEADER;FILE_SCHEMA(('X'));ENDSEC;DATA;#1=PRODUCT('a";
    expect_error("truncated string", truncated, strlen(truncated), "a string never ends");
    const char *open_comment = "ISO-10303-21;HEADER;/* never closed";
    expect_error("open comment", open_comment, strlen(open_comment), "a comment never ends");
    const char *no_end = "ISO-10303-21;HEADER;ENDSEC;DATA;#1=CARTESIAN_POINT('',(0.,0.,0.));";
    expect_error("no end", no_end, strlen(no_end), "END-ISO-10303-21");
    /* A record that opens with "(" before any byte was buffered handed
     * memchr a NULL buffer (UBSan; found by fuzz/fuzz_step_scanner.c). */
    expect_error("opens with (", "(2I", 3, "not a STEP file");
    /* A control byte deep in a file, inside a string (where the vector pass
     * finds it, not the table for a buffer's last bytes), is named with its
     * byte and line. */
    char *deep = pf_asprintf("ISO-10303-21;HEADER;ENDSEC;DATA;\n#1=PRODUCT('%0100d',\n'x\001','',());\n"
                             "ENDSEC;END-ISO-10303-21;\n%0100d",
                             0, 0);
    char *where = pf_asprintf("binary data at byte %td (line 3)", strchr(deep, '\001') - deep);
    expect_error("control byte", deep, strlen(deep), where);
    free(where);
    free(deep);
    /* Every prefix of a good file fails cleanly or parses; none crashes. */
    char *path = pf_asprintf("%s/tests/fixtures/step/gearbox.step", PF_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    char whole[16384];
    size_t n = f ? fread(whole, 1, sizeof whole, f) : 0;
    if (f) fclose(f);
    size_t failures = 0;
    for (size_t cut = 0; cut < n; cut += 7) {
        pf_step_summary *s = NULL;
        pf_error *err = pf_step_scan_buffer(whole, cut, &s);
        failures += err != NULL;
        pf_error_free(err);
        pf_step_summary_free(s);
    }
    CHECK(failures > 0);
    pf_step_summary *s = NULL;
    pf_error *err = pf_step_scan_file("/nonexistent/part.step", &s);
    CHECK(err && err->code == PF_ENOTFOUND && strstr(err->message, "/nonexistent/part.step"));
    pf_error_free(err);
    free(path);
}

/* A STEP file with no products is not an error: it has nothing to show. */
static void test_no_geometry(void) {
    const char *empty = "ISO-10303-21;HEADER;FILE_SCHEMA(('X'));ENDSEC;DATA;ENDSEC;END-ISO-10303-21;";
    pf_step_summary *s = NULL;
    pf_error *err = pf_step_scan_buffer(empty, strlen(empty), &s);
    CHECK(err == NULL);
    json_t *doc = s ? pf_step_summary_json(s) : NULL;
    CHECK_INT(json_array_size(json_object_get(doc, "products")), 0);
    CHECK_INT(json_integer_value(json_object_get(doc, "entity_count")), 0);
    json_decref(doc);
    pf_step_summary_free(s);
}

/* An assembly that contains itself is cut off, not followed forever. */
static void test_cycle(void) {
    const char *text = "ISO-10303-21;HEADER;ENDSEC;DATA;"
                       "#1=PRODUCT('A','A','',());#2=PRODUCT_DEFINITION_FORMATION('','',#1);"
                       "#3=PRODUCT_DEFINITION('','',#2,$);"
                       "#4=PRODUCT('B','B','',());#5=PRODUCT_DEFINITION_FORMATION('','',#4);"
                       "#6=PRODUCT_DEFINITION('','',#5,$);"
                       "#7=PRODUCT('R','Root','',());#8=PRODUCT_DEFINITION_FORMATION('','',#7);"
                       "#9=PRODUCT_DEFINITION('','',#8,$);"
                       "#10=NEXT_ASSEMBLY_USAGE_OCCURRENCE('1','a','',#9,#3,$);"
                       "#11=NEXT_ASSEMBLY_USAGE_OCCURRENCE('2','b','',#3,#6,$);"
                       "#12=NEXT_ASSEMBLY_USAGE_OCCURRENCE('3','a again','',#6,#3,$);"
                       "ENDSEC;END-ISO-10303-21;";
    pf_step_summary *s = NULL;
    pf_error *err = pf_step_scan_buffer(text, strlen(text), &s);
    CHECK(err == NULL);
    json_t *doc = s ? pf_step_summary_json(s) : NULL;
    CHECK_INT(json_array_size(json_object_get(doc, "tree")), 3);
    CHECK(json_is_true(json_object_get(json_object_get(doc, "summary"), "tree_truncated")));
    CHECK(node_at(doc, "/Root/a/b") != NULL);
    json_decref(doc);
    pf_step_summary_free(s);
}

static void expect_text(const char *raw, const char *utf8) {
    char *got = pf_step_text_utf8(raw, strlen(raw));
    CHECK_MSG(!strcmp(got, utf8), "%s gave \"%s\", not \"%s\"", raw, got, utf8);
    free(got);
}

/* Part 21 escapes, and bytes no encoding explains, always end as UTF-8. */
static void test_text(void) {
    expect_text("plain", "plain");
    expect_text("back\\\\slash", "back\\slash");
    expect_text("Fl\\X\\FCche", "Fl\xC3\xBC"
                                "che");                      /* ISO 8859-1 ü */
    expect_text("\\X2\\00E9007A\\X0\\t", "\xC3\xA9zt");      /* UTF-16 é z */
    expect_text("\\X2\\D83DDE00\\X0\\", "\xF0\x9F\x98\x80"); /* a surrogate pair */
    expect_text("\\X2\\D83D\\X0\\", "\xEF\xBF\xBD");         /* a lone surrogate */
    expect_text("\\X4\\0001F600\\X0\\", "\xF0\x9F\x98\x80");
    expect_text("\\S\\e", "\xC3\xA5");         /* 'e' + 128 */
    expect_text("\\PA\\x", "x");               /* a code page switch */
    expect_text("caf\xC3\xA9", "caf\xC3\xA9"); /* UTF-8 stays */
    expect_text("caf\xE9", "caf\xC3\xA9");     /* a stray byte is ISO 8859-1 */
    /* 0xF5-0xFF lead no sequence, whatever follows (fuzz/fuzz_upload.c). */
    expect_text("\xFF\xA5\xA5", "\xC3\xBF\xC2\xA5\xC2\xA5");
    expect_text("\xF5\x80\x80\x80", "\xC3\xB5\xC2\x80\xC2\x80\xC2\x80");
    expect_text("\\X2\\00E", ""); /* a cut-off run */
    expect_text("tail\\", "tail\\");

    /* A product named with escapes and a header with stray bytes scan into JSON. */
    static const char file[] = "ISO-10303-21;HEADER;FILE_SCHEMA(('AP\xAB"
                               "214'));ENDSEC;DATA;"
                               "#1=PRODUCT('g','Gr\\X2\\00F6\\X0\\\xDF"
                               "e','',());"
                               "#2=PRODUCT_DEFINITION_FORMATION('','',#1);#3=PRODUCT_DEFINITION('','',#2,$);"
                               "ENDSEC;END-ISO-10303-21;";
    pf_step_summary *sum = NULL;
    pf_error *err = pf_step_scan_buffer(file, sizeof file - 1, &sum);
    CHECK(err == NULL);
    json_t *doc = sum ? pf_step_summary_json(sum) : NULL;
    CHECK(doc != NULL);
    CHECK_STR(json_string_value(json_object_get(doc, "schema")), "AP\xC2\xAB"
                                                                 "214");
    CHECK(node_at(doc, "/Gr\xC3\xB6\xC3\x9F"
                       "e") != NULL);
    json_decref(doc);
    pf_step_summary_free(sum);
    pf_error_free(err);
}

/* A summary must not depend on where the splitter's 64-byte chunks cut, nor
 * on whether the file is mapped or handed over as a buffer (it once arrived
 * in 64 KiB reads). The gearbox fixture, behind a comment whose length moves
 * every later byte, at 240 paddings, scanned from memory and from disk. */
static void test_read_boundaries(void) {
    char *path = pf_asprintf("%s/tests/fixtures/step/gearbox.step", PF_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    char base[1 << 16];
    size_t n = f ? fread(base, 1, sizeof base, f) : 0;
    if (f) fclose(f);
    const char *data_at = strstr(base, "DATA;");
    CHECK(data_at != NULL && n < sizeof base);
    if (!data_at) return free(path);
    char *dir = pf_test_tmpdir("scan-boundaries");
    for (size_t pad = 0; pad < 1200; pad += 5) {
        /* Comment padding before DATA moves every later byte. */
        size_t head = (size_t)(data_at - base), fill = (1 << 16) - head - 40 + pad;
        size_t len = n + fill + 4;
        char *buf = pf_xmalloc(len);
        memcpy(buf, base, head);
        buf[head] = '/', buf[head + 1] = '*';
        memset(buf + head + 2, 'x', fill);
        buf[head + fill + 2] = '*', buf[head + fill + 3] = '/';
        memcpy(buf + head + fill + 4, data_at, n - head);
        char *file = pf_asprintf("%s/padded.step", dir);
        FILE *out = fopen(file, "wb");
        fwrite(buf, 1, len, out);
        fclose(out);
        pf_step_summary *whole = NULL, *read = NULL;
        pf_error *e1 = pf_step_scan_buffer(buf, len, &whole), *e2 = pf_step_scan_file(file, &read);
        CHECK_MSG(!e1 && !e2, "pad %zu: %s", pad, e1 ? e1->message : e2 ? e2->message : "");
        json_t *a = whole ? pf_step_summary_json(whole) : NULL, *b = read ? pf_step_summary_json(read) : NULL;
        CHECK_MSG(a && b && json_equal(a, b), "pad %zu: the summaries differ", pad);
        CHECK(json_array_size(json_object_get(a, "tree")) > 5);
        json_decref(a), json_decref(b);
        pf_step_summary_free(whole), pf_step_summary_free(read);
        pf_error_free(e1), pf_error_free(e2);
        free(file), free(buf);
    }
    free(dir);
    free(path);
}

static void test_debian_samples(void) {
    const char *sample = "/usr/share/opencascade/data/step/linkrods.step";
    pf_step_summary *s = NULL;
    if (access(sample, R_OK) != 0) {
        printf("note: %s is not installed (package occt-misc); skipped that real file\n", sample);
        return;
    }
    pf_error *err = pf_step_scan_file(sample, &s);
    CHECK(err == NULL);
    json_t *doc = s ? pf_step_summary_json(s) : NULL;
    CHECK(json_array_size(json_object_get(doc, "products")) > 0);
    CHECK(json_integer_value(json_object_get(doc, "entity_count")) > 100);
    json_decref(doc);
    pf_step_summary_free(s);
    pf_error_free(err);
}

int main(void) {
    test_gearbox();
    test_inch();
    test_long_line();
    test_split_offsets();
    test_record_ids();
    test_broken();
    test_no_geometry();
    test_cycle();
    test_text();
    test_read_boundaries();
    test_debian_samples();
    return pf_check_done("step_scanner");
}
