#include "api/guard.h"

#include "core/mem.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define MAX_NAMES 16

struct pf_guard {
    char *hosts[MAX_NAMES]; /* Host header values answered, lower case */
    size_t n_hosts;
    char *origins[MAX_NAMES]; /* scheme://host[:port], lower case */
    size_t n_origins;
};

static void add(char **list, size_t *n, char *value) {
    for (char *p = value; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    for (size_t i = 0; i < *n; i++)
        if (strcmp(list[i], value) == 0) {
            free(value);
            return;
        }
    if (*n < MAX_NAMES)
        list[(*n)++] = value;
    else
        free(value);
}

/* Adds what a browser sends for scheme://host:port, as Host and Origin:
 * the port is left out when it is the scheme's default. */
static void add_site(pf_guard *g, const char *scheme, const char *host, unsigned port) {
    bool is_default = (port == 80 && strcmp(scheme, "http") == 0) || (port == 443 && strcmp(scheme, "https") == 0);
    add(g->hosts, &g->n_hosts, is_default ? pf_strdup(host) : pf_asprintf("%s:%u", host, port));
    add(g->origins, &g->n_origins,
        is_default ? pf_asprintf("%s://%s", scheme, host) : pf_asprintf("%s://%s:%u", scheme, host, port));
}

/* "scheme://host[:port][/]" into its parts; false when it is not one. */
static bool parse_origin(const char *url, char scheme[8], char host[256], unsigned *port) {
    const char *sep = strstr(url, "://");
    if (!sep || sep - url > 5) return false;
    snprintf(scheme, 8, "%.*s", (int)(sep - url), url);
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) return false;
    const char *h = sep + 3, *end = h + strcspn(h, "/?#");
    if (end[0] == '/' && end[1] != '\0') return false; /* an origin has no path */
    const char *colon = h[0] == '[' ? strstr(h, "]:") : memchr(h, ':', (size_t)(end - h));
    if (colon && h[0] == '[') colon++;
    size_t host_len = (size_t)((colon && colon < end ? colon : end) - h);
    if (host_len == 0 || host_len >= 256 || memchr(h, '@', (size_t)(end - h))) return false;
    snprintf(host, 256, "%.*s", (int)host_len, h);
    *port = strcmp(scheme, "https") == 0 ? 443 : 80;
    if (colon && colon < end) {
        char *stop = NULL;
        unsigned long p = strtoul(colon + 1, &stop, 10);
        if (stop != end || p == 0 || p > 65535) return false;
        *port = (unsigned)p;
    }
    return true;
}

static bool loopback(const char *bind) { return strncmp(bind, "127.", 4) == 0 || strcmp(bind, "0.0.0.0") == 0; }

pf_error *pf_guard_new(const pf_guard_config *cfg, pf_guard **out) {
    *out = NULL;
    pf_guard *g = pf_xcalloc(1, sizeof *g);
    char scheme[8], host[256];
    unsigned port;
    if (cfg->public_url) {
        if (!parse_origin(cfg->public_url, scheme, host, &port)) {
            pf_guard_free(g);
            return pf_error_new(PF_EINVAL, "/public_url",
                                "--public-url takes http(s)://HOST[:PORT], the address browsers use, not \"%s\"",
                                cfg->public_url);
        }
        add_site(g, scheme, host, port);
    }
    const char *bind = cfg->bind ? cfg->bind : "127.0.0.1";
    if (strcmp(bind, "0.0.0.0") != 0) add_site(g, "http", bind, cfg->port);
    if (loopback(bind)) {
        add_site(g, "http", "127.0.0.1", cfg->port);
        add_site(g, "http", "localhost", cfg->port);
        add_site(g, "http", "[::1]", cfg->port);
    }
    for (const char *const *o = cfg->allow_origins; o && *o; o++) {
        if (!parse_origin(*o, scheme, host, &port)) {
            pf_guard_free(g);
            return pf_error_new(PF_EINVAL, "/allow_origin", "--allow-origin takes http(s)://HOST[:PORT], not \"%s\"",
                                *o);
        }
        bool is_default = port == (strcmp(scheme, "https") == 0 ? 443u : 80u);
        add(g->origins, &g->n_origins,
            is_default ? pf_asprintf("%s://%s", scheme, host) : pf_asprintf("%s://%s:%u", scheme, host, port));
    }
    *out = g;
    return NULL;
}

void pf_guard_free(pf_guard *g) {
    if (!g) return;
    for (size_t i = 0; i < g->n_hosts; i++)
        free(g->hosts[i]);
    for (size_t i = 0; i < g->n_origins; i++)
        free(g->origins[i]);
    free(g);
}

const char *pf_guard_origin(const pf_guard *g) { return g->n_origins ? g->origins[0] : "http://127.0.0.1"; }

static bool listed(char *const *list, size_t n, const char *value) {
    for (size_t i = 0; value && i < n; i++)
        if (strcasecmp(list[i], value) == 0) return true;
    return false;
}

