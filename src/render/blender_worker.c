#include "render/blender_worker.h"

#include "core/bytes.h"
#include "core/json_text.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/subprocess.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READY_TIMEOUT_MS 120000L
#define EVENT_MARK "@pf {"

struct pf_blender_worker {
    pf_child *child;
    bool healthy; /* between jobs and answering; otherwise free() kills */
    unsigned long long memory_bytes;
    long start_ms; /* spawn to ready, until the first job reports it */
};

/* What the output of one job has said so far. */
typedef struct {
    const pf_blender_call *call;
    bool finished;
    json_t *result;
    json_t *timing; /* the script's phases, from the done event */
    pf_error *err;
    pf_blender_times times; /* Blender's own account, summed over the job's frames */
    int frames_done;
    long last_output_ms;
    char last_error[400]; /* the last line Blender flagged as an error */
} job_state;

static pf_code code_of(const char *name) {
    if (!name) return PF_EINTERNAL;
    if (strcmp(name, "invalid_input") == 0) return PF_EINVAL;
    if (strcmp(name, "not_found") == 0) return PF_ENOTFOUND;
    if (strcmp(name, "render_failed") == 0) return PF_EIO;
    return PF_EINTERNAL;
}

static void report(job_state *s, double sample_fraction, const char *message) {
    if (!s->call || !s->call->progress) return;
    int frames = s->call->frames > 0 ? s->call->frames : 1;
    double f = (s->frames_done + sample_fraction) / frames;
    s->call->progress(s->call->progress_user, f > 1 ? 1 : f, message);
}

static void on_event(job_state *s, const char *text, size_t len) {
    json_t *ev = json_loadb(text, len, 0, NULL);
    const char *kind = json_string_value(json_object_get(ev, "event"));
    if (!kind) {
        json_decref(ev);
        return;
    }
    if (strcmp(kind, "ready") == 0 || strcmp(kind, "done") == 0) {
        s->finished = true;
        s->result = json_incref(json_object_get(ev, strcmp(kind, "done") == 0 ? "outputs" : "event"));
        s->timing = json_incref(json_object_get(ev, "timing"));
    } else if (strcmp(kind, "error") == 0) {
        s->finished = true;
        const char *ptr = json_string_value(json_object_get(ev, "pointer"));
        s->err = pf_error_new(code_of(json_string_value(json_object_get(ev, "code"))), ptr ? ptr : "", "%s",
                              json_string_value(json_object_get(ev, "message")));
    } else if (strcmp(kind, "frame") == 0) {
        s->frames_done = (int)json_integer_value(json_object_get(ev, "frame"));
        const char *path = json_string_value(json_object_get(ev, "path"));
        if (s->call && s->call->on_frame && path) s->call->on_frame(s->call->frame_user, s->frames_done, path);
        char msg[64];
        snprintf(msg, sizeof msg, "frame %d of %d", s->frames_done, s->call ? s->call->frames : 0);
        report(s, 0, msg);
    } else if (strcmp(kind, "phase") == 0) {
        report(s, 0, json_string_value(json_object_get(ev, "phase")));
    }
    json_decref(ev);
}

/* Blender's clock text after mark in line ("00:01.25", "01:02:03.50") in
 * seconds; false when there is none. */
static bool clock_after(const char *line, const char *mark, double *seconds) {
    const char *at = strstr(line, mark);
    if (!at) return false;
    at += strlen(mark);
    double total = 0;
    int fields = 0;
    for (;;) {
        char *end;
        double v = strtod(at, &end);
        if (end == at) break;
        total = total * 60 + v;
        fields++;
        if (*end != ':') break;
        at = end + 1;
    }
    *seconds = total;
    return fields >= 2;
}

/* Cycles' status lines ("Fra:1 ... | Time:00:00.54 | ... | Sample 0/16",
 * "... | Finished") and the writer's (" Time: 00:06.60 (Saving: 00:00.02)"). */
void pf_blender_times_add(pf_blender_times *times, const char *line) {
    double t;
    if (strstr(line, "| Sample 0/") && clock_after(line, "| Time:", &t))
        times->sync_s += t;
    else if (strstr(line, "| Finished") && clock_after(line, "| Time:", &t))
        times->cycles_s += t;
    else if (clock_after(line, "(Saving: ", &t))
        times->write_s += t;
}

