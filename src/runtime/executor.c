/* Where one module invocation runs: inline on the worker thread, or in an
 * isolated child under the module's limits (runtime/isolate.h), as its
 * contract's "execution" says. Modules whose heavy work already runs in a
 * child they start (Blender) run inline and pass the limits on. */
#include "runtime/runtime_internal.h"

#include "core/quota.h"
#include "modules/invoke.h"
#include "runtime/isolate.h"

#include <stdlib.h>
#include <string.h>

pf_limits rt_limits(const pf_runtime_config *cfg, const pf_module *m) {
    return pf_isolate_limits(m, cfg->limits, cfg->n_limits);
}

unsigned long long pf_runtime_pool_memory(const pf_runtime_config *cfg) {
    unsigned long long most = 0;
    for (size_t i = 0; i < cfg->registry->n_modules; i++) {
        const pf_module *m = &cfg->registry->modules[i];
        if (!m->desc->isolates_itself) continue;
        pf_limits l = rt_limits(cfg, m);
        if (l.memory_bytes > most) most = l.memory_bytes;
    }
    return most;
}

/* A limit error of a module's own child (Blender) names the module and
 * what to try, as the isolated ones do. */
static pf_error *explain_limit(const pf_module *m, pf_error *err) {
    if (!err || err->code != PF_ELIMIT || strncmp(err->message, m->key, strlen(m->key)) == 0) return err;
    pf_error *e = pf_error_new(PF_ELIMIT, err->pointer, "%s: %s%s%s", m->key, err->message, m->limit_hint ? "; " : "",
                               m->limit_hint ? m->limit_hint : "");
    pf_error_free(err);
    return e;
}

/* An external module is somebody else's Celery task: it can only be sent,
 * and what comes back is held to the contract as the module layer would
 * hold a module of ours. */
static pf_error *invoke_external(const pf_runtime *rt, const pf_module *m, pf_module_ctx *ctx, const json_t *inputs,
                                 const json_t *params, int attempt, json_t **outputs) {
    if (!rt->cfg.remote)
        return pf_error_new(PF_EUNAVAILABLE, "",
                            "%s is the Celery task %s, and this server has no broker to send it through: start "
                            "prodflow serve with --broker redis://HOST:PORT/DB and a worker that serves the queue %s",
                            m->key, m->desc->celery_task, m->queue);
    pf_remote_call call = {.module = m, .ctx = ctx, .inputs = inputs, .params = params, .attempt = attempt};
    pf_error *err = rt->cfg.remote->invoke(rt->cfg.remote->self, &call, outputs);
    if (!err) {
        const char *port;
        json_t *v;
        json_object_foreach(*outputs, port, v) {
            if (pf_module_port(&m->outputs, port)) continue;
            err = pf_error_new(PF_EINVAL, "", "%s (the Celery task %s) returned an output \"%s\" its contract lacks",
                               m->key, m->desc->celery_task, port);
            break;
        }
    }
    if (!err) err = pf_module_check_outputs(m, *outputs);
    if (err) {
        json_decref(*outputs);
        *outputs = NULL;
    }
    return err;
}

pf_error *rt_invoke(const pf_runtime *rt, const pf_module *m, pf_module_ctx *ctx, const json_t *inputs,
                    const json_t *params, int attempt, json_t **outputs, json_t **process) {
    *process = NULL;
    if (m->execution == PF_EXEC_CELERY) return invoke_external(rt, m, ctx, inputs, params, attempt, outputs);
    if (m->execution == PF_EXEC_PROCESS && rt->cfg.remote) {
        pf_remote_call call = {.module = m, .ctx = ctx, .inputs = inputs, .params = params, .attempt = attempt};
        return rt->cfg.remote->invoke(rt->cfg.remote->self, &call, outputs);
    }
    if (m->execution == PF_EXEC_PROCESS) ctx->limits = rt_limits(&rt->cfg, m);
    if (m->execution == PF_EXEC_PROCESS && !m->desc->isolates_itself && rt->cfg.module_runner) {
        /* No file the child writes may be larger than the room the disk
         * quota has left: scratch files would otherwise fill the disk
         * before check_quota (node.c) sees the outputs. At least one byte,
         * as 0 means no bound; a full installation fails it at its first write. */
        uint64_t left = pf_disk_quota_left(rt->cfg.data_dir, rt->cfg.disk_quota_bytes, NULL);
        if (left != UINT64_MAX && (!ctx->limits.file_bytes || left < ctx->limits.file_bytes)) {
            ctx->limits.file_bytes = left ? left : 1;
            ctx->limits.file_by_quota = true;
        }
        /* The child validates params and inputs itself, through pf_module_invoke. */
        unsigned long long peak = 0;
        pf_error *err =
            pf_isolate_invoke_via(rt->zygote, rt->cfg.module_runner, m, ctx, inputs, params, outputs, &peak);
        *process = json_pack("{s:s, s:I, s:I}", "isolated", "child process", "peak_rss", (json_int_t)peak,
                             "memory_limit", (json_int_t)ctx->limits.memory_bytes);
        return err;
    }
    return explain_limit(m, pf_module_invoke(rt->cfg.registry, m->key, ctx, inputs, params, outputs));
}
