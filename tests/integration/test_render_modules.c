/* The render.* modules against the real Blender, at tiny resolutions: the
 * product is visible and framed, materials are applied, warm equals cold
 * pixel for pixel, the turntable and the .blend are what they claim, a user
 * .blend scene named by key works and its Python never runs nor reaches a
 * saved file, a product kept in the data directory's cache renders as its
 * import did, and bad input, crashes and timeouts give clear errors
 * and leave no process behind. The input chain (STEP fixture, GLB, bbox,
 * material map, template) comes from the modules themselves. */
#include "check.h"

#include "cad/fixture.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/subprocess.h"
#include "modules/invoke.h"
#include "modules/render/render_job.h"
#include "render/blender_pool.h"
#include "support/png.h"
#include "support/procs.h"
#include "support/scene.h"
#include "support/tmpdir.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    const pf_registry *reg;
    char *share;  /* a private share/ whose script path marks our Blender processes */
    char *data;   /* data root */
    char *script; /* the marker */
    char *tmp;    /* the test's TMPDIR, which its Blender processes inherit */
    json_t *glb, *bbox, *map, *template_value;
} fixture;

typedef struct {
    const char *marker;
    int kills_left; /* kill the marked Blender as it starts rendering, this many times */
} killer;

/* Kills at the "render" phase, which Blender announces before it renders:
 * with adaptive sampling a tiny render may print its only "Sample" line
 * with its result, so a kill there could land after the job was done. */
static void kill_at_render(void *user, double fraction, const char *message) {
    killer *k = user;
    (void)fraction;
    if (strcmp(message, "render") != 0) return;
    if (k->kills_left <= 0) return;
    pid_t pids[8];
    size_t n = pf_test_procs_with(k->marker, pids, 8);
    for (size_t i = 0; i < n && i < 8; i++)
        kill(pids[i], SIGKILL);
    if (n) k->kills_left--;
}

static pf_error *invoke(fixture *f, const char *key, const char *work, json_t *inputs, json_t *params,
                        pf_blender_pool *pool, long timeout_ms, killer *k, json_t **out) {
    atomic_bool cancel = false;
    pf_module_ctx ctx = {.data_root = f->data,
                         .work_dir = work,
                         .share_dir = f->share,
                         .cancel = &cancel,
                         .timeout_ms = timeout_ms,
                         .blender_pool = pool,
                         .progress = k ? kill_at_render : NULL,
                         .progress_user = k};
    *out = NULL;
    pf_error *err = pf_module_invoke(f->reg, key, &ctx, inputs, params, out);
    json_decref(inputs);
    json_decref(params);
    return err;
}

/* Runs a module that must succeed; returns its outputs. */
static json_t *run_ok(fixture *f, const char *key, json_t *inputs, json_t *params, pf_blender_pool *pool) {
    char *work = pf_test_tmpdir("render-work");
    json_t *out = NULL;
    pf_error *err = invoke(f, key, work, inputs, params, pool, 0, NULL, &out);
    CHECK_MSG(err == NULL, "%s: %s at %s", key, err ? err->message : "", err ? err->pointer : "");
    pf_error_free(err);
    free(work);
    return out;
}

static json_t *render_inputs(const fixture *f, bool with_template) {
    json_t *in = json_pack("{s:O, s:O, s:O}", "glb", f->glb, "bbox", f->bbox, "material_map", f->map);
    if (with_template) json_object_set(in, "template", f->template_value);
    return in;
}

static const char *port_path(const json_t *out, const char *port) {
    return json_string_value(json_object_get(json_object_get(out, port), "path"));
}

static void copy_file(const char *from, const char *to) {
    char *data = NULL;
    size_t len = 0;
    pf_error *err = pf_read_file(from, 1u << 24, &data, &len);
    if (!err) err = pf_write_file_atomic(to, data, len);
    CHECK_MSG(err == NULL, "copy %s: %s", from, err ? err->message : "");
    pf_error_free(err);
    free(data);
}

