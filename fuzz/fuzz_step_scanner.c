/* libFuzzer target: any bytes through the STEP scanner, which must answer
 * with a summary or an error and never crash. The summary must be JSON a
 * strict parser reads back: its strings skip jansson's UTF-8 check (the
 * scanner's text is valid UTF-8 by construction), so this is where a byte
 * sequence that broke that promise would show. `make fuzz` runs it. */
#include "cad/step_scanner.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pf_step_summary *s = NULL;
    pf_error *err = pf_step_scan_buffer((const char *)data, size, &s);
    if (s) {
        json_t *doc = pf_step_summary_json(s);
        char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_error_t jerr;
        json_t *back = text ? json_loads(text, 0, &jerr) : NULL;
        if (!back) {
            fprintf(stderr, "the summary is not JSON: %s\n", text ? jerr.text : "no document");
            abort();
        }
        json_decref(back);
        free(text);
        json_decref(doc);
    }
    pf_step_summary_free(s);
    pf_error_free(err);
    return 0;
}
