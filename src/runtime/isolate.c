#include "runtime/isolate.h"

#include "core/bytes.h"
#include "core/json.h"
#include "core/json_text.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/subprocess.h"
#include "modules/invoke.h"
#include "runtime/zygote.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define EVENT_MARK "@pf {"
#define MAX_JOB_BYTES (256u << 20)

bool pf_isolate_sanitized(void) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

pf_limits pf_isolate_limits(const pf_module *m, const pf_limit_override *overrides, size_t n) {
    pf_limits l = {.memory_bytes = m->memory_bytes, .cpu_seconds = m->cpu_seconds, .file_bytes = m->file_bytes};
    for (int pass = 0; pass < 2; pass++) /* all queues first, then the module's own queue */
        for (size_t i = 0; i < n; i++) {
            const pf_limit_override *o = &overrides[i];
            bool applies = pass == 0 ? !o->queue : o->queue && strcmp(o->queue, m->queue) == 0;
            if (!applies) continue;
            if (o->memory_bytes) l.memory_bytes = o->memory_bytes;
            if (o->cpu_seconds) l.cpu_seconds = o->cpu_seconds;
            if (o->file_bytes) l.file_bytes = o->file_bytes;
        }
    /* A sanitised build cannot run under an address-space limit; the
     * resident-memory watchdog holds there too. */
    l.address_space = l.memory_bytes && !pf_isolate_sanitized();
    return l;
}

/* ------------------------------------------------------------------ parent */

/* What the child has said so far. */
typedef struct {
    const pf_module_ctx *ctx;
    json_t *outputs;
    pf_error *err;
    char phase[160];       /* its last progress message: what it was doing */
    char last_stderr[400]; /* its last line on stderr, for a crash */
    char diagnosis[400];   /* its first line that says what went wrong, if any */
} listening;

/* The part of a line on a child's stderr that says what went wrong: a
 * sanitiser's report ("==12==ERROR: AddressSanitizer: …", "WARNING:
 * ThreadSanitizer: …", "…: runtime error: …", which follows a source
 * path), C++'s "terminate called …", an assertion; NULL for any other.
 * A sanitiser's report ends with lines such as "==12==ABORTING", which
 * say nothing, so the last line alone did not tell a crash's cause. */
static const char *diagnosis_in(const char *line) {
    static const char *const marks[] = {"ERROR: ", "WARNING: ThreadSanitizer", "runtime error: ", "terminate called",
                                        "Assertion "};
    for (size_t i = 0; i < sizeof marks / sizeof *marks; i++) {
        const char *at = strstr(line, marks[i]);
        if (at) return at;
    }
    return NULL;
}

static void on_event(listening *l, const json_t *ev) {
    const char *kind = pf_json_str(ev, "event");
    if (!kind) return;
    if (!strcmp(kind, "progress")) {
        const char *message = pf_json_str(ev, "message");
        if (message && *message) snprintf(l->phase, sizeof l->phase, "%s", message);
        const json_t *f = json_object_get(ev, "fraction");
        if (l->ctx->progress) l->ctx->progress(l->ctx->progress_user, f ? json_number_value(f) : -1, message);
    } else if (!strcmp(kind, "done") && !l->outputs && !l->err) {
        l->outputs = json_incref(json_object_get(ev, "outputs"));
    } else if (!strcmp(kind, "error") && !l->outputs && !l->err) {
        const char *message = pf_json_str(ev, "message");
        l->err = pf_error_new(pf_code_from_name(pf_json_str(ev, "code")), pf_json_str(ev, "pointer"), "%s",
                              message ? message : "the module failed");
    }
}

static void on_line(void *user, int stream, const char *line, size_t len) {
    listening *l = user;
    if (stream == 2) {
        if (len) snprintf(l->last_stderr, sizeof l->last_stderr, "%.*s", (int)len, line);
        const char *said = *l->diagnosis ? NULL : diagnosis_in(l->last_stderr);
        if (said) snprintf(l->diagnosis, sizeof l->diagnosis, "%s", said);
        return;
    }
    if (len < sizeof EVENT_MARK - 1 || strncmp(line, EVENT_MARK, sizeof EVENT_MARK - 1) != 0) return;
    json_t *ev = json_loadb(line + 4, len - 4, 0, NULL);
    if (ev) on_event(l, ev);
    json_decref(ev);
}