static void setup(fixture *f, const pf_registry *reg) {
    f->reg = reg;
    f->data = pf_test_tmpdir("render-data");
    f->share = pf_asprintf("%s/share", f->data);
    char *blender_dir = pf_asprintf("%s/blender", f->share);
    pf_error_free(pf_mkdirs(blender_dir, 0755));
    f->script = pf_asprintf("%s/prodflow_render.py", blender_dir);
    copy_file(PF_SOURCE_DIR "/share/blender/prodflow_render.py", f->script);
    char *python = pf_asprintf("%s/prodflow_python.py", blender_dir);
    copy_file(PF_SOURCE_DIR "/share/blender/prodflow_python.py", python);
    free(python);
    const char *linked[] = {"materials", "templates"};
    for (size_t i = 0; i < 2; i++) {
        char *from = pf_asprintf("%s/share/%s", PF_SOURCE_DIR, linked[i]),
             *to = pf_asprintf("%s/%s", f->share, linked[i]);
        CHECK(symlink(from, to) == 0);
        free(from);
        free(to);
    }
    free(blender_dir);

    char *step = pf_asprintf("%s/gearbox.step", f->data);
    pf_fixture_opts fo = {.bolts = 4};
    pf_error *err = pf_cad_make_fixture(step, &fo);
    CHECK(err == NULL);
    pf_error_free(err);
    json_t *out = run_ok(f, "cad.export_glb", json_pack("{s:{s:s}}", "step", "path", step), NULL, NULL);
    f->glb = json_incref(json_object_get(out, "glb"));
    json_decref(out);
    out = run_ok(f, "cad.compute_bbox", json_pack("{s:{s:s}}", "step", "path", step), NULL, NULL);
    f->bbox = json_incref(json_object_get(out, "bbox"));
    json_decref(out);
    json_t *objects = run_ok(f, "cad.extract_objects", json_pack("{s:{s:s}}", "step", "path", step), NULL, NULL);
    json_t *auto_map = run_ok(f, "materials.auto_populate",
                              json_pack("{s:O}", "objects", json_object_get(objects, "objects")), NULL, NULL);
    out = run_ok(f, "materials.resolve_map",
                 json_pack("{s:O, s:O}", "objects", json_object_get(objects, "objects"), "auto_map",
                           json_object_get(auto_map, "material_map")),
                 NULL, NULL);
    f->map = json_incref(json_object_get(out, "material_map"));
    json_decref(out);
    json_decref(auto_map);
    json_decref(objects);
    out = run_ok(f, "render.resolve_template", json_object(), json_pack("{s:s}", "artifact_kind", "still_image"), NULL);
    f->template_value = json_incref(json_object_get(out, "template"));
    CHECK_STR(json_string_value(json_object_get(f->template_value, "key")), "studio_white");
    json_decref(out);
    free(step);
}

static json_t *still_params(int size, int samples, const char *override) {
    return json_pack("{s:i, s:i, s:i, s:b, s:s}", "width", size, "height", size, "samples", samples, "transparent", 1,
                     "material_override", override ? override : "");
}

static void read_png(const char *path, pf_test_image *img) {
    memset(img, 0, sizeof *img);
    CHECK_MSG(path && pf_test_png_read(path, img) == 0, "cannot read PNG %s", path ? path : "(none)");
}

/* Mean red and blue of the opaque pixels. */
static void mean_rb(const pf_test_image *img, double *r, double *b) {
    double sr = 0, sb = 0;
    size_t n = 0;
    for (size_t i = 0; img->rgba && i < (size_t)img->width * img->height; i++) {
        if (img->rgba[i * 4 + 3] < 200) continue;
        sr += img->rgba[i * 4], sb += img->rgba[i * 4 + 2], n++;
    }
    *r = n ? sr / n : 0, *b = n ? sb / n : 0;
}

static void check_visible(const char *path, unsigned size) {
    pf_test_image img;
    read_png(path, &img);
    CHECK_INT(img.width, size);
    CHECK_INT(img.height, size);
    unsigned rect[4];
    double coverage = pf_test_image_coverage(&img, rect);
    CHECK_MSG(coverage > 0.05, "only %.1f%% of %s is product", coverage * 100, path);
    /* framed with a margin: nothing touches the edges */
    CHECK_MSG(rect[0] >= 2 && rect[1] >= 2 && rect[2] <= size - 2 && rect[3] <= size - 2,
              "product rectangle %u,%u-%u,%u in a %u frame", rect[0], rect[1], rect[2], rect[3], size);
    pf_test_image_free(&img);
}

static bool same_pixels(const char *a, const char *b) {
    pf_test_image x, y;
    read_png(a, &x);
    read_png(b, &y);
    bool same = x.rgba && y.rgba && x.width == y.width && x.height == y.height &&
                memcmp(x.rgba, y.rgba, (size_t)x.width * x.height * 4) == 0;
    pf_test_image_free(&x);
    pf_test_image_free(&y);
    return same;
}

