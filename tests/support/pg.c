#include "support/pg.h"

#include "core/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct pf_test_pg {
    char *bindir; /* where initdb and pg_ctl are */
    char *dir;    /* the cluster's directory: data/, the socket, logs */
    char *url;
    bool as_postgres; /* root runs the server as the postgres user */
    int port;
    int watch_fd; /* the test's end of the watchdog's pipe (watch); -1: none */
};

/* The newest /usr/lib/postgresql/N/bin (Debian's layout), else the
 * directory of initdb on PATH. */
static char *find_bindir(void) {
    glob_t g;
    char *dir = NULL;
    if (glob("/usr/lib/postgresql/*/bin/pg_ctl", 0, NULL, &g) == 0 && g.gl_pathc) {
        const char *last = g.gl_pathv[g.gl_pathc - 1];
        dir = pf_strndup(last, strlen(last) - strlen("/pg_ctl"));
    }
    if (g.gl_pathc) globfree(&g);
    if (!dir && access("/usr/bin/pg_ctl", X_OK) == 0 && access("/usr/bin/initdb", X_OK) == 0)
        dir = pf_strdup("/usr/bin");
    return dir;
}

bool pf_test_pg_installed(void) {
    char *dir = find_bindir();
    bool found = dir != NULL;
    free(dir);
    return found;
}

/* Runs argv (as postgres when pg->as_postgres) with its output appended to
 * DIR/commands.log; true when it exits 0. */