static json_t *job_of(const pf_module *m, const pf_module_ctx *ctx, const json_t *inputs, const json_t *params) {
    json_t *job =
        json_pack("{s:s, s:O?, s:O, s:O, s:s?, s:s?, s:s?, s:s?, s:s?, s:b, s:O?, s:I}", "module", m->key, "context",
                  ctx->context, "inputs", inputs, "params", params, "data_root", ctx->data_root, "work_dir",
                  ctx->work_dir, "share_dir", ctx->share_dir, "run_id", ctx->run_id, "node_id", ctx->node_id, "shadow",
                  ctx->shadow, "settings", ctx->settings, "timeout_ms", (json_int_t)ctx->timeout_ms);
    return job;
}

/* The error for a child that did not answer: a limit, the node's timeout,
 * a cancel, or a crash. */
static pf_error *ended_error(const pf_module *m, const pf_module_ctx *ctx, const pf_subprocess_result *r,
                             const listening *l) {
    const char *doing = *l->phase ? l->phase : "running";
    const char *hint = m->limit_hint ? m->limit_hint : "";
    if (r->memory_exceeded) {
        char limit[24];
        pf_bytes_text(ctx->limits.memory_bytes, limit);
        return pf_error_new(PF_ELIMIT, "", "%s went past its %s memory limit while %s%s%s", m->key, limit, doing,
                            *hint ? "; " : "", hint);
    }
    if (r->cpu_exceeded)
        return pf_error_new(PF_ELIMIT, "", "%s went past its %ld s CPU-time limit while %s%s%s", m->key,
                            ctx->limits.cpu_seconds, doing, *hint ? "; " : "", hint);
    if (r->file_exceeded) {
        char limit[24];
        pf_bytes_text(ctx->limits.file_bytes, limit);
        if (ctx->limits.file_by_quota)
            return pf_error_new(PF_ELIMIT, "",
                                "%s went past its %s file-size limit while %s (the room left under the "
                                "installation's disk quota when it started); delete what is not needed or raise the "
                                "quota",
                                m->key, limit, doing);
        return pf_error_new(PF_ELIMIT, "", "%s went past its %s file-size limit while %s%s%s", m->key, limit, doing,
                            *hint ? "; " : "", hint);
    }
    if (r->timed_out)
        return pf_error_new(PF_ETIMEOUT, "", "%s did not finish within %.1f s and was stopped while %s", m->key,
                            (double)ctx->timeout_ms / 1000, doing);
    if (r->cancelled) return pf_error_new(PF_ECANCELLED, "", "the run was cancelled; %s was stopped", m->key);
    if (r->lost)
        return pf_error_new(PF_EIO, "", "%s was stopped while %s: the module zygote that started it ended%s%s", m->key,
                            doing, *l->last_stderr ? ": " : "", l->last_stderr);
    const char *said = *l->diagnosis ? l->diagnosis : l->last_stderr;
    if (r->term_signal)
        return pf_error_new(PF_EIO, "", "%s crashed while %s (signal %d, %s)%s%s", m->key, doing, r->term_signal,
                            strsignal(r->term_signal), *said ? ": " : "", said);
    return pf_error_new(PF_EIO, "", "%s ended without an answer (status %d)%s%s", m->key, r->exit_code,
                        *said ? ": " : "", said);
}

pf_error *pf_isolate_invoke(const char *program, const pf_module *m, const pf_module_ctx *ctx, const json_t *inputs,
                            const json_t *params, json_t **outputs, unsigned long long *peak_rss) {
    return pf_isolate_invoke_via(NULL, program, m, ctx, inputs, params, outputs, peak_rss);
}

