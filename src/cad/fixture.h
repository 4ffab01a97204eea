/* The project's own STEP fixtures: a coloured gearbox assembly with a nested
 * sub-assembly, a bolt instanced many times and curved faces, optionally with
 * a rack of extra distinct parts for large-assembly benchmarks. */
#ifndef PF_CAD_FIXTURE_H
#define PF_CAD_FIXTURE_H

#include "core/error.h"

typedef struct pf_fixture_opts {
    int bolts;       /* instances of the one Bolt_M4 part */
    int extra_parts; /* distinct parts in a Rack sub-assembly */
    int inside_out;  /* the Housing written inside out, a defect for healing to mend */
} pf_fixture_opts;

pf_error *pf_cad_make_fixture(const char *path, const pf_fixture_opts *opts);

#endif
