/* libpq, loaded by the first process that connects to PostgreSQL rather
 * than by every prodflow process at start: libpq and what it pulls in
 * (Kerberos, LDAP, SASL, OpenSSL) are a third of the shared objects the
 * binary would load, and `prodflow --help`, `validate`, module children and
 * a server on SQLite never use it (issue 18; docs/scale-out.md, "Child
 * start-up"). The store's files include this header instead of
 * <libpq-fe.h>: each PQ function they call goes through the table. */
#ifndef PF_STORE_PG_API_H
#define PF_STORE_PG_API_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#define PF_PQ_FUNCTIONS(X)                                                                                             \
    X(PQclear)                                                                                                         \
    X(PQntuples)                                                                                                       \
    X(PQstatus)                                                                                                        \
    X(PQfinish)                                                                                                        \
    X(PQresultStatus)                                                                                                  \
    X(PQtransactionStatus)                                                                                             \
    X(PQresultErrorField)                                                                                              \
    X(PQgetvalue)                                                                                                      \
    X(PQgetisnull)                                                                                                     \
    X(PQsendQueryParams)                                                                                               \
    X(PQpipelineSync)                                                                                                  \
    X(PQpipelineStatus)                                                                                                \
    X(PQgetResult)                                                                                                     \
    X(PQexitPipelineMode)                                                                                              \
    X(PQexecParams)                                                                                                    \
    X(PQexec)                                                                                                          \
    X(PQenterPipelineMode)                                                                                             \
    X(PQconsumeInput)                                                                                                  \
    X(PQsocket)                                                                                                        \
    X(PQsetSingleRowMode)                                                                                              \
    X(PQsetNoticeProcessor)                                                                                            \
    X(PQsendQueryPrepared)                                                                                             \
    X(PQsendPrepare)                                                                                                   \
    X(PQnotifies)                                                                                                      \
    X(PQnfields)                                                                                                       \
    X(PQfreemem)                                                                                                       \
    X(PQexecPrepared)                                                                                                  \
    X(PQerrorMessage)                                                                                                  \
    X(PQconnectdbParams)                                                                                               \
    X(PQcmdTuples)

typedef struct pf_pq_api {
#define PF_PQ_FIELD(f) __typeof__(f) *f;
    PF_PQ_FUNCTIONS(PF_PQ_FIELD)
#undef PF_PQ_FIELD
} pf_pq_api;

/* Loads libpq once per process; false with why filled when it cannot. */
bool pf_pq_load(char *why, size_t why_len);
/* The table; only after pf_pq_load said true (pf_pg_connect calls it). */
const pf_pq_api *pf_pq(void);

#ifndef PF_PG_API_IMPL /* pg_api.c names the functions themselves */
#define PQclear (pf_pq()->PQclear)
#define PQntuples (pf_pq()->PQntuples)
#define PQstatus (pf_pq()->PQstatus)
#define PQfinish (pf_pq()->PQfinish)
#define PQresultStatus (pf_pq()->PQresultStatus)
#define PQtransactionStatus (pf_pq()->PQtransactionStatus)
#define PQresultErrorField (pf_pq()->PQresultErrorField)
#define PQgetvalue (pf_pq()->PQgetvalue)
#define PQgetisnull (pf_pq()->PQgetisnull)
#define PQsendQueryParams (pf_pq()->PQsendQueryParams)
#define PQpipelineSync (pf_pq()->PQpipelineSync)
#define PQpipelineStatus (pf_pq()->PQpipelineStatus)
#define PQgetResult (pf_pq()->PQgetResult)
#define PQexitPipelineMode (pf_pq()->PQexitPipelineMode)
#define PQexecParams (pf_pq()->PQexecParams)
#define PQexec (pf_pq()->PQexec)
#define PQenterPipelineMode (pf_pq()->PQenterPipelineMode)
#define PQconsumeInput (pf_pq()->PQconsumeInput)
#define PQsocket (pf_pq()->PQsocket)
#define PQsetSingleRowMode (pf_pq()->PQsetSingleRowMode)
#define PQsetNoticeProcessor (pf_pq()->PQsetNoticeProcessor)
#define PQsendQueryPrepared (pf_pq()->PQsendQueryPrepared)
#define PQsendPrepare (pf_pq()->PQsendPrepare)
#define PQnotifies (pf_pq()->PQnotifies)
#define PQnfields (pf_pq()->PQnfields)
#define PQfreemem (pf_pq()->PQfreemem)
#define PQexecPrepared (pf_pq()->PQexecPrepared)
#define PQerrorMessage (pf_pq()->PQerrorMessage)
#define PQconnectdbParams (pf_pq()->PQconnectdbParams)
#define PQcmdTuples (pf_pq()->PQcmdTuples)
#endif

#endif
