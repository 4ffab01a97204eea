#include "transport/redis_url.h"

#include "core/hex.h"
#include "core/mem.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PF_REDIS_DEFAULT_PORT 6379
#define PF_REDIS_MAX_DB 1000000 /* databases is a server setting; this only bounds the number */

static pf_error *bad(const char *what) { return pf_error_new(PF_EINVAL, "", "broker URL: %s", what); }

/* Parses decimal digits s[0..n) into *out, bounded by max. */
static bool parse_number(const char *s, size_t n, long max, long *out) {
    if (n == 0 || n > 9) return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > max) return false;
    *out = v;
    return true;
}

static pf_error *parse_userinfo(const char *s, size_t n, pf_redis_url *out) {
    const char *colon = memchr(s, ':', n);
    size_t user_len = colon ? (size_t)(colon - s) : n;
    if (user_len > 0) {
        out->user = pf_percent_decode(s, user_len);
        if (!out->user) return bad("the user name has a broken %-escape");
    }
    if (colon) {
        out->password = pf_percent_decode(colon + 1, n - user_len - 1);
        if (!out->password) return bad("the password has a broken %-escape");
    } else if (out->user) {
        /* kombu reads "redis://secret@host" as a password alone. */
        out->password = out->user;
        out->user = NULL;
    }
    return NULL;
}

/* host[:port] or [v6][:port] */
static pf_error *parse_hostport(const char *s, size_t n, pf_redis_url *out) {
    const char *host = s, *port = NULL;
    size_t host_len = n;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close) return bad("an IPv6 host lacks its closing ']'");
        host = s + 1;
        host_len = (size_t)(close - host);
        if (close + 1 < s + n) {
            if (close[1] != ':') return bad("unexpected text after the IPv6 host");
            port = close + 2;
        }
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon) {
            host_len = (size_t)(colon - s);
            port = colon + 1;
        }
    }
    if (host_len == 0) return bad("no host");
    out->host = pf_strndup(host, host_len);
    out->port = PF_REDIS_DEFAULT_PORT;
    if (port) {
        long v;
        if (!parse_number(port, (size_t)(s + n - port), 65535, &v) || v == 0)
            return bad("the port must be a number from 1 to 65535");
        out->port = (int)v;
    }
    return NULL;
}

static pf_error *parse_path(const char *s, pf_redis_url *out) {
    out->db = 0;
    if (*s == '\0' || strcmp(s, "/") == 0) return NULL;
    if (strchr(s, '?') || strchr(s, '#')) return bad("query strings and fragments are not supported");
    long v;
    if (!parse_number(s + 1, strlen(s + 1), PF_REDIS_MAX_DB, &v)) return bad("the database must be a number");
    out->db = (int)v;
    return NULL;
}

static pf_error *parse_rest(const char *rest, pf_redis_url *out) {
    size_t auth_len = strcspn(rest, "/?#");
    /* The last '@' before the path ends the userinfo, so passwords may hold '@'. */
    const char *at = NULL;
    for (const char *p = rest; p < rest + auth_len; p++)
        if (*p == '@') at = p;
    pf_error *err = NULL;
    if (at) err = parse_userinfo(rest, (size_t)(at - rest), out);
    const char *hp = at ? at + 1 : rest;
    if (!err) err = parse_hostport(hp, (size_t)(rest + auth_len - hp), out);
    if (!err) err = parse_path(rest + auth_len, out);
    return err;
}

pf_error *pf_redis_url_parse(const char *url, pf_redis_url *out) {
    memset(out, 0, sizeof *out);
    if (!url || !*url) return bad("empty");
    static const char scheme[] = "redis://";
    if (strncmp(url, "rediss://", 9) == 0)
        return bad("rediss:// (TLS) is not supported: Debian's hiredis 0.14 has no TLS; reach a remote Redis "
                   "through a private network or a tunnel (ssh -L, stunnel)");
    if (strncmp(url, scheme, sizeof scheme - 1) != 0) {
        size_t n = strcspn(url, ":");
        return pf_error_new(PF_EINVAL, "", "broker URL: scheme '%.*s' is not supported; use redis://", (int)n, url);
    }
    pf_error *err = parse_rest(url + sizeof scheme - 1, out);
    if (err) pf_redis_url_clear(out);
    return err;
}

void pf_redis_url_clear(pf_redis_url *u) {
    free(u->host);
    free(u->user);
    free(u->password);
    memset(u, 0, sizeof *u);
}

char *pf_redis_url_redacted(const pf_redis_url *u) {
    bool v6 = strchr(u->host, ':') != NULL;
    return pf_asprintf("redis://%s%s%s%s%s:%d/%d", u->user ? u->user : "", u->user ? "@" : "", v6 ? "[" : "", u->host,
                       v6 ? "]" : "", u->port, u->db);
}