/* The first worker's field in the pool's status. */
static json_int_t worker_field(pf_blender_pool *pool, const char *field) {
    json_t *status = pf_blender_pool_status(pool);
    json_int_t v = json_integer_value(json_object_get(json_array_get(json_object_get(status, "workers"), 0), field));
    json_decref(status);
    return v;
}

static const char other_digest[] = "0000000000000000000000000000000000000000000000000000000000000001";

/* Files in dir whose names start with prefix. */
static int files_with(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
    if (d) closedir(d);
    return n;
}

static void test_still_cold_and_warm(fixture *f) {
    json_t *cold = run_ok(f, "render.blender_still", render_inputs(f, true), still_params(96, 4, NULL), NULL);
    check_visible(port_path(cold, "image"), 96);
    /* The script ends its process without Blender's own exit, and removes
     * the session's temporary directory that exit would have removed. */
    CHECK_MSG(files_with(f->tmp, "blender_") == 0, "a cold still left a Blender temporary directory in %s", f->tmp);

    /* Materials: an override repaints every part. */
    json_t *red =
        run_ok(f, "render.blender_still", render_inputs(f, true), still_params(48, 4, "painted_metal_red"), NULL);
    json_t *blue =
        run_ok(f, "render.blender_still", render_inputs(f, true), still_params(48, 4, "painted_metal_blue"), NULL);
    pf_test_image ri, bi;
    read_png(port_path(red, "image"), &ri);
    read_png(port_path(blue, "image"), &bi);
    double rr, rb, br, bb;
    mean_rb(&ri, &rr, &rb);
    mean_rb(&bi, &br, &bb);
    CHECK_MSG(rr > rb * 1.5 && bb > br * 1.5, "red override %.0f/%.0f, blue override %.0f/%.0f", rr, rb, br, bb);
    pf_test_image_free(&ri);
    pf_test_image_free(&bi);
    json_decref(red);
    json_decref(blue);

    /* Warm: the first job imports, the second reuses the import; both equal cold. */
    pf_blender_pool_opts po = {.setup = {.script = f->script}, .workers = 1};
    pf_blender_pool *pool = pf_blender_pool_new(&po);
    json_t *warm1 = run_ok(f, "render.blender_still", render_inputs(f, true), still_params(96, 4, NULL), pool);
    json_t *other = run_ok(f, "render.blender_still", render_inputs(f, true), still_params(48, 4, "chrome"), pool);
    json_t *warm2 = run_ok(f, "render.blender_still", render_inputs(f, true), still_params(96, 4, NULL), pool);
    CHECK_MSG(same_pixels(port_path(cold, "image"), port_path(warm1, "image")), "cold and warm stills differ");
    CHECK_MSG(same_pixels(port_path(cold, "image"), port_path(warm2, "image")),
              "a cached model after an override renders differently");
    /* The import is kept by GLB digest: the override and the second still
     * found it cached; the same file under another digest is another
     * product, imported afresh. */
    CHECK_INT(worker_field(pool, "imports"), 1);
    json_t *renamed = render_inputs(f, true);
    json_t *glb = json_deep_copy(f->glb);
    json_object_set_new(glb, "sha256", json_string(other_digest));
    json_object_set_new(renamed, "glb", glb);
    json_decref(run_ok(f, "render.blender_still", renamed, still_params(48, 4, NULL), pool));
    CHECK_INT(worker_field(pool, "imports"), 2);
    json_decref(run_ok(f, "render.blender_still", render_inputs(f, true), still_params(48, 4, NULL), pool));
    CHECK_INT(worker_field(pool, "imports"), 2);

    /* A worker killed mid-render: the job is done again from cold, same pixels. */
    killer k = {.marker = f->script, .kills_left = 1};
    char *work = pf_test_tmpdir("render-work");
    json_t *out = NULL;
    pf_error *err =
        invoke(f, "render.blender_still", work, render_inputs(f, true), still_params(96, 4, NULL), pool, 0, &k, &out);
    CHECK_MSG(err == NULL, "%s", err ? err->message : "");
    CHECK_INT(k.kills_left, 0);
    json_t *status = pf_blender_pool_status(pool);
    CHECK_INT(json_integer_value(json_object_get(status, "fallbacks")), 1);
    json_decref(status);
    CHECK(same_pixels(port_path(cold, "image"), port_path(out, "image")));
    pf_error_free(err);
    json_decref(out);
    free(work);

    /* The turntable renders its frames on the warm worker too. */
    json_t *tt_params = json_pack("{s:i, s:i, s:i, s:i, s:i, s:b}", "width", 64, "height", 48, "samples", 2, "frames",
                                  6, "fps", 4, "keep_frames", 1);
    json_t *tt = run_ok(f, "render.blender_turntable", render_inputs(f, true), tt_params, pool);
    const char *mp4 = port_path(tt, "video");
    char *probe_path = pf_asprintf("%s.json", mp4);
    char *cmd = pf_asprintf("ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                            "stream=nb_read_frames,codec_name,width,height:format=duration -of json '%s' > '%s'",
                            mp4, probe_path);
    const char *sh[] = {"sh", "-c", cmd, NULL};
    pf_subprocess_opts o = {.argv = sh};
    pf_subprocess_result r;
    CHECK(pf_subprocess_run(&o, &r) == NULL && r.exit_code == 0);
    json_t *info = json_load_file(probe_path, 0, NULL);
    json_t *stream = json_array_get(json_object_get(info, "streams"), 0);
    CHECK_STR(json_string_value(json_object_get(stream, "codec_name")), "h264");
    CHECK_STR(json_string_value(json_object_get(stream, "nb_read_frames")), "6");
    CHECK_INT(json_integer_value(json_object_get(stream, "width")), 64);
    CHECK_STR(json_string_value(json_object_get(json_object_get(info, "format"), "duration")), "1.500000");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(tt, "frames"), "count")), 6);
    json_decref(info);
    free(cmd);
    free(probe_path);
    json_decref(tt);

    json_decref(cold);
    json_decref(warm1);
    json_decref(warm2);
    json_decref(other);
    pf_blender_pool_free(pool);
}

