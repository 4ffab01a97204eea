/* Hexadecimal, both ways: digests and MACs as lowercase text, and the
 * %XX escapes of URLs. */
#ifndef PF_CORE_HEX_H
#define PF_CORE_HEX_H

#include <stddef.h>

/* n bytes as 2n lowercase hex digits and a NUL; out holds 2n + 1. */
void pf_hex_encode(const unsigned char *bytes, size_t n, char *out);
/* The value of one hex digit, either case; -1 for anything else. */
int pf_hex_digit(char c);
/* %-decodes s[0..n) into a new string; NULL on a broken escape or an
 * encoded NUL (which would cut the text short where C reads it). */
char *pf_percent_decode(const char *s, size_t n);

#endif
