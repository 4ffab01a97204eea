/* libFuzzer target: any bytes through the STEP scanner, which must answer
 * with a summary or an error and never crash. `make fuzz` runs it. */
#include "cad/step_scanner.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pf_step_summary *s = NULL;
    pf_error *err = pf_step_scan_buffer((const char *)data, size, &s);
    if (s) json_decref(pf_step_summary_json(s));
    pf_step_summary_free(s);
    pf_error_free(err);
    return 0;
}
