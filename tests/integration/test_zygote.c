/* The module zygote (runtime/zygote.h) with the real prodflow binary: a
 * job runs through it; its children are in their own process groups, under
 * the memory watchdog, and killed by a cancel; a zygote killed with kill -9
 * takes its running child with it, that job ends as lost and the next one
 * gets a new zygote; a stopped zygote (kill -STOP) holds up nobody: the
 * end of its child is read from /proc, the next job kills it and gets a
 * new one, and stopping the handle does not wait for it; a zygote that
 * cannot start leaves jobs to spawned children; a cancel does not wait
 * for a zygote to start; a child that crashes is named by its report's
 * cause. Children forked
 * by hand are left blocked on their stdin, so every wait here is on a
 * state. test_isolation covers the same through a server (a mesh past its
 * memory limit, a cancel, the zygote killed). */
#include "check.h"

#include "core/json.h"
#include "core/mem.h"
#include "modules/registry.h"
#include "runtime/isolate.h"
#include "runtime/zygote.h"
#include "support/procs.h"
#include "support/tmpdir.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    pf_registry *reg;
    const pf_module *m;
    json_t *context, *inputs, *params;
    pf_module_ctx ctx;
    char *dir;
} job;

static void job_init(job *j) {
    pf_errors errs;
    pf_errors_init(&errs);
    j->reg = pf_registry_load(&errs);
    pf_errors_clear(&errs);
    CHECK(j->reg != NULL);
    j->m = pf_registry_find(j->reg, "render.resolve_template");
    CHECK(j->m != NULL);
    j->dir = pf_test_tmpdir("zygote");
    j->context = json_pack("{s:s}", "category", "machinery");
    j->inputs = json_object();
    j->params = json_pack("{s:s}", "artifact_kind", "still_image");
    j->ctx = (pf_module_ctx){.data_root = j->dir,
                             .work_dir = j->dir,
                             .share_dir = PF_SOURCE_DIR "/share",
                             .context = j->context,
                             .timeout_ms = 0,
                             .run_id = "zygote",
                             .node_id = "template",
                             .limits = pf_isolate_limits(j->m, NULL, 0)};
}

static void job_free(job *j) {
    json_decref(j->context);
    json_decref(j->inputs);
    json_decref(j->params);
    pf_registry_free(j->reg);
    free(j->dir);
}

static pf_error *run(job *j, pf_zygote *z, json_t **out) {
    return pf_isolate_invoke_via(z, PF_BIN, j->m, &j->ctx, j->inputs, j->params, out, NULL);
}

/* The same answer as a spawned child's, from one zygote, which stays a
 * single thread (what makes its fork safe). */
static void test_job_runs_through_it(job *j, pf_zygote *z) {
    json_t *spawned = NULL, *forked = NULL;
    pf_error *err = run(j, NULL, &spawned);
    CHECK_MSG(!err, "%s", err ? err->message : "");
    pf_error_free(err);
    CHECK_INT(pf_zygote_pid(z), 0); /* started by the first job, not before */
    err = run(j, z, &forked);
    CHECK_MSG(!err, "%s", err ? err->message : "");
    pf_error_free(err);
    CHECK(forked && pf_json_equal(spawned, forked));
    pid_t pid = pf_zygote_pid(z);
    CHECK(pid > 0);
    json_decref(forked);
    err = run(j, z, &forked);
    CHECK(!err);
    pf_error_free(err);
    CHECK_INT(pf_zygote_pid(z), pid);
    CHECK_INT(pf_test_threads_of(pid), 1);
    json_decref(spawned);
    json_decref(forked);
}

/* A child past its memory limit is killed by the watchdog, which watches
 * the forked pid; one cancelled is killed with its group. */
static void test_limits_and_cancel(pf_zygote *z) {
    pf_child *c = NULL;
    pf_limits small = {.memory_bytes = 1 << 20};
    pf_error *err = pf_zygote_fork(z, &small, NULL, &c);
    CHECK_MSG(!err, "%s", err ? err->message : "");
    pf_error_free(err);
    if (!c) return;
    CHECK_INT(getpgid(pf_child_pid(c)), pf_child_pid(c));
    CHECK_INT(pf_child_pump(c, NULL, NULL, NULL, 0, NULL), PF_PUMP_MEMORY);
    pf_subprocess_result r;
    pf_child_finish(c, 0, NULL, NULL, &r);
    CHECK(r.memory_exceeded && !r.lost);
    CHECK_INT(r.term_signal, SIGKILL);

    pf_limits none = {0};
    err = pf_zygote_fork(z, &none, NULL, &c);
    CHECK(!err);
    pf_error_free(err);
    if (!c) return;
    pid_t pid = pf_child_pid(c);
    atomic_bool cancel = true;
    CHECK_INT(pf_child_pump(c, NULL, NULL, NULL, 0, &cancel), PF_PUMP_CANCELLED);
    kill(-pid, SIGTERM);
    pf_child_finish(c, 0, NULL, NULL, &r);
    CHECK_INT(r.term_signal, SIGTERM);
    CHECK(!r.lost);
    CHECK_MSG(kill(pid, 0) != 0, "the cancelled child %d is still there", (int)pid);
}

/* The next job runs, on a zygote that replaced the one at pid old. */
static void job_on_new_zygote(job *j, pf_zygote *z, pid_t old) {
    json_t *out = NULL;
    pf_error *err = run(j, z, &out);
    CHECK_MSG(!err, "%s", err ? err->message : "");
    pf_error_free(err);
    CHECK(out != NULL);
    json_decref(out);
    CHECK_MSG(pf_zygote_pid(z) > 0 && pf_zygote_pid(z) != old, "zygote %d, was %d", (int)pf_zygote_pid(z), (int)old);
}

