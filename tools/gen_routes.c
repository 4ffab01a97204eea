/* Generates the route table from the OpenAPI document, the way Redis
 * generates its command table from the JSON files in src/commands: the document is
 * the one source, so a route cannot be served undocumented, documented
 * unserved, or without the roles that may call it.
 *
 *   gen_routes OPENAPI.json OUT.c OUT.h
 *
 * Every operation must carry an operationId, `x-prodflow-handler` (the C
 * function that serves it) and `security` (the roles that may call it;
 * `[]` for public operations); `x-prodflow-upload` names the data
 * directory an upload streams to, and its requestBody's media types are
 * the ones the upload is taken in. Anything missing or unknown fails the
 * build with the path and method at fault. Routes are ordered so that a
 * literal segment wins over a {parameter} in the same place. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 256
#define MAX_PARAMS 4

typedef struct {
    char method[8];
    const char *path, *handler, *upload;
    char roles[160];
    char types[256]; /* an upload's media types, comma-separated */
    char *params[MAX_PARAMS];
    size_t n_params;
    size_t order; /* in the document, for a stable sort */
} route;

static const char *const methods[] = {"get", "post", "put", "patch", "delete"};
static const char *const roles[][2] = {{"viewer", "PF_ROLE_VIEWER"},     {"editor", "PF_ROLE_EDITOR"},
                                       {"operator", "PF_ROLE_OPERATOR"}, {"admin", "PF_ROLE_ADMIN"},
                                       {"worker", "PF_ROLE_WORKER"},     {"metrics", "PF_ROLE_METRICS"}};

static int failures;

static void fail(const char *method, const char *path, const char *what) {
    fprintf(stderr, "openapi.json: %s %s: %s\n", method, path, what);
    failures++;
}

static int valid_identifier(const char *s) {
    if (!s || !*s || isdigit((unsigned char)*s)) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_') return 0;
    return 1;
}

/* The role constants an operation's security requirements allow, or ""
 * when it is public. */
static void read_roles(const char *method, const char *path, const json_t *security, route *r) {
    r->roles[0] = '\0';
    if (!json_is_array(security)) {
        fail(method, path, "no \"security\": say which roles may call it ([] for everybody)");
        return;
    }
    size_t i;
    const json_t *req;
    json_array_foreach(security, i, req) {
        const json_t *scopes = json_object_get(req, "token");
        if (json_object_size(req) != 1 || !json_is_array(scopes) || json_array_size(scopes) != 1) {
            fail(method, path, "each security requirement is {\"token\": [ROLE]}");
            continue;
        }
        const char *name = json_string_value(json_array_get(scopes, 0));
        const char *constant = NULL;
        for (size_t k = 0; k < sizeof roles / sizeof *roles; k++)
            if (name && strcmp(name, roles[k][0]) == 0) constant = roles[k][1];
        if (!constant) {
            fail(method, path, "names an unknown role");
            continue;
        }
        if (*r->roles) strcat(r->roles, " | ");
        strcat(r->roles, constant);
    }
}

static void read_params(const char *method, const char *path, route *r) {
    for (const char *p = strchr(path, '{'); p; p = strchr(p + 1, '{')) {
        const char *close = strchr(p, '}');
        if (!close || r->n_params == MAX_PARAMS) {
            fail(method, path, "has a malformed or fifth path parameter");
            return;
        }
        size_t n = (size_t)(close - p - 1);
        char *name = malloc(n + 1);
        memcpy(name, p + 1, n);
        name[n] = '\0';
        r->params[r->n_params++] = name;
    }
}

/* An upload's media types: the keys of its requestBody's content. */
static void read_types(const char *method, const char *path, const json_t *content, route *r) {
    const char *type;
    const json_t *v;
    size_t len = 0;
    json_object_foreach((json_t *)content, type, v) {
        (void)v;
        int n = snprintf(r->types + len, sizeof r->types - len, "%s%s", len ? "," : "", type);
        if (n < 0 || (size_t)n >= sizeof r->types - len) {
            fail(method, path, "too many requestBody media types");
            return;
        }
        len += (size_t)n;
    }
    if (!len) fail(method, path, "an upload without requestBody content: say which media types it takes");
}

/* Literal segments sort before parameters at the first place two paths
 * differ; otherwise the document's order stands. */
