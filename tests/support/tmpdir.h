/* A fresh directory under the build tree's test-tmp/; caller frees the path. */
#ifndef PF_TESTS_TMPDIR_H
#define PF_TESTS_TMPDIR_H
char *pf_test_tmpdir(const char *name);
#endif