/* kill -9 of the zygote mid-job: its child dies with it, the job's end is
 * lost (the node fails or is retried by its policy), the next job gets a
 * new zygote. */
static void test_zygote_killed(job *j, pf_zygote *z) {
    pf_child *c = NULL;
    pf_limits none = {0};
    pf_error *err = pf_zygote_fork(z, &none, NULL, &c);
    CHECK(!err);
    pf_error_free(err);
    if (!c) return;
    pid_t old = pf_zygote_pid(z);
    CHECK(kill(old, SIGKILL) == 0);
    CHECK_INT(pf_child_pump(c, NULL, NULL, NULL, 0, NULL), PF_PUMP_EXITED); /* PR_SET_PDEATHSIG */
    pf_subprocess_result r;
    pf_child_finish(c, 0, NULL, NULL, &r);
    CHECK(r.lost);
    job_on_new_zygote(j, z, old);
}

/* kill -STOP of the zygote: a job whose child ends meanwhile still learns
 * how it ended (the child, a zombie its stopped zygote cannot reap, says
 * so in /proc); the next job does not wait for it: the stopped zygote is
 * killed and replaced. Every wait is on a state: the process's. */
static void test_zygote_stopped(job *j, pf_zygote *z) {
    pf_child *c = NULL;
    pf_limits none = {0};
    pf_error *err = pf_zygote_fork(z, &none, NULL, &c);
    CHECK_MSG(!err, "%s", err ? err->message : "");
    pf_error_free(err);
    if (!c) return;
    pid_t old = pf_zygote_pid(z);
    CHECK(kill(old, SIGSTOP) == 0);
    /* An empty job: the child reads none, says so and exits 1. */
    pf_subprocess_result r;
    pf_child_run(c, &(pf_subprocess_opts){.input = "", .input_len = 0}, &r);
    CHECK_MSG(!r.lost, "the end of a stopped zygote's child was lost");
    CHECK_INT(r.exit_code, 1);

    job_on_new_zygote(j, z, old);
    CHECK_MSG(kill(old, 0) != 0, "the stopped zygote %d is still there", (int)old);

    /* Stopping a handle whose zygote is stopped does not hang either. */
    pf_zygote *other = pf_zygote_new(PF_BIN);
    json_t *out = NULL;
    err = run(j, other, &out);
    CHECK_MSG(!err, "%s", err ? err->message : "");
    pf_error_free(err);
    json_decref(out);
    pid_t stopped = pf_zygote_pid(other);
    CHECK(stopped > 0 && kill(stopped, SIGSTOP) == 0);
    pf_zygote_stop(other);
    CHECK_MSG(kill(stopped, 0) != 0, "the stopped zygote %d outlived pf_zygote_stop", (int)stopped);
}

/* A cancel does not wait for a zygote still starting (loading OCCT). */
static void test_cancel_before_start(job *j) {
    pf_zygote *z = pf_zygote_new(PF_BIN);
    atomic_bool cancel = true;
    j->ctx.cancel = &cancel;
    json_t *out = NULL;
    pf_error *err = run(j, z, &out);
    j->ctx.cancel = NULL;
    CHECK(err && err->code == PF_ECANCELLED && !out);
    CHECK_MSG(err && strstr(err->message, "the run was cancelled; render.resolve_template was stopped"), "%s",
              err ? err->message : "(none)");
    pf_error_free(err);
    pf_zygote_stop(z);
}

/* A zygote that cannot run (here a program that exits at once) costs no
 * job: each is spawned as `module-child`. */
static void test_fallback(job *j) {
    pf_zygote *z = pf_zygote_new("/bin/false");
    json_t *out = NULL;
    pf_error *err = run(j, z, &out);
    CHECK_MSG(!err, "%s", err ? err->message : "");
    pf_error_free(err);
    CHECK(out != NULL);
    json_decref(out);
    pf_zygote_stop(z);
}

/* A child that crashes with a sanitiser's report is named by the report's
 * cause, not its last line ("==N==ABORTING"); here a script in place of
 * the binary writes such a report and aborts. */
static void test_crash_says_why(job *j) {
    char *script = pf_asprintf("%s/crash.sh", j->dir);
    FILE *f = fopen(script, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("#!/bin/sh\n"
          "while read -r line; do :; done\n"
          "echo '=================================================================' >&2\n"
          "echo '==42==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010' >&2\n"
          "echo 'SUMMARY: AddressSanitizer: heap-use-after-free' >&2\n"
          "echo '==42==ABORTING' >&2\n"
          "kill -ABRT $$\n",
          f);
    fclose(f);
    CHECK_INT(chmod(script, 0755), 0);
    json_t *out = NULL;
    pf_error *err = pf_isolate_invoke_via(NULL, script, j->m, &j->ctx, j->inputs, j->params, &out, NULL);
    CHECK(err && !out);
    CHECK_MSG(err && strstr(err->message, "render.resolve_template crashed while running (signal 6, ") &&
                  strstr(err->message, "): ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010"),
              "%s", err ? err->message : "(none)");
    pf_error_free(err);
    json_decref(out);
    free(script);
}

int main(void) {
    job j;
    job_init(&j);
    pf_zygote *z = pf_zygote_new(PF_BIN);
    test_job_runs_through_it(&j, z);
    test_limits_and_cancel(z);
    test_zygote_killed(&j, z);
    test_zygote_stopped(&j, z);
    pid_t last = pf_zygote_pid(z);
    pf_zygote_stop(z);
    CHECK_MSG(kill(last, 0) != 0, "the zygote %d outlived pf_zygote_stop", (int)last);
    test_cancel_before_start(&j);
    test_fallback(&j);
    test_crash_says_why(&j);
    job_free(&j);
    return pf_check_done("zygote");
}
