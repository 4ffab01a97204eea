/* A worker's way to the server's content-addressed artifact store: inputs
 * fetched by digest and checked on arrival, outputs uploaded under their
 * digest (the server checks them too), with the worker's token. */
#ifndef PF_TRANSPORT_ARTIFACT_CLIENT_H
#define PF_TRANSPORT_ARTIFACT_CLIENT_H

#include "core/error.h"

typedef struct pf_artifact_remote {
    const char *server; /* "http://host:port": the API, or a load balancer in front of several */
    const char *token;  /* a token with the worker role */
} pf_artifact_remote;

/* Writes the file with digest to path (through a temporary file beside
 * it, renamed once its digest checks out). */
pf_error *pf_artifact_fetch(const pf_artifact_remote *r, const char *digest, const char *path);
/* Uploads the file at path, whose digest is digest. */
pf_error *pf_artifact_upload(const pf_artifact_remote *r, const char *path, const char *digest);

#endif
