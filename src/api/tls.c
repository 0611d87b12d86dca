/* The API over tcp:// (docs/api.md): only with TLS and client certificates, as dockerd's --tlsverify. The
 * files are read once at start; libmicrohttpd (GnuTLS) does the TLS with them, asks every client for a
 * certificate and holds the CA as its trust list; each request is served only when the client's certificate
 * verifies against it (api_tls_client_verified, called before anything of the request is read). */
#include "api/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"

int api_tls_load(const char *ca, const char *cert, const char *key, struct api_tls *out, berth_error *err)
{
        const char *paths[3] = {ca, cert, key};
        char **texts[3] = {&out->ca, &out->cert, &out->key};
        const char *names[3] = {"--tlscacert", "--tlscert", "--tlskey"};

        *out = (struct api_tls){0};
        for (size_t i = 0; i < 3; i++) {
                int r;
                if (paths[i] == NULL || *paths[i] == '\0') {
                        api_tls_clear(out);
                        return berth_failf(err, EINVAL, "tcp:// needs --tlsverify with --tlscacert, --tlscert and --tlskey "
                                                        "(%s is missing)", names[i]);
                }
                if ((r = read_file_at(AT_FDCWD, paths[i], texts[i], NULL, err)) < 0) {
                        api_tls_clear(out);
                        return berth_error_prefix(err, "%s: ", names[i]);
                }
        }
        return 0;
}

void api_tls_clear(struct api_tls *t)
{
        if (t->key != NULL)
                explicit_bzero(t->key, strlen(t->key));
        free(t->ca);
        free(t->cert);
        free(t->key);
        *t = (struct api_tls){0};
}

int api_listen_tcp(const char *hostport, int *out, berth_error *err)
{
        cleanup_free char *host = xstrdup(hostport);
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
        struct addrinfo *res = NULL;
        char *port = strrchr(host, ':');
        int s = -1, one = 1, r;

        if (port == NULL || port[1] == '\0')
                return berth_failf(err, EINVAL, "tcp://%s: give HOST:PORT", hostport);
        *port++ = '\0';
        /* [::1]:2376 */
        if (host[0] == '[' && host[strlen(host) - 1] == ']') {
                memmove(host, host + 1, strlen(host));
                host[strlen(host) - 1] = '\0';
        }
        if ((r = getaddrinfo(*host ? host : NULL, port, &hints, &res)) != 0)
                return berth_failf(err, EINVAL, "tcp://%s: %s", hostport, gai_strerror(r));
        s = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) {
                freeaddrinfo(res);
                return berth_fail(err, errno, "socket");
        }
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(s, res->ai_addr, res->ai_addrlen) < 0 || listen(s, 128) < 0) {
                int e = errno;
                freeaddrinfo(res);
                close(s);
                return berth_fail(err, e, "listen on tcp://%s", hostport);
        }
        freeaddrinfo(res);
        *out = s;
        return 0;
}

bool api_tls_client_verified(struct MHD_Connection *conn)
{
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        gnutls_session_t session;
        unsigned status = 0, n = 0;

        if (info == NULL || info->tls_session == NULL)
                return false;
        session = (gnutls_session_t) info->tls_session;
        /* A certificate was sent, and it verifies against the CA (libmicrohttpd's trust list: --tlscacert). */
        if (gnutls_certificate_get_peers(session, &n) == NULL || n == 0)
                return false;
        return gnutls_certificate_verify_peers2(session, &status) == GNUTLS_E_SUCCESS && status == 0;
}
