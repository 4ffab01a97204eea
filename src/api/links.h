/* Signed, expiring links to published deliverables, for customers who hold
 * no token: "/api/shared/<asset id>?expires=<unix>&sig=<hex>", where sig is
 * the HMAC-SHA256, under the server's key (DATA/secrets/links.key, made on
 * first start), of "<path>\n<expires>". Anyone with the link may fetch the
 * asset until it expires; changing any part of it breaks the signature. */
#ifndef PF_API_LINKS_H
#define PF_API_LINKS_H

#include <jansson.h>
#include <stdbool.h>

#define PF_LINK_TTL_SECONDS (7 * 24 * 3600) /* how long a link handed out works */

/* The signed URL of path (borrowed) valid until expires (unix seconds);
 * caller frees. */
char *pf_link_sign(const char *key, const char *path, long long expires);

/* Checks the expires and sig arguments of a request for path against key,
 * the signature compared in constant time: 0 when the link is good; 403
 * when it is missing or tampered with, 410 when it has expired, with
 * *pointer ("/query/sig", "/query/expires") and *message (static) saying
 * which. now is the current unix time. */
int pf_link_check(const char *key, const char *path, const char *expires, const char *sig, long long now,
                  const char **pointer, const char **message);

/* Gives each asset of the array (borrowed) that has a file url_signed and
 * expires_at, valid PF_LINK_TTL_SECONDS from now; shadow assets, which
 * were never written, get none. key NULL: none get one. */
void pf_link_assets(const char *key, json_t *assets, long long now);

#endif
