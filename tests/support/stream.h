/* Raw connections to a test server, for what libcurl hides: connections
 * held open by the hundred, from a chosen source address, and event
 * streams read a byte at a time. */
#ifndef PF_TESTS_STREAM_H
#define PF_TESTS_STREAM_H

#include "support/server.h"

/* A TCP connection to srv from source address from (NULL: any loopback);
 * -1 when it is refused. */
int pf_test_connect(const pf_test_server *srv, const char *from);
/* A run's event stream as a socket, its request sent with the server's
 * token and nothing read yet; -1 when the connection failed. */
int pf_test_stream_open(const pf_test_server *srv, const char *run_id);

#endif