/* A cold still through the render job (what render.blender_still runs),
 * keeping its timing, whose import_s or load_s says whether the product
 * came from the GLB or from the cache; cache NULL keeps none. Returns the
 * image's path. */
static char *job_still(fixture *f, json_t *glb, const char *cache, uint64_t quota, const char *override,
                       pf_blender_pool *pool, json_t **timing) {
    atomic_bool cancel = false;
    char *work = pf_test_tmpdir("render-work");
    pf_module_ctx ctx = {.data_root = f->data,
                         .work_dir = work,
                         .share_dir = f->share,
                         .cancel = &cancel,
                         .blender_pool = pool,
                         .cache_dir = cache,
                         .disk_quota_bytes = quota};
    json_t *inputs = render_inputs(f, true), *params = still_params(48, 4, override), *job = NULL, *result = NULL;
    json_object_set(inputs, "glb", glb);
    pf_error *err = pf_render_job_new(&ctx, "still", inputs, params, NULL, &job);
    if (!err) {
        json_object_set_new(job, "output", json_pack("{s:s, s:s}", "dir", work, "file", "still.png"));
        err = pf_render_job_run(&ctx, job, 1, NULL, NULL, &result);
    }
    CHECK_MSG(err == NULL, "still: %s", err ? err->message : "");
    pf_error_free(err);
    char *image = pf_strdup(json_string_value(json_object_get(result, "image")));
    *timing = json_incref(json_object_get(result, "timing"));
    json_decref(result);
    json_decref(job);
    json_decref(params);
    json_decref(inputs);
    free(work);
    return image;
}

static bool came_from(const json_t *timing, const char *phase) {
    const char *other = strcmp(phase, "import_s") == 0 ? "load_s" : "import_s";
    return json_object_get(timing, phase) && !json_object_get(timing, other);
}

/* The product kept in the data directory's cache: the first cold still
 * imports and keeps it, the next opens it, and both equal a still without
 * the cache pixel for pixel, with or without an override and on a warm
 * worker's first job too. The cache never goes past the disk quota, an
 * unreadable file is imported again and replaced, and a dead writer's
 * temporary file is swept. */
