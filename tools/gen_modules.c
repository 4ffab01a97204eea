/* Generates the module table from the contracts beside the modules, the way
 * gen_routes.c generates the route table from the OpenAPI document: the
 * contract src/modules/<domain>/<name>.json is the one source of a built-in
 * module's key and contract path, so a module cannot be listed without a
 * contract, nor a contract go unlisted or name another module.
 *
 *   gen_modules MODULES_DIR FAMILIES.json CONTRACTS.h TABLE.h
 *
 * CONTRACTS.h defines PF_MODULE_CONTRACT_<domain>_<name> (the key and
 * contract path) for PF_MODULE in modules/module.h, and
 * PF_MODULE_NAMESPACES (the domain directories, which external modules may
 * not use); TABLE.h is the table registry.c includes, in palette order: the
 * families' palettes merged, each family's order kept and an earlier
 * family's modules first where the palettes leave it open. It fails the build, naming the file at fault, for
 * a contract without a body (PF_MODULE(<domain>, <name>, ...) in <name>.c
 * beside it), a body without a contract, a module_key that is not
 * "<domain>.<name>", a key used twice, a family that is not in
 * FAMILIES.json or whose palette omits the module, a palette entry without a
 * contract, and palettes that order two modules both ways. Files named
 * *.schema.json are schemas, not contracts. */
#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_MODULES 256
#define MAX_FAMILIES 32

typedef struct {
    char *domain, *name, *key; /* key: "<domain>.<name>", what the file's place says */
    char *path;                /* as the build sees it, for messages */
    json_t *doc;
    int has_body, placed;
} contract;

typedef struct {
    char *domain, *name, *path;
} body;

static contract contracts[MAX_MODULES];
static body bodies[MAX_MODULES];
static size_t n_contracts, n_bodies;
static int failures;

static void fail(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(const char *file, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", file);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    failures++;
}

static char *dup_n(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (!d) abort();
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static char *join(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 2);
    if (!s) abort();
    memcpy(s, a, na);
    s[na] = '/';
    memcpy(s + na + 1, b, nb + 1);
    return s;
}

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), k = strlen(tail);
    return n > k && strcmp(s + n - k, tail) == 0;
}

/* Domain and name become part of a C symbol, pf_module_<domain>_<name>. */
static int symbol_part(const char *s, size_t n) {
    if (n == 0 || !islower((unsigned char)*s)) return 0;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_') return 0;
    return 1;
}

static void read_contract(const char *domain, const char *dir, const char *file) {
    char *path = join(dir, file);
    size_t stem = strlen(file) - strlen(".json");
    if (n_contracts == MAX_MODULES) {
        fail(path, "one contract too many for MAX_MODULES");
        free(path);
        return;
    }
    if (!symbol_part(file, stem)) {
        fail(path, "the file name is not a lowercase C identifier (it names pf_module_%s_<name>)", domain);
        free(path);
        return;
    }
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (!doc) {
        fprintf(stderr, "%s:%d:%d: %s\n", path, jerr.line, jerr.column, jerr.text);
        failures++;
        free(path);
        return;
    }
    contract *c = &contracts[n_contracts++];
    c->domain = strdup(domain);
    c->name = dup_n(file, stem);
    c->path = path;
    c->doc = doc;
    size_t n = strlen(domain) + stem + 2;
    c->key = malloc(n);
    if (!c->key) abort();
    snprintf(c->key, n, "%s.%s", domain, c->name);
}

/* A body is a line that starts "PF_MODULE(<domain>, <name>"; a descriptor
 * written out by hand would carry a key and path of its own. */
