/* Broker URLs: redis://[user[:password]@]host[:port][/db], as kombu reads
 * them. Userinfo may be %-encoded; a password may hold '@' (the last '@'
 * before the host ends it). Anything else is refused with a pf_error. */
#ifndef PF_TRANSPORT_REDIS_URL_H
#define PF_TRANSPORT_REDIS_URL_H

#include "core/error.h"

typedef struct pf_redis_url {
    char *host;     /* owned; an IPv6 literal without its brackets */
    int port;       /* 6379 when absent */
    int db;         /* 0 when absent */
    char *user;     /* owned, NULL without a user (AUTH password alone) */
    char *password; /* owned, NULL without a password */
} pf_redis_url;

/* Fills *out (free with pf_redis_url_clear) or returns PF_EINVAL saying
 * what is wrong; *out is left empty then. */
pf_error *pf_redis_url_parse(const char *url, pf_redis_url *out);
void pf_redis_url_clear(pf_redis_url *u);
/* "redis://host:port/db" with the credentials left out, for logs. */
char *pf_redis_url_redacted(const pf_redis_url *u);

#endif
