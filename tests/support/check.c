/* The counts behind CHECK (check.h), one pair per test program. */
#include "check.h"

int pf_check_failures;
int pf_check_count;
