/* The Blender worker pool against a fake Blender that speaks the protocol:
 * progress parsing, job errors, crash and hang fall-backs, timeouts,
 * cancellation, and no process left behind. The real Blender is exercised
 * in tests/integration/test_render_modules.c. */
#include "check.h"

#include "core/mem.h"
#include "core/subprocess.h"
#include "render/blender_pool.h"
#include "support/procs.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAKE PF_SOURCE_DIR "/tests/fixtures/render/fake_blender"

typedef struct {
    int events;
    double last;
    bool monotonic;
    bool starting; /* a cold start said so before the job's progress */
} progress_log;

/* A fraction < 0 is "not known" (a cold Blender starting). */
static void on_progress(void *user, double fraction, const char *message) {
    progress_log *p = user;
    if (fraction < 0) {
        p->starting = p->starting || (p->events == 0 && strcmp(message, "starting Blender") == 0);
    } else {
        if (fraction < p->last) p->monotonic = false;
        p->last = fraction;
    }
    p->events++;
}

/* The frame hook: counts frames whose file it was told of. */
static void on_frame(void *user, int frame, const char *path) {
    int *seen = user;
    if (frame == *seen + 1 && strcmp(path, "x.png") == 0) (*seen)++;
}

static json_t *job(const char *op, const char *marker) {
    return json_pack("{s:s, s:s, s:{s:s}}", "op", op, "marker", marker ? marker : "", "glb", "sha256", "abc");
}

static pf_error *render(pf_blender_pool *pool, const char *op, const char *marker, pf_blender_call *call,
                        json_t **result) {
    pf_blender_setup cold = {.blender = FAKE, .script = "unused.py"};
    json_t *j = job(op, marker);
    pf_error *err = pf_blender_render(pool, &cold, j, call, result);
    json_decref(j);
    return err;
}

static json_int_t status_field(pf_blender_pool *pool, const char *field) {
    json_t *s = pf_blender_pool_status(pool);
    json_int_t v = json_integer_value(json_object_get(s, field));
    json_decref(s);
    return v;
}

static void test_cold(void) {
    progress_log log = {.monotonic = true};
    int frames_seen = 0;
    pf_blender_call call = {
        .progress = on_progress, .progress_user = &log, .frames = 1, .on_frame = on_frame, .frame_user = &frames_seen};
    json_t *result = NULL;
    pf_error *err = render(NULL, "still", NULL, &call, &result);
    CHECK(err == NULL);
    CHECK(json_integer_value(json_object_get(result, "pid")) > 0);
    CHECK_INT(frames_seen, 1);
    /* the timing the worker adds: the process start on its first job */
    json_t *timing = json_object_get(result, "timing");
    CHECK(json_is_real(json_object_get(timing, "start_s")));
    /* Blender's own account, read from its output */
    CHECK(json_real_value(json_object_get(timing, "cycles_s")) == 61.5);
    CHECK(json_real_value(json_object_get(timing, "write_s")) == 0.25);
    /* four samples and one frame event, in order */
    CHECK(log.events >= 5);
    CHECK(log.monotonic);
    CHECK(log.starting);
    CHECK(log.last > 0.99);
    json_decref(result);

    err = render(NULL, "fail", NULL, &call, &result);
    CHECK(err && err->code == PF_EINVAL);
    CHECK_STR(err ? err->pointer : NULL, "/inputs/glb");
    CHECK_STR(err ? err->message : NULL, "not a GLB");
    pf_error_free(err);

    err = render(NULL, "crash", NULL, &call, &result);
    CHECK(err && err->code == PF_EIO);
    CHECK_MSG(err && strstr(err->message, "signal 9"), "%s", err ? err->message : "");
    pf_error_free(err);

    pf_blender_setup missing = {.blender = "/nonexistent/blender", .script = "x.py"};
    json_t *j = job("still", NULL);
    err = pf_blender_render(NULL, &missing, j, &call, &result);
    CHECK(err && err->code == PF_EUNAVAILABLE);
    json_decref(j);
    pf_error_free(err);
}

static void test_warm(const char *dir) {
    pf_blender_pool_opts o = {.setup = {.blender = FAKE, .script = "unused.py"}, .workers = 1, .stall_ms = 1500};
    pf_blender_pool *pool = pf_blender_pool_new(&o);
    pf_blender_call call = {.frames = 1};
    json_t *first = NULL, *second = NULL;
    CHECK(render(pool, "still", NULL, &call, &first) == NULL);
    CHECK(render(pool, "still", NULL, &call, &second) == NULL);
    /* the same process served both */
    CHECK(json_integer_value(json_object_get(first, "pid")) == json_integer_value(json_object_get(second, "pid")));
    json_decref(second);

    /* a job error leaves the worker alive */
    pf_error *err = render(pool, "fail", NULL, &call, &second);
    CHECK(err && err->code == PF_EINVAL);
    pf_error_free(err);
    CHECK(render(pool, "still", NULL, &call, &second) == NULL);
    CHECK(json_integer_value(json_object_get(first, "pid")) == json_integer_value(json_object_get(second, "pid")));
    json_decref(second);

    /* a crash mid-job: the job runs again in a fresh process and succeeds */
    char *marker = pf_asprintf("%s/crashed", dir);
    CHECK(render(pool, "crash_once", marker, &call, &second) == NULL);
    CHECK(json_integer_value(json_object_get(first, "pid")) != json_integer_value(json_object_get(second, "pid")));
    CHECK_INT(status_field(pool, "fallbacks"), 1);
    json_decref(second);
    free(marker);

    /* a hang: silent past stall_ms, killed, and done again from cold */
    marker = pf_asprintf("%s/hung", dir);
    CHECK(render(pool, "hang_once", marker, &call, &second) == NULL);
    CHECK_INT(status_field(pool, "fallbacks"), 2);
    json_decref(second);
    free(marker);

    /* a timeout is a timeout, not a fall-back */
    pf_blender_call limited = {.deadline_ms = pf_now_ms() + 300, .timeout_ms = 300, .frames = 1};
    err = render(pool, "slow", NULL, &limited, &second);
    CHECK(err && err->code == PF_ETIMEOUT);
    pf_error_free(err);
    CHECK_INT(status_field(pool, "fallbacks"), 2);

    /* cancellation kills the worker */
    atomic_bool cancel = true;
    pf_blender_call cancelled = {.cancel = &cancel, .frames = 1};
    err = render(pool, "slow", NULL, &cancelled, &second);
    CHECK(err && err->code == PF_ECANCELLED);
    pf_error_free(err);

    CHECK(render(pool, "still", NULL, &call, &second) == NULL);
    json_decref(second);
    CHECK_INT(status_field(pool, "jobs"), 9);
    json_decref(first);
    pf_blender_pool_free(pool);
}

int main(void) {
    char *dir = pf_test_tmpdir("render-pool");
    test_cold();
    test_warm(dir);
    pid_t pids[8];
    CHECK_INT(pf_test_procs_with(FAKE, pids, 8), 0);
    free(dir);
    return pf_check_done("render_pool");
}