static void read_bodies(const char *dir, const char *file) {
    char *path = join(dir, file);
    FILE *f = fopen(path, "r");
    if (!f) {
        fail(path, "cannot be read");
        free(path);
        return;
    }
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "const pf_module_desc pf_module_", 31) == 0)
            fail(path, "writes out a module descriptor; define it with PF_MODULE(<domain>, <name>, ...) "
                       "(modules/module.h), so its key and contract path come from its contract");
        if (strncmp(line, "PF_MODULE(", 10) != 0) continue;
        const char *p = line + 10, *comma = strchr(p, ',');
        const char *q = comma ? comma + 1 : NULL;
        while (q && *q == ' ')
            q++;
        const char *end = q;
        while (end && (isalnum((unsigned char)*end) || *end == '_'))
            end++;
        if (!comma || !symbol_part(p, (size_t)(comma - p)) || !symbol_part(q, (size_t)(end - q))) {
            fail(path, "PF_MODULE( is not followed by <domain>, <name>");
            continue;
        }
        if (n_bodies == MAX_MODULES) {
            fail(path, "one module too many for MAX_MODULES");
            break;
        }
        body *b = &bodies[n_bodies++];
        b->domain = dup_n(p, (size_t)(comma - p));
        b->name = dup_n(q, (size_t)(end - q));
        b->path = strdup(path);
    }
    fclose(f);
    free(path);
}

static int not_hidden(const struct dirent *e) { return e->d_name[0] != '.'; }

/* Contracts and bodies live one level down, in the domain directories (cad/, render/, ...). */
static void walk(const char *root) {
    struct dirent **doms;
    int nd = scandir(root, &doms, not_hidden, alphasort);
    if (nd < 0) {
        fail(root, "cannot be read");
        return;
    }
    for (int i = 0; i < nd; i++) {
        const char *domain = doms[i]->d_name;
        char *dir = join(root, domain);
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            free(dir);
            free(doms[i]);
            continue;
        }
        struct dirent **files;
        int n = scandir(dir, &files, NULL, alphasort);
        for (int k = 0; k < n; k++) {
            const char *file = files[k]->d_name;
            if (ends_with(file, ".json") && !ends_with(file, ".schema.json")) {
                if (symbol_part(domain, strlen(domain)))
                    read_contract(domain, dir, file);
                else
                    fail(dir, "the domain directory's name is not a lowercase C identifier");
            } else if (ends_with(file, ".c")) {
                read_bodies(dir, file);
            }
            free(files[k]);
        }
        if (n < 0)
            fail(dir, "cannot be read");
        else
            free(files);
        free(dir);
        free(doms[i]);
    }
    free(doms);
}

static contract *contract_of(const char *key) {
    for (size_t i = 0; i < n_contracts; i++)
        if (strcmp(contracts[i].key, key) == 0) return &contracts[i];
    return NULL;
}

static const json_t *family_named(const json_t *families, const char *key) {
    size_t i;
    const json_t *f;
    json_array_foreach(families, i, f) {
        const char *k = json_string_value(json_object_get(f, "key"));
        if (k && strcmp(k, key) == 0) return f;
    }
    return NULL;
}

static int lists(const json_t *palette, const char *key) {
    size_t i;
    const json_t *s;
    json_array_foreach(palette, i, s) {
        if (json_string_value(s) && strcmp(json_string_value(s), key) == 0) return 1;
    }
    return 0;
}

static void check_contract(const contract *c, const json_t *families, const char *families_path) {
    const char *key = json_string_value(json_object_get(c->doc, "module_key"));
    if (!key)
        fail(c->path, "has no \"module_key\"; it must be \"%s\", from the domain directory and file name", c->key);
    else if (strcmp(key, c->key) != 0)
        fail(c->path, "module_key is \"%s\"; it must be \"%s\", from the domain directory and file name", key, c->key);
    for (const contract *o = contracts; o < c; o++) {
        const char *other = json_string_value(json_object_get(o->doc, "module_key"));
        if (key && other && strcmp(key, other) == 0)
            fail(c->path, "module_key \"%s\" is also the key of %s", key, o->path);
    }
    const json_t *fams = json_object_get(c->doc, "family");
    if (!json_is_array(fams) || json_array_size(fams) == 0)
        fail(c->path, "\"family\" must list the families whose palettes offer the module");
    size_t i;
    const json_t *fam;
    json_array_foreach(fams, i, fam) {
        const char *name = json_string_value(fam);
        const json_t *f = name ? family_named(families, name) : NULL;
        if (!f)
            fail(c->path, "family \"%s\" is not in %s", name ? name : "?", families_path);
        else if (!lists(json_object_get(f, "palette"), c->key))
            fail(c->path, "names family \"%s\", whose palette in %s does not list %s", name, families_path, c->key);
    }
    if (!c->has_body)
        fail(c->path, "has no body: %s/%s.c beside it must define it with PF_MODULE(%s, %s, ...)", c->domain, c->name,
             c->domain, c->name);
}

