/* The audit log: which token changed what, and when. Every change the API
 * accepts from a token is recorded (an item of kind "audit", keyed by a
 * time-sortable id), and admins read it back through GET /api/audit. */
#ifndef PF_API_AUDIT_H
#define PF_API_AUDIT_H

#include "api/http.h"
#include "store/store.h"

/* Records that who's request (method path, answered status) changed
 * something. A failure to record is logged, never turned into a failed
 * request: the change itself has happened. */
void pf_audit_record(pf_store *store, const pf_principal *who, const char *method, const char *path, int status);
/* The newest entries first, at most limit of them. New reference. */
pf_error *pf_audit_list(pf_store *store, size_t limit, json_t **list_out);

#endif