static void test_model_cache(fixture *f) {
    char *cache = pf_asprintf("%s/cache", f->data), *models = pf_asprintf("%s/render-models", cache);
    const char *digest = json_string_value(json_object_get(f->glb, "sha256"));
    json_t *t = NULL;
    char *plain = job_still(f, f->glb, NULL, 0, NULL, NULL, &t);
    CHECK(came_from(t, "import_s"));
    json_decref(t);
    char *miss = job_still(f, f->glb, cache, 0, NULL, NULL, &t);
    CHECK_MSG(came_from(t, "import_s") && json_object_get(t, "store_s"), "the first still did not keep its product");
    json_decref(t);
    CHECK_INT(files_with(models, digest), 1);
    CHECK_INT(files_with(models, ".tmp-"), 0);
    char *hit = job_still(f, f->glb, cache, 0, NULL, NULL, &t);
    CHECK_MSG(came_from(t, "load_s"), "the second still did not open the kept product");
    json_decref(t);
    CHECK_MSG(same_pixels(plain, miss), "a still that kept its product differs from one without the cache");
    CHECK_MSG(same_pixels(plain, hit), "a still of the kept product differs from the imported one");

    /* Materials go on per job: an override on the kept product equals one
     * on an import. */
    char *chrome = job_still(f, f->glb, NULL, 0, "chrome", NULL, &t);
    json_decref(t);
    char *chrome_hit = job_still(f, f->glb, cache, 0, "chrome", NULL, &t);
    CHECK(came_from(t, "load_s"));
    json_decref(t);
    CHECK_MSG(same_pixels(chrome, chrome_hit), "an override on the kept product renders differently");

    /* A warm worker's first job opens it too: no import. */
    pf_blender_pool_opts po = {.setup = {.script = f->script}, .workers = 1};
    pf_blender_pool *pool = pf_blender_pool_new(&po);
    char *warm = job_still(f, f->glb, cache, 0, NULL, pool, &t);
    json_decref(t);
    CHECK_INT(worker_field(pool, "imports"), 0);
    CHECK(same_pixels(plain, warm));
    pf_blender_pool_free(pool);

    /* Past the quota nothing is kept, and the render goes on: with the
     * quota reached, and with too little left for the file. */
    json_t *other = json_deep_copy(f->glb);
    json_object_set_new(other, "sha256",
                        json_string("0000000000000000000000000000000000000000000000000000000000000003"));
    char *full = job_still(f, other, cache, 1, NULL, NULL, &t);
    json_decref(t);
    char *tight = job_still(f, other, cache, pf_tree_bytes(f->data) + 1000, NULL, NULL, &t);
    CHECK(came_from(t, "import_s"));
    json_decref(t);
    CHECK_INT(files_with(models, "00000000"), 0);
    CHECK_INT(files_with(models, ".tmp-"), 0);
    CHECK(same_pixels(plain, full) && same_pixels(plain, tight));

    /* An unreadable file is imported again and replaced; the temporary
     * file of a writer that died is swept, a living writer's is not. */
    char *kept = pf_asprintf("%s/%s-blender3.4.1-f1.blend", models, digest);
    CHECK(access(kept, R_OK) == 0);
    CHECK(pf_write_file_atomic(kept, "not a blend", 11) == NULL);
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0);
    char *stale = pf_asprintf("%s/.tmp-%d-x.blend", models, (int)dead),
         *live = pf_asprintf("%s/.tmp-%d-y.blend", models, (int)getpid());
    CHECK(pf_write_file_atomic(stale, "x", 1) == NULL && pf_write_file_atomic(live, "y", 1) == NULL);
    char *again = job_still(f, f->glb, cache, 0, NULL, NULL, &t);
    CHECK_MSG(came_from(t, "import_s") && json_object_get(t, "store_s"), "an unreadable kept file was used");
    json_decref(t);
    CHECK(same_pixels(plain, again));
    CHECK_MSG(access(stale, F_OK) != 0, "a dead writer's temporary file was left");
    CHECK_MSG(access(live, F_OK) == 0, "a living writer's temporary file was removed");
    unlink(live);
    char *head = NULL;
    size_t len = 0;
    pf_error_free(pf_read_file(kept, 1 << 26, &head, &len));
    CHECK_MSG(head && len > 7 && memcmp(head, "BLENDER", 7) == 0, "the unreadable file was not replaced");
    free(head);
    char *reopened = job_still(f, f->glb, cache, 0, NULL, NULL, &t);
    CHECK(came_from(t, "load_s"));
    json_decref(t);

    char *images[] = {plain, miss, hit, chrome, chrome_hit, warm, full, tight, again, reopened};
    for (size_t i = 0; i < sizeof images / sizeof *images; i++)
        free(images[i]);
    free(stale);
    free(live);
    free(kept);
    json_decref(other);
    free(models);
    free(cache);
}