static bool run(const pf_test_pg *pg, const char *const *argv) {
    const char *prefix[] = {"runuser", "-u", "postgres", "--"};
    const char *full[24];
    size_t n = 0;
    if (pg->as_postgres)
        for (size_t i = 0; i < 4; i++)
            full[n++] = prefix[i];
    for (size_t i = 0; argv[i] && n < 23; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    char *log = pf_asprintf("%s/commands.log", pg->dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int status = -1;
    if (posix_spawnp(&pid, full[0], &fa, NULL, (char *const *)full, environ) == 0) waitpid(pid, &status, 0);
    posix_spawn_file_actions_destroy(&fa);
    free(log);
    return status == 0;
}

static char *tool(const pf_test_pg *pg, const char *name) { return pf_asprintf("%s/%s", pg->bindir, name); }

/* A port nothing listens on now; pg_ctl start fails if another process
 * takes it first, and the caller then tries another. */
static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

/* pg_ctl start -w: returns once the server accepts connections. */
static bool server_start(const pf_test_pg *pg) {
    char *ctl = tool(pg, "pg_ctl"), *data = pf_asprintf("%s/data", pg->dir),
         *log = pf_asprintf("%s/server.log", pg->dir);
    char *opts = pf_asprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=32MB "
                             "-c max_connections=60",
                             pg->port, pg->dir);
    const char *argv[] = {ctl, "-D", data, "-l", log, "-o", opts, "-w", "-s", "start", NULL};
    bool ok = run(pg, argv);
    free(ctl), free(data), free(log), free(opts);
    return ok;
}

static bool server_stop(const pf_test_pg *pg, const char *mode) {
    char *ctl = tool(pg, "pg_ctl"), *data = pf_asprintf("%s/data", pg->dir);
    const char *argv[] = {ctl, "-D", data, "-m", mode, "-w", "-s", "stop", NULL};
    bool ok = run(pg, argv);
    free(ctl), free(data);
    return ok;
}

static bool init_cluster(const pf_test_pg *pg) {
    char *initdb = tool(pg, "initdb"), *data = pf_asprintf("%s/data", pg->dir);
    const char *argv[] = {initdb,     "-D", data,   "-A",         "trust",     "-U",
                          "postgres", "-E", "UTF8", "--locale=C", "--no-sync", NULL};
    bool ok = run(pg, argv);
    free(initdb), free(data);
    return ok;
}

/* Runs one statement in the maintenance database. */
static bool admin(const pf_test_pg *pg, const char *sql) {
    char *url = pf_asprintf("postgresql://postgres@127.0.0.1:%d/postgres", pg->port);
    PGconn *c = PQconnectdb(url);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) fprintf(stderr, "pg: %s failed: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    free(url);
    return ok;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void say_log(const pf_test_pg *pg) {
    fprintf(stderr, "pg: see %s/commands.log and %s/server.log\n", pg->dir, pg->dir);
}

/* A directory the server's user owns. */
static bool make_dir(pf_test_pg *pg) {
    pg->dir = pf_strdup("/tmp/prodflow-pg-XXXXXX");
    if (!mkdtemp(pg->dir)) return false;
    if (!pg->as_postgres) return true;
    struct passwd *pw = getpwnam("postgres");
    return pw && chown(pg->dir, pw->pw_uid, pw->pw_gid) == 0;
}

/* A test that CTest kills at its timeout, or that crashes, never calls
 * pf_test_pg_stop, and the cluster pg_ctl started outlives it. A watchdog,
 * forked twice so that it belongs to no test's process tree (CTest kills
 * that tree), waits for the test's end of a pipe to close, as it does
 * however the test ends, then stops the cluster and removes its directory.
 * After pf_test_pg_stop it finds nothing left to do. */
static void watch(pf_test_pg *pg) {
    int fds[2];
    pg->watch_fd = -1;
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    pid_t child = fork();
    if (child == 0) {
        close(fds[1]);
        if (fork() != 0) _exit(0);
        char c;
        while (read(fds[0], &c, 1) < 0 && errno == EINTR)
            ;
        server_stop(pg, "immediate");
        nftw(pg->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        _exit(0);
    }
    close(fds[0]);
    if (child < 0) {
        close(fds[1]);
        return;
    }
    waitpid(child, NULL, 0);
    pg->watch_fd = fds[1];
}

static void pg_free(pf_test_pg *pg) {
    free(pg->bindir);
    free(pg->dir);
    free(pg->url);
    free(pg);
}

pf_test_pg *pf_test_pg_start(void) {
    pf_test_pg *pg = pf_xcalloc(1, sizeof *pg);
    pg->as_postgres = geteuid() == 0;
    if (!(pg->bindir = find_bindir())) {
        fprintf(stderr, "pg: PostgreSQL's server (initdb, pg_ctl) is not installed: scripts/bootstrap installs "
                        "the postgresql and libpq-dev packages\n");
        pg_free(pg);
        return NULL;
    }
    if (pg->as_postgres && !getpwnam("postgres")) {
        fprintf(stderr, "pg: running as root, but there is no postgres user to run the server as (initdb refuses "
                        "root); install the postgresql package\n");
        pg_free(pg);
        return NULL;
    }
    if (!make_dir(pg) || !init_cluster(pg)) {
        fprintf(stderr, "pg: initdb failed in %s\n", pg->dir ? pg->dir : "/tmp");
        if (pg->dir) say_log(pg);
        pg_free(pg);
        return NULL;
    }
    bool started = false;
    for (int attempt = 0; attempt < 5 && !started; attempt++)
        started = (pg->port = free_port()) > 0 && server_start(pg);
    if (!started || !admin(pg, "CREATE DATABASE prodflow")) {
        fprintf(stderr, "pg: the server did not start\n");
        say_log(pg);
        if (started) server_stop(pg, "immediate");
        pg_free(pg);
        return NULL;
    }
    pg->url = pf_asprintf("postgresql://postgres@127.0.0.1:%d/prodflow", pg->port);
    watch(pg);
    return pg;
}

const char *pf_test_pg_url(const pf_test_pg *pg) { return pg->url; }

char *pf_test_pg_new_database(pf_test_pg *pg, const char *name) {
    char *sql = pf_asprintf("CREATE DATABASE \"%s\"", name);
    bool ok = admin(pg, sql);
    free(sql);
    return ok ? pf_asprintf("postgresql://postgres@127.0.0.1:%d/%s", pg->port, name) : NULL;
}

bool pf_test_pg_halt(pf_test_pg *pg) { return server_stop(pg, "fast"); }

bool pf_test_pg_resume(pf_test_pg *pg) { return server_start(pg); }

void pf_test_pg_stop(pf_test_pg *pg) {
    if (!pg) return;
    if (!server_stop(pg, "immediate")) say_log(pg);
    nftw(pg->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (pg->watch_fd >= 0) close(pg->watch_fd);
    pg_free(pg);
}
