/* The module zygote: a helper process that has the registry built (and
 * OCCT loaded, when the registry has CAD modules that run in children)
 * and forks one child per isolated module invocation, so a child starts in
 * a fork instead of an exec of prodflow, its shared libraries, the
 * registry and OCCT (docs/scale-out.md, "Child start-up", has the numbers).
 *
 * The server starts one (`prodflow module-zygote`, through pf_child_spawn_on
 * and so with the controlled environment) and talks to it over a unix
 * socket. For each job it sends the child's limits, its stdio (pipes it
 * made, passed with SCM_RIGHTS, so the @pf event protocol is unchanged) and
 * one end of a socket of the job's own, on which the zygote answers with the
 * child's pid and, later, its wait status. The child puts itself in its own
 * process group (a cancel or timeout kills the group, as for a spawned
 * child), sets its address-space, CPU-time and file-size limits and dies
 * with the zygote (PR_SET_PDEATHSIG). The zygote is single-threaded, which
 * is what makes fork safe there; the threaded server never forks.
 *
 * Nobody waits for ever on a zygote: a job waits for its answer only while
 * it can come (the process alive and not stopped, watched in /proc), and
 * for at most $PRODFLOW_ZYGOTE_WAIT_S seconds when the operator set that;
 * then the zygote is killed and replaced (`zygote_restart`). */
#ifndef PF_RUNTIME_ZYGOTE_H
#define PF_RUNTIME_ZYGOTE_H

#include "core/subprocess.h"
#include "modules/registry.h"

typedef struct pf_zygote pf_zygote;

/* A zygote for `program module-zygote`, started by the first job that
 * asks for a child: a `prodflow run` or a server that never runs an
 * isolated module pays nothing for it. */
pf_zygote *pf_zygote_new(const char *program);
/* Closes its socket (the zygote ends when it reads that), kills what is
 * left of it and frees the handle. NULL is fine. */
void pf_zygote_stop(pf_zygote *z);
/* The zygote's pid now, 0 before the first job (it changes when a dead
 * zygote is restarted). */
pid_t pf_zygote_pid(pf_zygote *z);

/* A child for one job, forked by the zygote and adopted (pf_child_adopt),
 * with a pipe for its stdin. A zygote found dead, stopped or (with
 * $PRODFLOW_ZYGOTE_WAIT_S) hung is killed and started again once.
 * PF_ECANCELLED when *cancel (may be NULL) became true while waiting for
 * it; any other error means the caller should spawn the child itself. */
pf_error *pf_zygote_fork(pf_zygote *z, const pf_limits *limits, const atomic_bool *cancel, pf_child **out);

/* The zygote's side: serves requests on sock until the server closes it;
 * each forked child runs its job against reg (pf_isolate_serve). OCCT is
 * loaded once no request waits, when reg has CAD modules that run in
 * children. Returns the process's exit status. */
int pf_zygote_serve(const pf_registry *reg, int sock);

#endif
