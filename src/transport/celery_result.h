/* Task results as Celery's Redis result backend stores them: the meta
 * document {status, result, traceback, children, date_done, task_id} under
 * celery-task-meta-<id> with SETEX, and PUBLISHed on a channel of the same
 * name (what AsyncResult.get() listens to). */
#ifndef PF_TRANSPORT_CELERY_RESULT_H
#define PF_TRANSPORT_CELERY_RESULT_H

#include "core/error.h"
#include "transport/redis_conn.h"

#include <jansson.h>
#include <stdbool.h>

#define PF_CELERY_META_PREFIX "celery-task-meta-"
#define PF_CELERY_RESULT_TTL_S 86400 /* Celery's result_expires default: one day */

/* How a pf_code travels as a Python exception, and back:
 *   PF_EINVAL ValueError, PF_ENOTFOUND LookupError, PF_EIO OSError,
 *   PF_EUNAVAILABLE NotImplementedError, PF_EINTERNAL RuntimeError (builtins);
 *   PF_ETIMEOUT TimeLimitExceeded (billiard.exceptions);
 *   PF_ECANCELLED TaskRevokedError (celery.exceptions);
 *   PF_ECONFLICT ConflictError, PF_ETOOLARGE TooLargeError (prodflow).
 * Celery's own NotRegistered reads back as PF_EUNAVAILABLE, ContentDisallowed
 * and InvalidTaskError as PF_EINVAL, SoftTimeLimitExceeded as PF_ETIMEOUT;
 * any other exception as PF_EINTERNAL. */
void pf_celery_exc_for_code(pf_code code, const char **exc_type, const char **exc_module);
pf_code pf_celery_code_for_exc(const char *exc_type);

/* Meta documents; new references. traceback may be NULL (null). */
json_t *pf_celery_meta_success(const char *task_id, const json_t *result);
json_t *pf_celery_meta_failure(const char *task_id, const char *exc_type, const char *exc_module, const char *message,
                               const char *traceback);
/* REVOKED with TaskRevokedError(reason), e.g. "terminated" or "revoked". */
json_t *pf_celery_meta_revoked(const char *task_id, const char *reason);
/* FAILURE from a handler's error, with a traceback naming where it ran. */
json_t *pf_celery_meta_from_error(const char *task_id, const pf_error *err, const char *where);

/* Celery's custom state PROGRESS, as update_state(state="PROGRESS",
 * meta=info) stores it (info is taken); no date_done: it is not final. */
json_t *pf_celery_meta_progress(const char *task_id, json_t *info);
/* A PROGRESS meta's info; NULL for any other state. Borrowed. */
const json_t *pf_celery_meta_progress_info(const json_t *meta);

/* SUCCESS, FAILURE or REVOKED: the task will not change any more. */
bool pf_celery_meta_is_ready(const json_t *meta);
/* NULL for SUCCESS; else a new error from the stored exception. */
pf_error *pf_celery_meta_error(const json_t *meta);

char *pf_celery_meta_key(const char *task_id);
/* SETEX + PUBLISH in one MULTI, as the Redis backend does. */
pf_error *pf_celery_meta_store(pf_redis *r, const char *task_id, const json_t *meta, long ttl_s);
/* The same, added to a pipeline. */
void pf_celery_meta_store_to(pf_redis_pipe *p, const char *task_id, const json_t *meta, long ttl_s);
/* GET; *meta is NULL when nothing is stored. */
pf_error *pf_celery_meta_fetch(pf_redis *r, const char *task_id, json_t **meta);

#endif
