#include "core/sha256.h"

#include "core/hex.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pf_sha256_init(pf_sha256_ctx *ctx) {
    ctx->md = EVP_MD_CTX_new();
    if (!ctx->md || !EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL)) abort();
}

void pf_sha256_update(pf_sha256_ctx *ctx, const void *data, size_t n) { EVP_DigestUpdate(ctx->md, data, n); }

void pf_sha256_final_hex(pf_sha256_ctx *ctx, char out[65]) {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(ctx->md, d, &n);
    EVP_MD_CTX_free(ctx->md);
    ctx->md = NULL;
    pf_hex_encode(d, n, out);
}

void pf_sha256_hex(const void *data, size_t n, char out[65]) {
    pf_sha256_ctx ctx;
    pf_sha256_init(&ctx);
    pf_sha256_update(&ctx, data, n);
    pf_sha256_final_hex(&ctx, out);
}

struct pf_sha256_hasher {
    EVP_MD *md;
    EVP_MD_CTX *ctx;
};

pf_sha256_hasher *pf_sha256_hasher_new(void) {
    pf_sha256_hasher *h = calloc(1, sizeof *h);
    if (!h || !(h->md = EVP_MD_fetch(NULL, "SHA256", NULL)) || !(h->ctx = EVP_MD_CTX_new())) abort();
    return h;
}

void pf_sha256_hasher_free(pf_sha256_hasher *h) {
    if (!h) return;
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_free(h->md);
    free(h);
}

void pf_sha256_hasher_hex(pf_sha256_hasher *h, const void *data, size_t n, char out[65]) {
    if (!h) {
        pf_sha256_hex(data, n, out);
        return;
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!EVP_DigestInit_ex2(h->ctx, h->md, NULL) || !EVP_DigestUpdate(h->ctx, data, n) ||
        !EVP_DigestFinal_ex(h->ctx, d, &len))
        abort();
    pf_hex_encode(d, len, out);
}

pf_error *pf_sha256_file(const char *path, char out[65], uint64_t *size_out) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return pf_error_new(errno == ENOENT ? PF_ENOTFOUND : PF_EIO, "", "cannot read %s: %s", path, strerror(errno));
    pf_sha256_ctx ctx;
    pf_sha256_init(&ctx);
    unsigned char buf[1 << 16];
    size_t n;
    uint64_t total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        pf_sha256_update(&ctx, buf, n);
        total += n;
    }
    int failed = ferror(f);
    fclose(f);
    pf_sha256_final_hex(&ctx, out);
    if (failed) return pf_error_new(PF_EIO, "", "error while reading %s", path);
    if (size_out) *size_out = total;
    return NULL;
}

void pf_hmac_sha256_hex(const char *key, const void *data, size_t n, char out[65]) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key), data, n, mac, &len);
    pf_hex_encode(mac, len, out);
}

bool pf_sha256_is_hex(const char *s) {
    if (!s || strlen(s) != 64) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    return true;
}
