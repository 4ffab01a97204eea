#include "support/stream.h"

#include "core/mem.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int pf_test_connect(const pf_test_server *srv, const char *from) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (from) {
        struct sockaddr_in src = {.sin_family = AF_INET};
        inet_pton(AF_INET, from, &src.sin_addr);
        if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
            close(fd);
            return -1;
        }
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv->port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int pf_test_stream_open(const pf_test_server *srv, const char *run_id) {
    int fd = pf_test_connect(srv, NULL);
    if (fd < 0) return -1;
    char *req = pf_asprintf("GET /api/runs/%s/events HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAuthorization: Bearer %s\r\n"
                            "Accept: text/event-stream\r\n\r\n",
                            run_id, srv->port, srv->token);
    bool sent = write(fd, req, strlen(req)) == (ssize_t)strlen(req);
    free(req);
    if (!sent) {
        close(fd);
        return -1;
    }
    return fd;
}
