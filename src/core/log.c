#include "core/log.h"

#include "core/clock.h"

#include "core/json_text.h"
#include "core/mem.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Set once at start-up, before threads exist; read-only afterwards. */
static FILE *log_out;
static pf_log_level log_min = PF_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void pf_log_init(FILE *out, pf_log_level min) {
    log_out = out;
    log_min = min;
}

static void emit(pf_log_level level, const char *event, const json_t *fields, const char *fmt, va_list ap) {
    FILE *out = log_out ? log_out : stderr;
    if (level < log_min) return;
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    char *msg = pf_vasprintf(fmt, ap);
    json_t *line =
        json_pack("{s:s, s:s, s:s, s:s}", "ts", stamp, "level", level_names[level], "event", event, "msg", msg);
    free(msg);
    if (fields) json_object_update_missing(line, (json_t *)fields);
    char *text = pf_json_text(line, false);
    json_decref(line);
    if (!text) return;
    flockfile(out);
    fputs(text, out);
    fputc('\n', out);
    fflush(out);
    funlockfile(out);
    free(text);
}

void pf_log(pf_log_level level, const char *event, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    emit(level, event, NULL, fmt, ap);
    va_end(ap);
}

void pf_log_fields(pf_log_level level, const char *event, const json_t *fields, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    emit(level, event, fields, fmt, ap);
    va_end(ap);
}
