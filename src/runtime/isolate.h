/* Running one module invocation in a child process, so a module that
 * blows up (meshing past the machine's memory, a crash in OCCT) fails its
 * node and never the server. The child is `prodflow module-child`: it reads
 * one job (JSON) on stdin, runs the module through pf_module_invoke, and
 * answers with "@pf {...}" event lines on stdout (progress, then done or
 * error). The parent pumps them under the module's limits: resident memory
 * (a watchdog, in every build) and, unless the child is a sanitised build,
 * an address-space limit; CPU time; the node's timeout; cancel. Each of
 * these kills the child's whole process group and becomes a clear error.
 * The runtime and the workers have their children forked by a module
 * zygote (runtime/zygote.h) rather than spawned: the same child, the same
 * events and limits, started in a few milliseconds. */
#ifndef PF_RUNTIME_ISOLATE_H
#define PF_RUNTIME_ISOLATE_H

#include "modules/registry.h"
#include "runtime/runtime.h"

#include <stdio.h>

/* program: the prodflow binary to run as `module-child`. *peak_rss (may
 * be NULL) gets the most resident memory the child was seen using (0 when
 * no memory limit watched it). */
pf_error *pf_isolate_invoke(const char *program, const pf_module *m, const pf_module_ctx *ctx, const json_t *inputs,
                            const json_t *params, json_t **outputs, unsigned long long *peak_rss);
/* The same with the child forked by zygote (runtime/zygote.h) when it can,
 * spawned as `program module-child` when it cannot or zygote is NULL. */
struct pf_zygote;
pf_error *pf_isolate_invoke_via(struct pf_zygote *zygote, const char *program, const pf_module *m,
                                const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs,
                                unsigned long long *peak_rss);

/* The child's side: reads one job from in, runs it against reg, writes
 * the events to out. Returns the process's exit status. */
int pf_isolate_serve(const pf_registry *reg, FILE *in, FILE *out);

/* The limits a module's child processes get: its contract's, with the
 * operator's overrides (for all queues, then its own queue's). */
pf_limits pf_isolate_limits(const pf_module *m, const pf_limit_override *overrides, size_t n);

/* Whether this binary runs under AddressSanitizer or ThreadSanitizer,
 * which cannot start under an address-space limit. */
bool pf_isolate_sanitized(void);

#endif
