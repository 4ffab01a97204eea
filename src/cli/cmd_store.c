/* prodflow migrate: brings a store to the newest schema by hand, or says
 * what that would run (--dry-run). prodflow store copy: moves an
 * installation's store into an empty one, SQLite and PostgreSQL either
 * way, verified table by table (docs/operations.md). */
#include "cli/cli.h"
#include "core/json.h"
#include "core/mem.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void migrate_usage(FILE *out) {
    fputs("Usage: prodflow migrate [--data-dir DIR | --store URL] [--dry-run] [--json]\n\n"
          "Applies the store's pending schema migrations (a server does this when it\n"
          "starts). PostgreSQL migrates in one transaction under an advisory lock, so\n"
          "servers starting meanwhile wait. --dry-run changes nothing and prints the\n"
          "current and target versions and every statement it would run.\n\n"
          "Options:\n"
          "  --data-dir DIR  the installation's data directory, for its SQLite store (default ./var)\n"
          "  --store URL     sqlite:PATH, a directory, or postgresql://... (default $PRODFLOW_STORE)\n"
          "  --dry-run       say what would run, run nothing\n"
          "  --json          the report as JSON\n"
          "  -h, --help      this help\n",
          out);
}

static void print_report(const json_t *report, bool json) {
    if (json) {
        json_dumpf(report, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        return;
    }
    const json_t *statements = json_object_get(report, "statements");
    int from = (int)json_integer_value(json_object_get(report, "current_version"));
    int to = (int)json_integer_value(json_object_get(report, "target_version"));
    bool dry = json_is_true(json_object_get(report, "dry_run"));
    printf("%s store: schema version %d, newest %d\n",
           pf_json_str(report, "backend") ? pf_json_str(report, "backend") : "the", from, to);
    if (!json_array_size(statements)) {
        printf("nothing to migrate\n");
        return;
    }
    size_t i;
    const json_t *st;
    json_array_foreach(statements, i, st) {
        printf("-- version %d\n%s\n", (int)json_integer_value(json_object_get(st, "version")),
               pf_json_str(st, "sql") ? pf_json_str(st, "sql") : "");
    }
    printf(dry ? "dry run: nothing was changed (%zu migration%s would run)\n" : "migrated: %zu migration%s applied\n",
           json_array_size(statements), json_array_size(statements) == 1 ? "" : "s");
}

static int migrate_run(int argc, char **argv) {
    static const struct option opts[] = {
        {"data-dir", required_argument, 0, 'd'}, {"store", required_argument, 0, 'S'}, {"dry-run", no_argument, 0, 'n'},
        {"json", no_argument, 0, 'j'},           {"help", no_argument, 0, 'h'},        {0, 0, 0, 0},
    };
    const char *data_dir = "./var", *store_url = NULL;
    bool dry_run = false, json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data_dir = optarg; break;
        case 'S': store_url = optarg; break;
        case 'n': dry_run = true; break;
        case 'j': json = true; break;
        case 'h': migrate_usage(stdout); return PF_EXIT_OK;
        default: return PF_EXIT_USAGE; /* getopt said what */
        }
    }
    if (optind != argc) {
        fputs("prodflow migrate: unexpected arguments\n", stderr);
        return PF_EXIT_USAGE;
    }
    json_t *report = NULL;
    pf_error *err = pf_store_migrate(pf_cli_store_location(data_dir, store_url), dry_run, &report);
    if (report) print_report(report, json);
    json_decref(report);
    if (err) {
        fprintf(stderr, "prodflow migrate: %s\n", err->message);
        pf_error_free(err);
        return PF_EXIT_FAILED;
    }
    return PF_EXIT_OK;
}

const pf_command pf_cmd_migrate = {"migrate", "apply the store's schema migrations (or show them: --dry-run)",
                                   migrate_run, migrate_usage};

static void store_usage(FILE *out) {
    fputs("Usage: prodflow store copy --from LOCATION --to LOCATION [--json]\n\n"
          "Copies everything in one store into another that holds no data yet, SQLite\n"
          "and PostgreSQL either way: workflows with all their versions, runs with their\n"
          "documents and nodes, artifact rows, published assets, cache entries and items,\n"
          "time stamps kept. Each table is then read back and compared by row count and\n"
          "digest; any difference is an error. Stop the servers first. Files (artifacts,\n"
          "assets, CAD uploads) stay in the data directory.\n\n"
          "Options:\n"
          "  --from LOCATION  the store to copy: sqlite:PATH, a data directory, or postgresql://...\n"
          "  --to LOCATION    the empty store to fill (migrated to the newest schema first)\n"
          "  --json           the report as JSON\n"
          "  -h, --help       this help\n",
          out);
}

static int store_run(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "copy") != 0) {
        if (argc >= 2 && pf_cli_wants_help(argc, argv)) {
            store_usage(stdout);
            return PF_EXIT_OK;
        }
        fputs("prodflow store: name an action: copy\n", stderr);
        return PF_EXIT_USAGE;
    }
    static const struct option opts[] = {
        {"from", required_argument, 0, 'f'},
        {"to", required_argument, 0, 't'},
        {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *from = NULL, *to = NULL;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': from = optarg; break;
        case 't': to = optarg; break;
        case 'j': json = true; break;
        case 'h': store_usage(stdout); return PF_EXIT_OK;
        default: return PF_EXIT_USAGE; /* getopt said what */
        }
    }
    if (!from || !to || optind != argc - 1) {
        fputs(optind != argc - 1 ? "prodflow store copy: unexpected arguments\n"
                                 : "prodflow store copy: give --from and --to\n",
              stderr);
        return PF_EXIT_USAGE;
    }
    pf_store *src = NULL, *dst = NULL;
    pf_error *err = pf_store_open(from, &src);
    if (!err) err = pf_store_open(to, &dst);
    json_t *report = NULL;
    if (!err) err = pf_store_copy(src, dst, &report);
    if (report && json) {
        json_dumpf(report, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else if (report) {
        const char *table;
        const json_t *t;
        json_object_foreach(json_object_get(report, "tables"), table, t) {
            printf("%-18s %8lld rows  sha256 %s\n", table, (long long)json_integer_value(json_object_get(t, "rows")),
                   pf_json_str(t, "sha256") ? pf_json_str(t, "sha256") : "?");
        }
    }
    json_decref(report);
    pf_store_close(dst);
    pf_store_close(src);
    if (err) {
        fprintf(stderr, "prodflow store copy: %s\n", err->message);
        pf_error_free(err);
        return PF_EXIT_FAILED;
    }
    if (!json) printf("copied and verified: every table has the same rows and digest on both sides\n");
    return PF_EXIT_OK;
}

const pf_command pf_cmd_store = {"store", "copy a store into another (SQLite and PostgreSQL, either way)", store_run,
                                 store_usage};
