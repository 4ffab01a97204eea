/* SHA-256 and HMAC-SHA256 through OpenSSL, as lowercase hex. */
#ifndef PF_CORE_SHA256_H
#define PF_CORE_SHA256_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pf_sha256_ctx {
    void *md; /* EVP_MD_CTX, owned */
} pf_sha256_ctx;

void pf_sha256_hex(const void *data, size_t n, char out[65]);
void pf_sha256_init(pf_sha256_ctx *ctx);
void pf_sha256_update(pf_sha256_ctx *ctx, const void *data, size_t n);
/* Writes the digest and releases the context. */
void pf_sha256_final_hex(pf_sha256_ctx *ctx, char out[65]);
/* A hasher for many small inputs, one thread at a time: the digest is
 * fetched and the context allocated once, which cost more than hashing a
 * few hundred bytes. The runtime's workers each own one. */
typedef struct pf_sha256_hasher pf_sha256_hasher;
pf_sha256_hasher *pf_sha256_hasher_new(void);
void pf_sha256_hasher_free(pf_sha256_hasher *h);
/* As pf_sha256_hex; h may be NULL (then it is pf_sha256_hex). */
void pf_sha256_hasher_hex(pf_sha256_hasher *h, const void *data, size_t n, char out[65]);
/* Hashes a file; NULL on success, else an error naming the file. */
pf_error *pf_sha256_file(const char *path, char out[65], uint64_t *size_out);
/* s is a digest as these functions write it: 64 lowercase hex digits
 * (safe as a file name). */
bool pf_sha256_is_hex(const char *s);
/* HMAC-SHA256 of data[0..n) under key (a text secret), as 64 hex digits. */
void pf_hmac_sha256_hex(const char *key, const void *data, size_t n, char out[65]);

#endif