static void on_line(void *user, int stream, const char *line, size_t len) {
    job_state *s = user;
    s->last_output_ms = pf_now_ms();
    char *copy = pf_strndup(line, len);
    /* Blender's own prints share stdout, so an event may follow other text. */
    const char *ev = stream == 1 ? strstr(copy, EVENT_MARK) : NULL;
    const char *sample = strstr(copy, "| Sample ");
    int done = 0, total = 0;
    if (stream == 1 && !ev) pf_blender_times_add(&s->times, copy);
    if (ev) {
        on_event(s, ev + 4, strlen(ev + 4));
    } else if (sample && sscanf(sample, "| Sample %d/%d", &done, &total) == 2 && total > 0) {
        char msg[64];
        snprintf(msg, sizeof msg, "sample %d of %d", done, total);
        report(s, (double)done / total, msg);
    } else if (strstr(copy, "Error") || strstr(copy, "error:")) {
        snprintf(s->last_error, sizeof s->last_error, "%s", copy);
    }
    free(copy);
}

/* Pumps until the job finishes or a limit hits. */
static pf_blender_outcome pump(pf_blender_worker *w, job_state *s, const pf_blender_call *call) {
    for (;;) {
        long deadline = call->deadline_ms;
        long stall_at = call->stall_ms > 0 ? s->last_output_ms + call->stall_ms : 0;
        if (stall_at > 0 && (deadline <= 0 || stall_at < deadline)) deadline = stall_at;
        pf_pump_result r = pf_child_pump(w->child, on_line, s, &s->finished, deadline, call->cancel);
        if (r == PF_PUMP_STOPPED) return s->err ? PF_BLENDER_FAILED : PF_BLENDER_DONE;
        if (r == PF_PUMP_CANCELLED) return PF_BLENDER_CANCELLED;
        if (r == PF_PUMP_EXITED || r == PF_PUMP_MEMORY) return PF_BLENDER_CRASHED;
        long now = pf_now_ms();
        if (call->deadline_ms > 0 && now >= call->deadline_ms) return PF_BLENDER_TIMEOUT;
        if (stall_at > 0 && now >= s->last_output_ms + call->stall_ms) return PF_BLENDER_HUNG;
    }
}

/* Turns a crash into an error that says how the process ended: a limit it
 * went past (PF_ELIMIT, which the pool does not retry), or its signal or
 * exit status. */
static pf_error *crash_error(pf_blender_worker *w, job_state *s) {
    pf_subprocess_result r;
    pf_child_finish(w->child, 1000, on_line, s, &r);
    w->child = NULL;
    if (r.memory_exceeded || r.cpu_exceeded) {
        char limit[24];
        pf_bytes_text(w->memory_bytes, limit);
        return r.memory_exceeded
                   ? pf_error_new(PF_ELIMIT, "", "Blender went past its %s memory limit while rendering", limit)
                   : pf_error_new(PF_ELIMIT, "", "Blender went past its %ld s CPU-time limit while rendering",
                                  s->call ? s->call->cpu_seconds : 0);
    }
    if (r.term_signal)
        return pf_error_new(PF_EIO, "", "Blender crashed: killed by signal %d (%s)%s%s", r.term_signal,
                            strsignal(r.term_signal), *s->last_error ? "; last error: " : "", s->last_error);
    return pf_error_new(PF_EIO, "", "Blender exited with status %d before finishing%s%s", r.exit_code,
                        *s->last_error ? ": " : "", s->last_error);
}

pf_error *pf_blender_worker_start(const pf_blender_setup *setup, const pf_blender_call *call, pf_blender_worker **out) {
    char models[16];
    snprintf(models, sizeof models, "%d", setup->models > 0 ? setup->models : 4);
    const char *argv[] = {setup->blender ? setup->blender : "blender",
                          "-b",
                          "--factory-startup",
                          "--disable-autoexec",
                          "-noaudio",
                          "--python",
                          setup->script,
                          "--",
                          "--models",
                          models,
                          NULL};
    pf_subprocess_opts opts = {.argv = argv, .limits = {.memory_bytes = setup->memory_bytes}};
    pf_blender_worker *w = pf_xcalloc(1, sizeof *w);
    w->memory_bytes = setup->memory_bytes;
    pf_error *err = pf_child_spawn(&opts, true, &w->child);
    if (err) {
        free(w);
        if (err->code == PF_ENOTFOUND) {
            pf_error_free(err);
            return pf_error_new(PF_EUNAVAILABLE, "", "Blender is not installed (no \"%s\" on PATH)", argv[0]);
        }
        return err;
    }
    pf_blender_call wait = {.deadline_ms = pf_now_ms() + READY_TIMEOUT_MS, .timeout_ms = READY_TIMEOUT_MS};
    if (call && call->deadline_ms > 0 && call->deadline_ms < wait.deadline_ms) wait = *call;
    if (call) {
        /* The job that waits for this start hears of it: a cold start is
         * seconds of a render's time. */
        wait.cancel = call->cancel;
        wait.progress = call->progress;
        wait.progress_user = call->progress_user;
        wait.frames = call->frames;
    }
    if (wait.progress) wait.progress(wait.progress_user, -1, "starting Blender");
    job_state s = {.call = &wait, .last_output_ms = pf_now_ms()};
    long spawned = pf_now_ms();
    pf_blender_outcome o = pump(w, &s, &wait);
    json_decref(s.result);
    json_decref(s.timing);
    if (o == PF_BLENDER_DONE) {
        w->start_ms = pf_now_ms() - spawned;
        w->healthy = true;
        *out = w;
        return NULL;
    }
    if (o == PF_BLENDER_CRASHED) {
        err = crash_error(w, &s);
        free(w);
        return err;
    }
    err = pf_blender_outcome_error(o, &wait, s.err);
    pf_blender_worker_free(w);
    return err;
}