static void refuse(pf_response *res, const pf_request *req, int status, pf_code code, const char *pointer,
                   const char *message) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_errors_add(&errs, code, pointer, "%s", message);
    pf_respond_problem(res, status, NULL, message, req->path, &errs);
    pf_errors_clear(&errs);
}

bool pf_guard_admit(const pf_guard *g, const pf_request *req, pf_response *res) {
    const char *host = req->header(req, "Host");
    if (!listed(g->hosts, g->n_hosts, host)) {
        char *msg = pf_asprintf("this server answers for %s, not for the host \"%s\" (start it with --public-url to "
                                "be reached under another name)",
                                g->hosts[0], host ? host : "");
        refuse(res, req, 421, PF_EFORBIDDEN, "/headers/Host", msg);
        free(msg);
        return false;
    }
    const char *origin = req->header(req, "Origin");
    if (origin && !listed(g->origins, g->n_origins, origin)) {
        char *msg =
            pf_asprintf("requests from pages at %s are refused: only %s may call this API", origin, pf_guard_origin(g));
        refuse(res, req, 403, PF_EFORBIDDEN, "/headers/Origin", msg);
        free(msg);
        return false;
    }
    return true;
}

bool pf_guard_body_type(const pf_request *req, bool has_body, pf_response *res) {
    const char *ct = req->header(req, "Content-Type");
    if (!has_body || (ct && pf_media_type_is(ct, "application/json"))) return true;
    char *msg = ct ? pf_asprintf("the body must be application/json, not %s", ct)
                   : pf_strdup("the body must say what it is: send it with Content-Type: application/json");
    pf_errors errs;
    pf_errors_init(&errs);
    pf_errors_add(&errs, PF_EINVAL, "/headers/Content-Type", "%s", msg);
    pf_respond_problem(res, 415, NULL, msg, req->path, &errs);
    pf_errors_clear(&errs);
    free(msg);
    return false;
}

/* The roles a route admits, in words, for a 403. */
static char *roles_text(unsigned allowed) {
    json_t *names = pf_roles_json(allowed | PF_ROLE_ADMIN);
    char *text = json_dumps(names, JSON_COMPACT);
    json_decref(names);
    return text;
}

/* The token a request carries: the Authorization header, else the
 * editor's session cookie. NULL with *bad set when the header is there
 * but is not a bearer token. */
static const char *presented(const pf_request *req, bool *by_cookie, bool *bad) {
    *by_cookie = *bad = false;
    const char *auth = req->header(req, "Authorization");
    if (auth) {
        if (strncasecmp(auth, "Bearer ", 7) != 0) {
            *bad = true;
            return NULL;
        }
        auth += 7;
        while (*auth == ' ')
            auth++;
        return auth;
    }
    const char *cookie = req->cookie ? req->cookie(req, PF_SESSION_COOKIE) : NULL;
    *by_cookie = cookie && *cookie;
    return *by_cookie ? cookie : NULL;
}

static bool writes(const char *method) { return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0; }

bool pf_guard_authorize(pf_store *store, const pf_route *route, pf_request *req, pf_response *res) {
    memset(&req->principal, 0, sizeof req->principal);
    bool by_cookie, bad;
    const char *token = presented(req, &by_cookie, &bad);
    if (!token && !bad && !route->roles) return true;
    if (!token) {
        refuse(res, req, 401, PF_EUNAUTHORIZED, "/headers/Authorization",
               bad ? "send the token as Authorization: Bearer TOKEN"
                   : "sign in first: this needs a token (Authorization: Bearer TOKEN)");
        res->headers = json_pack("{s:s}", "WWW-Authenticate", "Bearer realm=\"prodflow\"");
        return false;
    }
    pf_error *err = pf_token_verify(store, token, &req->principal);
    if (err) {
        bool io = err->code == PF_EIO;
        refuse(res, req, io ? 503 : 401, err->code,
               by_cookie ? "/cookies/" PF_SESSION_COOKIE : "/headers/Authorization", err->message);
        if (!io)
            res->headers = json_pack("{s:s}", "WWW-Authenticate", "Bearer realm=\"prodflow\", error=\"invalid_token\"");
        pf_error_free(err);
        return false;
    }
    req->principal.by_cookie = by_cookie;
    if (by_cookie) {
        pf_token_csrf(token, req->principal.csrf);
        const char *echoed = req->header(req, "X-CSRF-Token");
        if (writes(req->method) && (!echoed || strcmp(echoed, req->principal.csrf) != 0)) {
            refuse(res, req, 403, PF_EFORBIDDEN, "/headers/X-CSRF-Token",
                   "a change made with the session cookie must carry the X-CSRF-Token the sign-in answered");
            return false;
        }
    }
    if (pf_roles_allow(req->principal.roles, route->roles)) return true;
    char *roles = roles_text(route->roles);
    char *msg = pf_asprintf("the token \"%s\" may not %s %s: that takes one of the roles %s", req->principal.name,
                            req->method, route->pattern, roles);
    refuse(res, req, 403, PF_EFORBIDDEN, "", msg);
    free(msg);
    free(roles);
    return false;
}