static int compare(const void *a, const void *b) {
    const route *x = a, *y = b;
    const char *p = x->path, *q = y->path;
    while (*p && *q && *p == *q && *p != '{')
        p++, q++;
    int px = *p == '{', py = *q == '{';
    if (px != py) return px - py;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void write_c(FILE *out, route *rs, size_t n) {
    fputs("/* Generated from src/api/openapi.json by tools/gen_routes.c: do not edit. */\n"
          "#include \"api/router.h\"\n\nconst pf_route pf_routes[] = {\n",
          out);
    for (size_t i = 0; i < n; i++) {
        const route *r = &rs[i];
        fprintf(out, "    {\"%s\", \"%s\", %s, %s, ", r->method, r->path, r->handler, *r->roles ? r->roles : "0");
        if (r->upload)
            fprintf(out, "\"%s\", \"%s\", ", r->upload, r->types);
        else
            fputs("NULL, NULL, ", out);
        fputs("{", out);
        for (size_t k = 0; k < r->n_params; k++)
            fprintf(out, "%s\"%s\"", k ? ", " : "", r->params[k]);
        fputs(r->n_params ? "}},\n" : "NULL}},\n", out);
    }
    fputs("};\nconst size_t pf_n_routes = sizeof pf_routes / sizeof *pf_routes;\n", out);
}

static void write_h(FILE *out, route *rs, size_t n) {
    fputs("/* Generated from src/api/openapi.json by tools/gen_routes.c: do not edit.\n"
          " * The handlers the document names, one per operation. */\n"
          "#ifndef PF_API_ROUTES_H\n#define PF_API_ROUTES_H\n\n"
          "struct pf_app;\nstruct pf_request;\nstruct pf_response;\n\n",
          out);
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t k = 0; k < i; k++)
            seen |= strcmp(rs[k].handler, rs[i].handler) == 0;
        if (!seen)
            fprintf(out, "void %s(const struct pf_app *, const struct pf_request *, struct pf_response *);\n",
                    rs[i].handler);
    }
    fputs("\n#endif\n", out);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fputs("usage: gen_routes OPENAPI.json OUT.c OUT.h\n", stderr);
        return 2;
    }
    json_error_t jerr;
    json_t *doc = json_load_file(argv[1], 0, &jerr);
    if (!doc) {
        fprintf(stderr, "%s:%d:%d: %s\n", argv[1], jerr.line, jerr.column, jerr.text);
        return 1;
    }
    static route rs[MAX_ROUTES];
    size_t n = 0;
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        for (size_t m = 0; m < sizeof methods / sizeof *methods; m++) {
            const json_t *op = json_object_get(item, methods[m]);
            if (!op) continue;
            if (n == MAX_ROUTES) {
                fail(methods[m], path, "one route too many for MAX_ROUTES");
                break;
            }
            route *r = &rs[n];
            r->order = n++;
            for (size_t k = 0; methods[m][k]; k++)
                r->method[k] = (char)toupper((unsigned char)methods[m][k]);
            r->path = path;
            r->handler = json_string_value(json_object_get(op, "x-prodflow-handler"));
            r->upload = json_string_value(json_object_get(op, "x-prodflow-upload"));
            if (!json_string_value(json_object_get(op, "operationId"))) fail(methods[m], path, "no operationId");
            if (!valid_identifier(r->handler)) fail(methods[m], path, "no x-prodflow-handler naming a C function");
            if (r->upload && !valid_identifier(r->upload)) fail(methods[m], path, "x-prodflow-upload is not a name");
            read_roles(methods[m], path, json_object_get(op, "security"), r);
            if (r->upload)
                read_types(methods[m], path, json_object_get(json_object_get(op, "requestBody"), "content"), r);
            read_params(methods[m], path, r);
        }
    }
    if (failures) return 1;
    qsort(rs, n, sizeof *rs, compare);
    FILE *c = fopen(argv[2], "w"), *h = fopen(argv[3], "w");
    if (!c || !h) {
        perror("gen_routes");
        return 1;
    }
    write_c(c, rs, n);
    write_h(h, rs, n);
    fclose(c);
    fclose(h);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < rs[i].n_params; k++)
            free(rs[i].params[k]);
    json_decref(doc);
    return 0;
}