/* Prints what Blender sees in a .blend: its objects, one per line. */
/* Debian's Blender takes its Python prefix from the first python3 on PATH:
 * with a pyenv, conda or virtualenv python first, every import of numpy
 * (so every GLB import) fails. A fake python prefix first on the server's
 * PATH reproduces that on any machine; renders must not care, because
 * children get a PATH that starts with the system's own directories. */
static void test_foreign_python_first(fixture *f) {
    char *dir = pf_test_tmpdir("foreign-python");
    char *bin = pf_asprintf("%s/bin", dir), *lib = pf_asprintf("%s/lib/python3.11", dir);
    char *exe = pf_asprintf("%s/python3", bin), *os_py = pf_asprintf("%s/os.py", lib);
    CHECK(pf_mkdirs(bin, 0755) == NULL && pf_mkdirs(lib, 0755) == NULL);
    CHECK(pf_write_file_atomic(exe, "#!/bin/sh\nexit 1\n", 18) == NULL && chmod(exe, 0755) == 0);
    CHECK(pf_write_file_atomic(os_py, "", 0) == NULL);
    char *saved = pf_strdup(getenv("PATH"));
    char *path = pf_asprintf("%s:%s", bin, saved);
    setenv("PATH", path, 1);
    json_t *out = run_ok(f, "render.blender_still", render_inputs(f, true), still_params(48, 2, NULL), NULL);
    check_visible(port_path(out, "image"), 48);
    json_decref(out);
    setenv("PATH", saved, 1);
    free(saved);
    free(path);
    free(exe);
    free(os_py);
    free(bin);
    free(lib);
    free(dir);
}

static char *blend_objects(const char *blend) {
    char *listing = pf_asprintf("%s.objects", blend);
    char *expr = pf_asprintf("import bpy; open('%s', 'w').write('\\n'.join(sorted(o.name + ':' + o.type for o in "
                             "bpy.data.objects)) + '\\n')",
                             listing);
    const char *argv[] = {
        "blender", "-b", "--factory-startup", "--disable-autoexec", "-noaudio", blend, "--python-expr", expr, NULL};
    pf_subprocess_opts o = {.argv = argv};
    pf_subprocess_result r;
    CHECK(pf_subprocess_run(&o, &r) == NULL && r.exit_code == 0);
    char *text = NULL;
    size_t len;
    pf_error *err = pf_read_file(listing, 1 << 20, &text, &len);
    CHECK(err == NULL);
    pf_error_free(err);
    free(expr);
    free(listing);
    return text ? text : pf_strdup("");
}

static void test_blend_and_thumbnail(fixture *f) {
    json_t *out = run_ok(f, "render.blender_export_blend", render_inputs(f, true), json_object(), NULL);
    char *objects = blend_objects(port_path(out, "blend"));
    const char *expected[] = {"Housing:MESH",  "Cover:MESH",    "Shaft:MESH",     "Bolt_M4:MESH",
                              "Gearbox:EMPTY", "Camera:CAMERA", "Light_key:LIGHT"};
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
        CHECK_MSG(strstr(objects, expected[i]) != NULL, "%s missing from the .blend:\n%s", expected[i], objects);
    free(objects);
    json_decref(out);

    out = run_ok(f, "render.thumbnail", json_pack("{s:O, s:O}", "glb", f->glb, "bbox", f->bbox),
                 json_pack("{s:i}", "size", 64), NULL);
    check_visible(port_path(out, "image"), 64);
    json_decref(out);
    out = run_ok(f, "render.thumbnail", json_pack("{s:O, s:O}", "glb", f->glb, "bbox", f->bbox),
                 json_pack("{s:i, s:s}", "size", 64, "format", "webp"), NULL);
    char *data = NULL;
    size_t len = 0;
    pf_error_free(pf_read_file(port_path(out, "image"), 1 << 20, &data, &len));
    CHECK(data && len > 12 && memcmp(data, "RIFF", 4) == 0 && memcmp(data + 8, "WEBP", 4) == 0);
    free(data);
    json_decref(out);
}

/* User scenes made by Blender from a project script, named by key: a clean
 * one renders; a hostile one (as a scene that never went through the
 * upload check would be) renders and saves with its Python stripped, and
 * none of it ever runs; a template naming a path is refused. */