/* Each body belongs to the contract of the same domain and name, in the
 * C file of that name beside it. */
static void match_bodies(void) {
    for (size_t i = 0; i < n_bodies; i++) {
        const body *b = &bodies[i];
        contract *c = NULL;
        for (size_t k = 0; k < n_contracts && !c; k++)
            if (!strcmp(contracts[k].domain, b->domain) && !strcmp(contracts[k].name, b->name)) c = &contracts[k];
        if (!c) {
            fail(b->path, "PF_MODULE(%s, %s) has no contract %s/%s.json", b->domain, b->name, b->domain, b->name);
            continue;
        }
        size_t stem = strlen(c->path) - strlen(".json");
        if (strncmp(b->path, c->path, stem) != 0 || strcmp(b->path + stem, ".c") != 0)
            fail(b->path, "PF_MODULE(%s, %s) belongs in %s.c beside its contract", b->domain, b->name, b->name);
        else if (c->has_body)
            fail(b->path, "defines %s.%s a second time", b->domain, b->name);
        else
            c->has_body = 1;
    }
}

/* Every palette entry is a module with a contract, listed once. */
static void check_palettes(const json_t *families, const char *families_path) {
    if (json_array_size(families) > MAX_FAMILIES) fail(families_path, "one family too many for MAX_FAMILIES");
    size_t i;
    const json_t *f;
    json_array_foreach(families, i, f) {
        size_t k;
        const json_t *s;
        const char *fam = json_string_value(json_object_get(f, "key"));
        const json_t *palette = json_object_get(f, "palette");
        json_array_foreach(palette, k, s) {
            const char *key = json_string_value(s);
            if (!key || !contract_of(key))
                fail(families_path, "family \"%s\"'s palette lists %s, which has no contract in src/modules",
                     fam ? fam : "?", key ? key : "a non-string");
            for (size_t j = 0; j < k && key; j++)
                if (json_string_value(json_array_get(palette, j)) &&
                    !strcmp(json_string_value(json_array_get(palette, j)), key))
                    fail(families_path, "family \"%s\"'s palette lists %s twice", fam ? fam : "?", key);
        }
    }
}

/* The palettes merged into one order. Each step places the next module of
 * the first family whose next module no palette still lists behind an
 * unplaced one; when every family's next module waits so, the palettes
 * contradict each other. Only for palettes check_palettes found sound. */
static size_t palette_order(const json_t *families, const char *families_path, contract **order) {
    size_t nf = json_array_size(families), at[MAX_FAMILIES] = {0}, n = 0;
    for (;;) {
        /* Each family's next module still to place, or NULL when its palette is placed. */
        const char *head[MAX_FAMILIES];
        int left = 0;
        for (size_t a = 0; a < nf; a++) {
            const json_t *pa = json_object_get(json_array_get(families, a), "palette");
            while (at[a] < json_array_size(pa) && contract_of(json_string_value(json_array_get(pa, at[a])))->placed)
                at[a]++;
            head[a] = json_string_value(json_array_get(pa, at[a]));
            left |= head[a] != NULL;
        }
        if (!left) return n;
        contract *next = NULL;
        for (size_t a = 0; a < nf && !next; a++) {
            int waits = !head[a];
            for (size_t b = 0; b < nf && !waits; b++) {
                const json_t *pb = json_object_get(json_array_get(families, b), "palette");
                for (size_t k = at[b] + 1; k < json_array_size(pb) && !waits; k++)
                    waits = strcmp(json_string_value(json_array_get(pb, k)), head[a]) == 0;
            }
            if (!waits) next = contract_of(head[a]);
        }
        if (!next) {
            fail(families_path, "the palettes order some modules both ways, so they give no one palette order");
            return 0;
        }
        next->placed = 1;
        order[n++] = next;
    }
}