pid_t pf_blender_worker_pid(const pf_blender_worker *w) { return w->child ? pf_child_pid(w->child) : -1; }

/* result.timing: the script's phases with Blender's own account and the
 * process start (on the worker's first job only: later jobs did not wait
 * for it). */
static void add_timing(pf_blender_worker *w, job_state *s, long job_ms) {
    json_t *t = json_is_object(s->timing) ? json_deep_copy(s->timing) : json_object();
    json_object_set_new(t, "start_s", json_real((double)w->start_ms / 1000));
    w->start_ms = 0;
    json_object_set_new(t, "cycles_s", json_real(s->times.cycles_s));
    json_object_set_new(t, "sync_s", json_real(s->times.sync_s));
    json_object_set_new(t, "write_s", json_real(s->times.write_s));
    json_object_set_new(t, "job_s", json_real((double)job_ms / 1000));
    if (json_is_object(s->result))
        json_object_set_new(s->result, "timing", t);
    else
        json_decref(t);
}

pf_error *pf_blender_worker_run(pf_blender_worker *w, const json_t *job, const pf_blender_call *call, json_t **result,
                                pf_blender_outcome *outcome) {
    *result = NULL;
    char *line = pf_json_text(job, false);
    size_t len = strlen(line);
    line = pf_xrealloc(line, len + 2);
    line[len] = '\n', line[len + 1] = '\0';
    job_state s = {.call = call, .last_output_ms = pf_now_ms()};
    /* The CPU budget is the job's: RLIMIT_CPU would add up over every job
     * a warm worker ever ran. */
    pf_error *limited = w->child ? pf_child_limit_cpu(w->child, call->cpu_seconds) : NULL;
    if (limited) {
        pf_log(PF_LOG_WARN, "blender.cpu_limit", "%s", limited->message);
        pf_error_free(limited);
    }
    long sent_ms = pf_now_ms();
    bool sent = w->child && pf_child_write(w->child, line, len + 1);
    free(line);
    pf_blender_outcome o = sent ? pump(w, &s, call) : PF_BLENDER_CRASHED;
    *outcome = o;
    w->healthy = o == PF_BLENDER_DONE || o == PF_BLENDER_FAILED;
    if (o == PF_BLENDER_DONE) add_timing(w, &s, pf_now_ms() - sent_ms);
    json_decref(s.timing);
    if (o == PF_BLENDER_DONE) {
        *result = s.result;
        return NULL;
    }
    json_decref(s.result);
    if (o != PF_BLENDER_CRASHED) return pf_blender_outcome_error(o, call, s.err);
    pf_error_free(s.err);
    return w->child ? crash_error(w, &s) : pf_error_new(PF_EIO, "", "the Blender worker is gone");
}

void pf_blender_worker_free(pf_blender_worker *w) {
    if (!w) return;
    if (w->child && w->healthy)
        pf_child_finish(w->child, 2000, NULL, NULL, NULL);
    else if (w->child)
        pf_child_kill(w->child);
    free(w);
}

pf_error *pf_blender_outcome_error(pf_blender_outcome o, const pf_blender_call *call, pf_error *err) {
    if (o == PF_BLENDER_FAILED || o == PF_BLENDER_CRASHED) return err;
    pf_error_free(err);
    switch (o) {
    case PF_BLENDER_TIMEOUT:
        return pf_error_new(PF_ETIMEOUT, "", "Blender did not finish within %.1f s and was stopped",
                            (double)call->timeout_ms / 1000);
    case PF_BLENDER_CANCELLED:
        return pf_error_new(PF_ECANCELLED, "", "the render was cancelled and Blender was stopped");
    case PF_BLENDER_HUNG:
        return pf_error_new(PF_ETIMEOUT, "", "Blender printed nothing for %.1f s and was stopped as hung",
                            (double)call->stall_ms / 1000);
    default: return pf_error_new(PF_EINTERNAL, "", "unexpected Blender outcome %d", (int)o);
    }
}