static void test_blend_scene_template(fixture *f) {
    char *scenes = pf_asprintf("%s/scenes", f->data), *dir = pf_asprintf("%s/templates", f->data);
    pf_error_free(pf_mkdirs(scenes, 0755));
    pf_error_free(pf_mkdirs(dir, 0755));
    char *hero = pf_asprintf("%s/hero.blend", scenes), *trap = pf_asprintf("%s/trap.blend", scenes);
    char *marker = pf_asprintf("%s/python-ran", f->data);
    CHECK(pf_test_make_scene(hero, "clean", marker));
    CHECK(pf_test_make_scene(trap, "hostile", marker));
    const char *docs[][2] = {
        {"hero.json", "{\"key\":\"hero\",\"label\":\"Hero scene\",\"kind\":\"blend_scene\",\"categories\":[\"*\"],"
                      "\"artifact_kinds\":[\"still_image\"],\"blend\":\"hero\",\"camera_object\":\"HeroCam\","
                      "\"collection\":\"ProductSlot\"}"},
        {"trap.json", "{\"key\":\"trap\",\"label\":\"Trap\",\"kind\":\"blend_scene\",\"categories\":[\"*\"],"
                      "\"artifact_kinds\":[\"still_image\",\"production_blend\"],\"blend\":\"trap\","
                      "\"camera_object\":\"HeroCam\",\"collection\":\"ProductSlot\"}"},
        {"host.json", "{\"key\":\"host\",\"label\":\"Host file\",\"kind\":\"blend_scene\",\"categories\":[\"*\"],"
                      "\"artifact_kinds\":[\"still_image\"],\"blend\":\"/etc/passwd\",\"collection\":\"C\"}"}};
    for (size_t i = 0; i < 3; i++) {
        char *path = pf_asprintf("%s/%s", dir, docs[i][0]);
        pf_error_free(pf_write_file_atomic(path, docs[i][1], strlen(docs[i][1])));
        free(path);
    }
    json_t *chosen = run_ok(f, "render.resolve_template", json_object(), json_pack("{s:s}", "template", "hero"), NULL);
    json_t *in =
        json_pack("{s:O, s:O, s:O}", "glb", f->glb, "bbox", f->bbox, "template", json_object_get(chosen, "template"));
    json_t *out = run_ok(f, "render.blender_still", in, still_params(96, 4, NULL), NULL);
    check_visible(port_path(out, "image"), 96);
    json_decref(out);
    json_decref(chosen);

    chosen = run_ok(f, "render.resolve_template", json_object(), json_pack("{s:s}", "template", "trap"), NULL);
    in = json_pack("{s:O, s:O, s:O}", "glb", f->glb, "bbox", f->bbox, "template", json_object_get(chosen, "template"));
    out = run_ok(f, "render.blender_export_blend", in, json_object(), NULL);
    json_t *held = pf_test_inspect_blend(port_path(out, "blend"));
    CHECK_MSG(held != NULL, "Blender cannot open the delivered .blend");
    CHECK_INT(json_integer_value(json_object_get(held, "texts")), 0);
    CHECK_INT(json_integer_value(json_object_get(held, "scripted_drivers")), 0);
    char *objects = json_dumps(json_object_get(held, "objects"), JSON_COMPACT);
    CHECK_MSG(objects && strstr(objects, "\"Housing\"") && strstr(objects, "\"Trap\""), "objects: %s",
              objects ? objects : "");
    free(objects);
    json_decref(held);
    json_decref(out);
    json_decref(chosen);
    held = pf_test_inspect_blend(trap); /* the scene itself is left as it was */
    CHECK_INT(json_integer_value(json_object_get(held, "texts")), 1);
    CHECK_INT(json_integer_value(json_object_get(held, "scripted_drivers")), 2);
    json_decref(held);
    CHECK_MSG(access(marker, F_OK) != 0, "the scene's Python ran");

    /* a path is not a scene key, and the refusal says nothing of the file */
    char *work = pf_test_tmpdir("render-work");
    out = NULL;
    pf_error *err = invoke(f, "render.resolve_template", work, json_object(), json_pack("{s:s}", "template", "host"),
                           NULL, 0, NULL, &out);
    CHECK(err && err->code == PF_EINVAL && strcmp(err->pointer, "/params/template") == 0);
    CHECK_MSG(err && strstr(err->message, "/blend: a scene is named by its key") && !strstr(err->message, "read") &&
                  !strstr(err->message, "exist"),
              "%s", err ? err->message : "");
    pf_error_free(err);
    json_decref(out);
    free(work);
    free(marker);
    free(trap);
    free(hero);
    free(dir);
    free(scenes);
}

