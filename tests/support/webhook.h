/* A webhook receiver on 127.0.0.1 for tests: it answers every POST (200
 * unless told otherwise) and keeps each body with its headers. */
#ifndef PF_TESTS_WEBHOOK_H
#define PF_TESTS_WEBHOOK_H

#include <jansson.h>
#include <stdbool.h>

typedef struct pf_test_webhook pf_test_webhook;

/* NULL when it cannot listen. */
pf_test_webhook *pf_test_webhook_start(void);
unsigned pf_test_webhook_port(const pf_test_webhook *w);
/* How later requests are answered: status (200 by default) and, when not
 * NULL, a Location header (for a 3xx). */
void pf_test_webhook_answer(pf_test_webhook *w, unsigned status, const char *location);
/* [{"body", "idempotency_key", "signature", "headers": {name: value}}],
 * one per POST in arrival order; new reference. */
json_t *pf_test_webhook_received(pf_test_webhook *w);
/* While held, each POST is recorded at once but answered only when the
 * hold ends: a test keeps a run inside output.notify for as long as it
 * likes (the receiver serves one request at a time meanwhile). */
void pf_test_webhook_hold(pf_test_webhook *w, bool held);
/* Blocks until the receiver has recorded at least n POSTs (held ones too). */
void pf_test_webhook_wait(pf_test_webhook *w, size_t n);
/* How many deliveries the receiver got whose JSON body names run_id. */
size_t pf_test_webhook_count_for_run(pf_test_webhook *w, const char *run_id);
void pf_test_webhook_stop(pf_test_webhook *w);

#endif