pf_error *pf_isolate_invoke_via(pf_zygote *zygote, const char *program, const pf_module *m, const pf_module_ctx *ctx,
                                const json_t *inputs, const json_t *params, json_t **outputs,
                                unsigned long long *peak_rss) {
    *outputs = NULL;
    if (peak_rss) *peak_rss = 0;
    json_t *job = job_of(m, ctx, inputs, params);
    char *text = pf_json_text(job, false);
    json_decref(job);
    const char *argv[] = {program, "module-child", NULL};
    listening l = {.ctx = ctx};
    pf_subprocess_opts o = {.argv = argv,
                            .limits = ctx->limits,
                            .input = text,
                            .input_len = strlen(text),
                            .timeout_ms = ctx->timeout_ms,
                            .cancel = ctx->cancel,
                            .on_line = on_line,
                            .user = &l};
    pf_subprocess_result r;
    pf_child *forked = NULL;
    pf_error *err = zygote ? pf_zygote_fork(zygote, &ctx->limits, ctx->cancel, &forked) : NULL;
    if (err && err->code == PF_ECANCELLED) {
        pf_error_free(err);
        free(text);
        return pf_error_new(PF_ECANCELLED, "", "the run was cancelled; %s was stopped", m->key);
    }
    if (err) { /* no node is lost to a zygote that cannot start: the child is spawned as without one */
        pf_log(PF_LOG_WARN, "zygote_fallback", "%s: %s; spawning module-child for it", m->key, err->message);
        pf_error_free(err);
        err = NULL;
    }
    if (forked)
        pf_child_run(forked, &o, &r);
    else
        err = pf_subprocess_run(&o, &r);
    free(text);
    if (peak_rss && !err) *peak_rss = r.peak_rss;
    if (err) {
        pf_error *e = pf_error_new(err->code, "", "cannot start the process for %s: %s", m->key, err->message);
        pf_error_free(err);
        json_decref(l.outputs);
        pf_error_free(l.err);
        return e;
    }
    bool answered = (l.outputs || l.err) && r.exit_code == 0 && !r.term_signal;
    if (!answered) {
        json_decref(l.outputs);
        pf_error_free(l.err);
        return ended_error(m, ctx, &r, &l);
    }
    *outputs = l.outputs;
    return l.err;
}

/* ------------------------------------------------------------------- child */

static void emit(FILE *out, json_t *event) {
    char *text = pf_json_text(event, false);
    json_decref(event);
    fprintf(out, "@pf %s\n", text);
    fflush(out);
    free(text);
}

static void child_progress(void *user, double fraction, const char *message) {
    json_t *ev = json_pack("{s:s, s:s}", "event", "progress", "message", message ? message : "");
    if (fraction >= 0) json_object_set_new(ev, "fraction", json_real(fraction));
    emit(user, ev);
}

static char *read_all(FILE *in, size_t *len) {
    size_t cap = 1 << 16;
    char *buf = pf_xmalloc(cap);
    *len = 0;
    size_t n;
    while ((n = fread(buf + *len, 1, cap - *len, in)) > 0) {
        *len += n;
        if (*len == cap) {
            if (cap >= MAX_JOB_BYTES) break;
            buf = pf_xrealloc(buf, cap *= 2);
        }
    }
    return buf;
}

int pf_isolate_serve(const pf_registry *reg, FILE *in, FILE *out) {
    size_t len;
    char *text = read_all(in, &len);
    json_error_t jerr;
    json_t *job = json_loadb(text, len, 0, &jerr);
    free(text);
    if (!job) {
        emit(out, json_pack("{s:s, s:s, s:s, s:s}", "event", "error", "code", "internal", "pointer", "", "message",
                            "the module process got no job it could read"));
        return 1;
    }
    pf_module_ctx ctx = {.data_root = pf_json_str(job, "data_root"),
                         .work_dir = pf_json_str(job, "work_dir"),
                         .share_dir = pf_json_str(job, "share_dir"),
                         .context = json_object_get(job, "context"),
                         .timeout_ms = (long)json_integer_value(json_object_get(job, "timeout_ms")),
                         .run_id = pf_json_str(job, "run_id"),
                         .node_id = pf_json_str(job, "node_id"),
                         .shadow = json_is_true(json_object_get(job, "shadow")),
                         .settings = json_object_get(job, "settings"),
                         .progress = child_progress,
                         .progress_user = out};
    json_t *outputs = NULL;
    const char *key = pf_json_str(job, "module");
    pf_error *err = pf_module_invoke(reg, key ? key : "", &ctx, json_object_get(job, "inputs"),
                                     json_object_get(job, "params"), &outputs);
    if (err) {
        emit(out, json_pack("{s:s, s:s, s:s, s:s}", "event", "error", "code", pf_code_name(err->code), "pointer",
                            err->pointer, "message", err->message));
        pf_error_free(err);
    } else {
        emit(out, json_pack("{s:s, s:o}", "event", "done", "outputs", outputs));
    }
    json_decref(job);
    return 0;
}
