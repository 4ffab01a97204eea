/* Running command lines in tests: their exit code and what they printed. */
#ifndef PF_TESTS_SHELL_H
#define PF_TESTS_SHELL_H

#include <stdbool.h>

/* Runs cmd through sh with stderr joined to stdout; returns the exit code
 * and sets *output (caller frees). */
int pf_test_sh(const char *cmd, char **output);
/* True when cmd exits with code and prints phrase; else says what it did
 * instead, on stderr. Tests wrap it in CHECK. */
bool pf_test_expect(const char *cmd, int code, const char *phrase);
/* Like pf_test_expect, but checks meaning rather than column layout: some
 * line holds the words of phrase in order, each run of spaces in phrase
 * matching any run of white space; a phrase that starts with a space
 * wants an indented line. */
bool pf_test_expect_words(const char *cmd, int code, const char *phrase);
/* Runs argv (NULL-terminated, no shell) with the project's controlled
 * child start; true when it exits 0. */
bool pf_test_run_argv(const char *const *argv);

#endif
