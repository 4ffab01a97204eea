/* Celery protocol v2 messages as kombu's Redis transport carries them: a
 * JSON envelope {body, content-type, content-encoding, headers, properties}
 * whose body is base64 of JSON. Task bodies are [args, kwargs, embed].
 * Only JSON is accepted: pickle (and every other serializer), compressed
 * bodies and protocol v1 are refused with a pf_error saying which. */
#ifndef PF_TRANSPORT_CELERY_MESSAGE_H
#define PF_TRANSPORT_CELERY_MESSAGE_H

#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define PF_CELERY_UUID_LEN 37
/* kombu's separator inside binding members and priority queue names. */
#define PF_CELERY_SEP "\x06\x16"

typedef struct pf_celery_send_opts {
    const char *queue;                         /* NULL: "celery" */
    long soft_time_limit_s, hard_time_limit_s; /* 0: none (null in timelimit) */
    int priority;                              /* 0..9; > 0 goes to the queue's priority list */
    int retries;                               /* the attempt number the worker sees */
    const char *root_id, *parent_id;           /* NULL: root_id is the task id */
} pf_celery_send_opts;

/* A random (version 4) UUID in its 36-character text form. */
void pf_celery_uuid(char out[PF_CELERY_UUID_LEN]);
/* Seconds since the epoch with microseconds, as Python's time.time(). */
double pf_celery_now(void);
/* "2026-12-02T06:46:17.761103": naive UTC, as Celery's date_done. */
void pf_celery_date_done(char out[32]);

/* Standard base64 with padding; malloc'd, NUL-terminated. */
char *pf_celery_base64_encode(const void *data, size_t n);
/* Strict decoding (no whitespace); NULL on anything that is not base64.
 * The result is NUL-terminated; *n_out is its length. */
unsigned char *pf_celery_base64_decode(const char *text, size_t *n_out);

/* The list a message of this priority goes to: queue itself for 0-2, else
 * "queue\x06\x16<3|6|9>" (kombu's steps; lower lists are served first). */
char *pf_celery_queue_for_priority(const char *queue, int priority);

/* A kombu envelope around body (borrowed): content type JSON, base64 body,
 * headers (stolen; NULL means {}), properties with delivery_info. */
json_t *pf_celery_envelope_wrap(const json_t *body, json_t *headers, const char *exchange, const char *routing_key,
                                int delivery_mode);
/* The decoded JSON body of an envelope (new reference); refuses what is
 * not JSON, compressed or not base64. */
pf_error *pf_celery_envelope_body(const json_t *envelope, json_t **body);

/* The envelope of a task message, exactly as Celery 5.2 sends it. origin
 * and reply_to may be NULL. New reference. */
json_t *pf_celery_task_message(const char *task_name, const char *task_id, const json_t *args, const json_t *kwargs,
                               const pf_celery_send_opts *opts, const char *origin, const char *reply_to);

/* An incoming task message. Strings and JSON values are borrowed from the
 * owned envelope and body. */
typedef struct pf_celery_message {
    json_t *envelope; /* owned; NULL when the text was not a JSON object */
    json_t *body;     /* owned decoded body, NULL when refused */
    const char *id, *name, *delivery_tag, *exchange, *routing_key, *root_id, *parent_id;
    const json_t *headers, *args, *kwargs, *embed;
    int retries;
    double soft_time_limit_s, hard_time_limit_s; /* 0 when none */
    bool redelivered;
    /* When refused: the Python exception the FAILURE result names. */
    const char *refused_exc_type, *refused_exc_module;
} pf_celery_message;

/* Parses raw (len bytes). On a refusal the error says why and *out keeps
 * whatever identifies the task (id, name, delivery tag), so the caller can
 * store a FAILURE and acknowledge it. Always pf_celery_message_clear. */
pf_error *pf_celery_message_parse(const char *raw, size_t len, pf_celery_message *out);
void pf_celery_message_clear(pf_celery_message *m);

#endif
