/* Scene keys and files (render/scene.h): a key never spells a path, a
 * scenes/ directory that is a symlink out of its root is refused, the
 * data directory's scene wins over the shipped one, and the header sniff
 * tells a .blend from a compressed one and from anything else. */
#include "check.h"

#include "core/mem.h"
#include "core/path.h"
#include "render/scene.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_keys(void) {
    const char *good[] = {"hero", "a", "hero_set-2", "0abc"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CHECK_MSG(pf_scene_key_valid(good[i]), "%s", good[i]);
    const char *bad[] = {"",
                         "Hero",
                         "hero.blend",
                         "..",
                         ".",
                         "/etc/passwd",
                         "../x",
                         "a/b",
                         "a\\b",
                         "%2e%2e",
                         "_x",
                         "-x",
                         "a b",
                         "~root",
                         "é",
                         "x\n",
                         "file:///etc/passwd",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 65 */};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(!pf_scene_key_valid(bad[i]), "\"%s\" passed as a key", bad[i]);
    CHECK(!pf_scene_key_valid(NULL));
}

static void touch(const char *path) {
    pf_error *err = pf_write_file_atomic(path, "BLENDER-v304", 12);
    CHECK(err == NULL);
    pf_error_free(err);
}

static void test_find(void) {
    char *root = pf_test_tmpdir("scene"), *data = pf_asprintf("%s/data", root), *share = pf_asprintf("%s/share", root);
    char *outside = pf_asprintf("%s/outside", root);
    const char *dirs[] = {"data/scenes", "share/scenes", "outside"};
    for (size_t i = 0; i < 3; i++) {
        char *d = pf_asprintf("%s/%s", root, dirs[i]);
        pf_error_free(pf_mkdirs(d, 0755));
        free(d);
    }
    char *p = pf_asprintf("%s/share/scenes/both.blend", root);
    touch(p);
    free(p);
    p = pf_asprintf("%s/data/scenes/both.blend", root);
    touch(p);
    free(p);
    p = pf_asprintf("%s/share/scenes/shipped.blend", root);
    touch(p);
    free(p);

    char *found = NULL;
    pf_error *err = pf_scene_find(share, data, "both", "/blend", &found);
    CHECK(err == NULL && found && strstr(found, "/data/scenes/both.blend"));
    free(found);
    err = pf_scene_find(share, data, "shipped", "/blend", &found);
    CHECK(err == NULL && found && strstr(found, "/share/scenes/shipped.blend"));
    free(found);
    err = pf_scene_find(share, data, "ghost", "/blend", &found);
    CHECK(err && err->code == PF_ENOTFOUND && strcmp(err->pointer, "/blend") == 0 && !found);
    pf_error_free(err);
    err = pf_scene_find(share, data, "/etc/passwd", "/blend", &found);
    CHECK(err && err->code == PF_EINVAL && strstr(err->message, "never by a file path") && !found);
    pf_error_free(err);

    /* a scenes/ that leads out of its root is refused, not followed */
    char *evil = pf_asprintf("%s/evil", root), *evil_scenes = pf_asprintf("%s/evil/scenes", root);
    pf_error_free(pf_mkdirs(evil, 0755));
    CHECK(symlink(outside, evil_scenes) == 0);
    p = pf_asprintf("%s/leak.blend", outside);
    touch(p);
    free(p);
    err = pf_scene_find(NULL, evil, "leak", "/blend", &found);
    CHECK_MSG(err && err->code == PF_EINVAL && !found, "%s", err ? err->message : "followed the symlink");
    pf_error_free(err);
    err = pf_scene_data_path(evil, "leak", "/key", &found);
    CHECK(err && err->code == PF_EINVAL && !found);
    pf_error_free(err);
    err = pf_scene_data_path(data, "new_one", "/key", &found);
    CHECK(err == NULL && found && strstr(found, "/data/scenes/new_one.blend"));
    free(found);
    free(evil_scenes);
    free(evil);
    free(outside);
    free(share);
    free(data);
    free(root);
}

static void test_sniff(void) {
    CHECK(pf_scene_sniff((const unsigned char *)"BLENDER-v304REND", 16) == NULL);
    CHECK(pf_scene_sniff((const unsigned char *)"BLENDER_V279", 12) == NULL);
    const char *why = pf_scene_sniff((const unsigned char *)"\x28\xb5\x2f\xfd\0\0\0\0\0\0\0\0", 12);
    CHECK(why && strstr(why, "Zstandard"));
    why = pf_scene_sniff((const unsigned char *)"\x1f\x8b\x08\0\0\0\0\0\0\0\0\0", 12);
    CHECK(why && strstr(why, "gzip"));
    const char *bad[] = {"BLENDER", "BLENDER-v30", "BLENDER+v304", "BLENDER-x304", "BLENDER-vabc", "ISO-10303-21"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why = pf_scene_sniff((const unsigned char *)bad[i], strlen(bad[i]));
        CHECK_MSG(why && strstr(why, "not a Blender file"), "%s", bad[i]);
    }
}

int main(void) {
    test_keys();
    test_find();
    test_sniff();
    return pf_check_done("render_scene");
}