/* Replaces path with text only when they differ: a contract's params change
 * often, its key and file seldom, and everything that includes
 * modules/module.h is rebuilt when contracts.h changes. */
static int write_if_changed(const char *path, const char *text, size_t len) {
    FILE *old = fopen(path, "r");
    if (old) {
        char *buf = malloc(len + 1);
        if (!buf) abort();
        size_t got = fread(buf, 1, len + 1, old);
        int same = got == len && memcmp(buf, text, len) == 0;
        free(buf);
        fclose(old);
        if (same) return 0;
    }
    FILE *out = fopen(path, "w");
    if (!out || fwrite(text, 1, len, out) != len || fclose(out) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

static void print_contracts_h(FILE *out, contract **order, size_t n) {
    fputs("/* Generated from src/modules/<domain>/<name>.json by tools/gen_modules.c: do not edit.\n"
          " * Each built-in module's key and contract path, as its contract gives them;\n"
          " * PF_MODULE (modules/module.h) puts them in the module's descriptor. */\n"
          "#ifndef PF_MODULES_CONTRACTS_H\n#define PF_MODULES_CONTRACTS_H\n\n",
          out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "#define PF_MODULE_CONTRACT_%s_%s .key = \"%s\", .contract_path = \"modules/%s/%s.json\"\n",
                order[i]->domain, order[i]->name, order[i]->key, order[i]->domain, order[i]->name);
    /* The domain directories: external modules may not use them as namespaces. */
    fputs("\n#define PF_MODULE_NAMESPACES", out);
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t k = 0; k < i; k++)
            seen |= strcmp(order[k]->domain, order[i]->domain) == 0;
        if (!seen) fprintf(out, "%s \"%s\"", i ? "," : "", order[i]->domain);
    }
    fputs("\n\n#endif\n", out);
}

static void print_table_h(FILE *out, contract **order, size_t n) {
    fputs("/* Generated from src/modules/<domain>/<name>.json and src/contract/families.json\n"
          " * by tools/gen_modules.c: do not edit. The built-in modules in palette order;\n"
          " * registry.c includes it, and only registry.c. */\n\n",
          out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "extern const pf_module_desc pf_module_%s_%s;\n", order[i]->domain, order[i]->name);
    fputs("\nstatic const pf_module_desc *const module_table[] = {\n", out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "    &pf_module_%s_%s,\n", order[i]->domain, order[i]->name);
    fputs("};\n", out);
}

static int emit(const char *path, void (*print)(FILE *, contract **, size_t), contract **order, size_t n) {
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) abort();
    print(mem, order, n);
    fclose(mem);
    int status = write_if_changed(path, text, len);
    free(text);
    return status;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fputs("usage: gen_modules MODULES_DIR FAMILIES.json CONTRACTS.h TABLE.h\n", stderr);
        return 2;
    }
    json_error_t jerr;
    json_t *doc = json_load_file(argv[2], 0, &jerr);
    if (!doc) {
        fprintf(stderr, "%s:%d:%d: %s\n", argv[2], jerr.line, jerr.column, jerr.text);
        return 1;
    }
    const json_t *families = json_object_get(doc, "families");
    if (!json_is_array(families)) fail(argv[2], "has no \"families\" array");
    walk(argv[1]);
    match_bodies();
    for (size_t i = 0; i < n_contracts; i++)
        check_contract(&contracts[i], families, argv[2]);
    check_palettes(families, argv[2]);
    static contract *order[MAX_MODULES];
    size_t n = failures ? 0 : palette_order(families, argv[2], order);
    int status = failures ? 1 : emit(argv[3], print_contracts_h, order, n) | emit(argv[4], print_table_h, order, n);
    for (size_t i = 0; i < n_contracts; i++) {
        contract *c = &contracts[i];
        free(c->domain), free(c->name), free(c->key), free(c->path);
        json_decref(c->doc);
    }
    for (size_t i = 0; i < n_bodies; i++)
        free(bodies[i].domain), free(bodies[i].name), free(bodies[i].path);
    json_decref(doc);
    return status;
}
