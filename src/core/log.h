/* JSON-lines logging: one object per line, safe from many threads. The
 * sink and level are set once at start-up by pf_log_init. */
#ifndef PF_CORE_LOG_H
#define PF_CORE_LOG_H

#include <jansson.h>
#include <stdio.h>

typedef enum { PF_LOG_DEBUG, PF_LOG_INFO, PF_LOG_WARN, PF_LOG_ERROR } pf_log_level;

void pf_log_init(FILE *out, pf_log_level min);
void pf_log(pf_log_level level, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* fields (borrowed, may be NULL) are merged into the line. */
void pf_log_fields(pf_log_level level, const char *event, const json_t *fields, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
