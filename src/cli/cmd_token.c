/* prodflow token create | list | revoke: API tokens, managed on the store
 * directly, so the first one can be made before any server runs. */
#include "api/auth.h"
#include "cli/cli.h"
#include "core/json.h"
#include "core/mem.h"
#include "core/path.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *out) {
    fputs("Usage: prodflow token create --name NAME --role ROLE [--role ROLE ...] [--expires-in DAYS] [--json]\n"
          "       prodflow token list [--json]\n"
          "       prodflow token revoke ID\n\n"
          "Manages the API tokens of an installation. A token is shown once, when it is\n"
          "created; the store keeps only its digest. Roles: viewer (reads), editor\n"
          "(workflows, output types, templates, libraries), operator (products, CAD files,\n"
          "orders, runs, dispatch), admin (everything, tokens included), worker (the\n"
          "artifact store only, for `prodflow worker`).\n\n"
          "Options:\n"
          "  --data-dir DIR    the installation's data directory (default ./var)\n"
          "  --store URL       its store, when not the SQLite file in DATA_DIR (or $PRODFLOW_STORE)\n"
          "  --name NAME       who or what holds the token; the audit log shows it\n"
          "  --role ROLE       a role the token holds (repeatable)\n"
          "  --expires-in DAYS the token stops working after this many days (default: never)\n"
          "  --json            machine-readable output\n"
          "  -h, --help        this help\n",
          out);
}

typedef struct {
    const char *data_dir, *store_url, *name;
    unsigned roles;
    long days;
    bool json;
} token_args;

static int parse(int argc, char **argv, token_args *a) {
    static const struct option opts[] = {
        {"data-dir", required_argument, 0, 'd'},
        {"store", required_argument, 0, 'S'},
        {"name", required_argument, 0, 'n'},
        {"role", required_argument, 0, 'r'},
        {"expires-in", required_argument, 0, 'e'},
        {"json", no_argument, 0, 'j'},
        {0, 0, 0, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'd': a->data_dir = optarg; break;
        case 'S': a->store_url = optarg; break;
        case 'n': a->name = optarg; break;
        case 'j': a->json = true; break;
        case 'r':
            if (!pf_role_bit(optarg)) {
                fprintf(stderr,
                        "prodflow token: --role %s: the roles are viewer, editor, operator, admin, worker, metrics\n",
                        optarg);
                return PF_EXIT_USAGE;
            }
            a->roles |= pf_role_bit(optarg);
            break;
        case 'e':
            a->days = strtol(optarg, &end, 10);
            if (*end || a->days <= 0 || a->days > 36500) {
                fprintf(stderr, "prodflow token: --expires-in takes a number of days, not \"%s\"\n", optarg);
                return PF_EXIT_USAGE;
            }
            break;
        default: return PF_EXIT_USAGE; /* getopt said what */
        }
    }
    return PF_EXIT_OK;
}

static int create(pf_store *store, const token_args *a) {
    pf_token_spec spec = {.name = a->name,
                          .roles = a->roles,
                          .expires_at_s = a->days ? (long long)time(NULL) + a->days * 86400LL : 0,
                          .created_by = "cli"};
    char *token = NULL;
    json_t *doc = NULL;
    pf_error *err = pf_token_create(store, &spec, &token, &doc);
    if (err) {
        fprintf(stderr, "prodflow token create: %s\n", err->message);
        pf_error_free(err);
        return PF_EXIT_FAILED;
    }
    if (a->json) {
        json_object_set_new(doc, "token", json_string(token));
        json_dumpf(doc, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        printf("%s\n", token);
        fprintf(stderr, "Token %s (\"%s\") created. It is shown only now: keep it safe.\n", pf_json_str(doc, "id"),
                a->name);
    }
    json_decref(doc);
    free(token);
    return PF_EXIT_OK;
}

static int list(pf_store *store, const token_args *a) {
    json_t *tokens = NULL;
    pf_error *err = pf_token_list(store, &tokens);
    if (err) {
        fprintf(stderr, "prodflow token list: %s\n", err->message);
        pf_error_free(err);
        return PF_EXIT_FAILED;
    }
    if (a->json) {
        json_dumpf(tokens, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(tokens);
        return PF_EXIT_OK;
    }
    size_t i;
    const json_t *t;
    json_array_foreach(tokens, i, t) {
        char *roles = json_dumps(json_object_get(t, "roles"), JSON_COMPACT);
        const char *state = json_object_get(t, "revoked_at") ? "revoked" : "active";
        printf("%s  %-24s %-28s %s  created %s%s%s\n", pf_json_str(t, "id"), pf_json_str(t, "name"), roles, state,
               pf_json_str(t, "created_at"), pf_json_str(t, "expires_at") ? ", expires " : "",
               pf_json_str(t, "expires_at") ? pf_json_str(t, "expires_at") : "");
        free(roles);
    }
    json_decref(tokens);
    return PF_EXIT_OK;
}

static int revoke(pf_store *store, const char *id) {
    pf_error *err = pf_token_revoke(store, id);
    if (err) {
        fprintf(stderr, "prodflow token revoke: %s\n", err->message);
        pf_error_free(err);
        return PF_EXIT_FAILED;
    }
    printf("Token %s revoked.\n", id);
    return PF_EXIT_OK;
}

static int run(int argc, char **argv) {
    if (argc < 2) {
        fputs("prodflow token: name an action: create, list or revoke\n", stderr);
        return PF_EXIT_USAGE;
    }
    const char *action = argv[1];
    token_args a = {.data_dir = "./var"};
    int rc = parse(argc - 1, argv + 1, &a);
    if (rc != PF_EXIT_OK) return rc;
    bool is_revoke = strcmp(action, "revoke") == 0;
    int positional = argc - 1 - optind;
    if (strcmp(action, "create") && strcmp(action, "list") && !is_revoke) {
        fprintf(stderr, "prodflow token: unknown action \"%s\"; it takes create, list or revoke\n", action);
        return PF_EXIT_USAGE;
    }
    if (positional != (is_revoke ? 1 : 0)) {
        fputs(is_revoke ? "prodflow token revoke: name one token id\n" : "prodflow token: unexpected arguments\n",
              stderr);
        return PF_EXIT_USAGE;
    }
    /* Checked before the store is opened (and ./var made) for it. */
    if (!strcmp(action, "create") && (!a.name || !a.roles)) {
        fputs("prodflow token create: give --name and at least one --role\n", stderr);
        return PF_EXIT_USAGE;
    }
    pf_store *store = NULL;
    pf_cli_dir data = pf_cli_dir_note(a.data_dir); /* a failed command takes back the ./var it made */
    pf_error *err = pf_cli_open_store(a.data_dir, a.store_url, &store);
    if (err) {
        fprintf(stderr, "prodflow token: %s\n", err->message);
        pf_error_free(err);
        rc = PF_EXIT_FAILED;
    } else {
        rc = is_revoke                   ? revoke(store, argv[1 + optind])
             : !strcmp(action, "create") ? create(store, &a)
                                         : list(store, &a);
        pf_store_close(store);
    }
    pf_cli_dir_undo(&data, rc, true);
    return rc;
}

const pf_command pf_cmd_token = {"token", "create, list and revoke API tokens", run, usage};
