/* Blender behind a gate, so a test can hold a render running for as long
 * as it likes and release it when it is ready: waits on states, never on
 * the clock. */
#ifndef PF_TESTS_GATE_H
#define PF_TESTS_GATE_H

typedef struct pf_test_gate {
    char *blender; /* a script to give as PRODFLOW_BLENDER */
    char *file;    /* while it exists, renders wait */
    char *dir;
} pf_test_gate;

/* Writes the script into dir; the gate starts open. */
void pf_test_gate_make(pf_test_gate *g, const char *dir);
void pf_test_gate_close(const pf_test_gate *g);
void pf_test_gate_open(const pf_test_gate *g);
/* Blocks until n renders have reached the gate since it was closed. */
void pf_test_gate_wait(const pf_test_gate *g, int n);
void pf_test_gate_free(pf_test_gate *g);

#endif
