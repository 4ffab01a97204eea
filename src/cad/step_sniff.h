/* Recognising a STEP (ISO 10303-21) file by its first bytes, before any
 * parsing: the upload API and the cad_file entry module share this test. */
#ifndef PF_CAD_STEP_SNIFF_H
#define PF_CAD_STEP_SNIFF_H

#include <stdbool.h>
#include <stddef.h>

/* How many leading bytes pf_step_sniff wants; fewer are fine for short files. */
#define PF_STEP_SNIFF_BYTES 256

/* True when head (the first n bytes of a file) starts with the Part 21
 * magic "ISO-10303-21;", possibly after a UTF-8 BOM and white space. */
bool pf_step_sniff(const void *head, size_t n);

#endif