static void expect_error(fixture *f, const char *key, json_t *inputs, json_t *params, long timeout_ms, killer *k,
                         pf_code code, const char *pointer, const char *words) {
    char *work = pf_test_tmpdir("render-work");
    json_t *out = NULL;
    pf_error *err = invoke(f, key, work, inputs, params, NULL, timeout_ms, k, &out);
    CHECK_MSG(err && err->code == code, "%s: wanted %s, got %s: %s", key, pf_code_name(code),
              err ? pf_code_name(err->code) : "success", err ? err->message : "");
    if (err && pointer) CHECK_STR(err->pointer, pointer);
    if (err) CHECK_MSG(strstr(err->message, words) != NULL, "\"%s\" lacks \"%s\"", err->message, words);
    pf_error_free(err);
    json_decref(out);
    free(work);
}

static void test_errors(fixture *f) {
    /* a GLB whose JSON chunk is garbage, and a file that is no GLB at all */
    char *bad = pf_asprintf("%s/corrupt.glb", f->data), *text = pf_asprintf("%s/notes.glb", f->data);
    char *data = NULL;
    size_t len = 0;
    pf_error_free(pf_read_file(json_string_value(json_object_get(f->glb, "path")), 1u << 26, &data, &len));
    if (data && len > 64) memset(data + 20, '#', 40);
    pf_error_free(pf_write_file_atomic(bad, data ? data : "", data ? len : 0));
    pf_error_free(pf_write_file_atomic(text, "hello", 5));
    free(data);
    json_t *in = render_inputs(f, true);
    json_object_set_new(in, "glb", json_pack("{s:s}", "path", bad));
    expect_error(f, "render.blender_still", in, still_params(32, 1, NULL), 0, NULL, PF_EINVAL, "/inputs/glb",
                 "cannot import");
    in = render_inputs(f, true);
    json_object_set_new(in, "glb", json_pack("{s:s}", "path", text));
    expect_error(f, "render.blender_still", in, still_params(32, 1, NULL), 0, NULL, PF_EINVAL, "/inputs/glb",
                 "not a GLB");
    expect_error(f, "render.resolve_template", json_object(), json_pack("{s:s}", "template", "no_such_look"), 0, NULL,
                 PF_ENOTFOUND, "/params/template", "no template \"no_such_look\"");
    expect_error(f, "render.blender_still", render_inputs(f, true), still_params(32, 1, "unobtainium"), 0, NULL,
                 PF_EINVAL, "/params/material_override", "unobtainium");
    /* Blender killed mid-render */
    killer k = {.marker = f->script, .kills_left = 1};
    expect_error(f, "render.blender_still", render_inputs(f, true), still_params(96, 64, NULL), 0, &k, PF_EIO, NULL,
                 "crashed");
    /* a render far longer than its time limit */
    expect_error(f, "render.blender_still", render_inputs(f, true), still_params(256, 4096, NULL), 1500, NULL,
                 PF_ETIMEOUT, NULL, "within 1.5 s");
    free(bad);
    free(text);
}

int main(void) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = pf_registry_load(&errs);
    CHECK(reg != NULL);
    if (!reg) return pf_check_done("render_modules");
    fixture f = {.tmp = pf_test_tmpdir("render-tmp")};
    setenv("TMPDIR", f.tmp, 1);
    setup(&f, reg);
    test_still_cold_and_warm(&f);
    test_model_cache(&f);
    test_foreign_python_first(&f);
    test_blend_and_thumbnail(&f);
    test_blend_scene_template(&f);
    test_errors(&f);
    pid_t pids[8];
    CHECK_MSG(pf_test_procs_with(f.script, pids, 8) == 0, "a Blender process outlived the test");
    json_decref(f.glb);
    json_decref(f.bbox);
    json_decref(f.map);
    json_decref(f.template_value);
    free(f.script);
    free(f.tmp);
    free(f.share);
    free(f.data);
    pf_registry_free(reg);
    pf_errors_clear(&errs);
    return pf_check_done("render_modules");
}
