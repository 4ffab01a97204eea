/* STEP (ISO 10303-21) string contents to UTF-8. */
#ifndef PF_CAD_STEP_TEXT_H
#define PF_CAD_STEP_TEXT_H

#include <stddef.h>

/* Decodes a string's content (between the quotes, with '' already made ')
 * into valid UTF-8, owned by the caller: \X\hh (ISO 8859-1), \X2\…\X0\
 * (UTF-16), \X4\…\X0\ (UCS-4), \S\c (c + 128) and \\. \P…\ code page
 * switches are dropped. Stray bytes above 0x7F that are not UTF-8 are read as
 * ISO 8859-1, and anything undecodable becomes U+FFFD, so names from any
 * file can go into JSON. */
char *pf_step_text_utf8(const char *p, size_t n);
/* The same into out, which holds at least 2 * n + 1 bytes; returns the
 * length written before the terminating NUL. */
size_t pf_step_text_utf8_to(const char *p, size_t n, char *out);

#endif
