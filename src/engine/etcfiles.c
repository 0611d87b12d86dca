/* The three files docker manages for a container (moby libnetwork/etchosts, resolvconf): written in the
 * container's directory and bind-mounted over /etc/hostname, /etc/hosts and /etc/resolv.conf. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "engine/create.h"
#include "lib/util.h"

static const char HOSTS_DEFAULT[] = "127.0.0.1\tlocalhost\n"
                                    "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                    "fe00::0\tip6-localnet\n"
                                    "ff00::0\tip6-mcastprefix\n"
                                    "ff02::1\tip6-allnodes\n"
                                    "ff02::2\tip6-allrouters\n";

static void append(char **buf, size_t *len, const char *s)
{
        size_t n = strlen(s);

        *buf = xrealloc(*buf, *len + n + 1);
        memcpy(*buf + *len, s, n + 1);
        *len += n;
}

static bool is_network_host(const json_t *hc)
{
        const char *mode = json_string_value(json_object_get(hc, "NetworkMode"));
        return mode != NULL && strcmp(mode, "host") == 0;
}

/* docker's hosts file: the defaults (or the host's own), --add-host's entries (host-gateway: the bridge's
 * gateway), then the container's own address and hostname when it has one (libnetwork's sandbox appends it). */
static char *hosts_file(const json_t *config, const json_t *hc, const char *ip, const char *gateway, const char *peers)
{
        char *buf = NULL;
        size_t len = 0, i;
        json_t *v;

        if (is_network_host(hc)) {
                /* The host's network: its own /etc/hosts, as docker copies it. */
                if (read_file_at(AT_FDCWD, "/etc/hosts", &buf, &len, NULL) < 0) {
                        buf = NULL;
                        len = 0;
                        append(&buf, &len, HOSTS_DEFAULT);
                }
        } else {
                append(&buf, &len, HOSTS_DEFAULT);
        }
        /* --add-host NAME:IP */
        json_array_foreach(json_object_get(hc, "ExtraHosts"), i, v) {
                const char *s = json_string_value(v);
                const char *colon = s ? strchr(s, ':') : NULL;
                if (colon == NULL)
                        continue;
                const char *addr = colon + 1;
                if (strcmp(addr, "host-gateway") == 0)
                        addr = gateway ? gateway : "";
                if (*addr == '\0')
                        continue;
                cleanup_free char *line = xasprintf("%s\t%.*s\n", addr, (int) (colon - s), s);
                append(&buf, &len, line);
        }
        if (ip != NULL) {
                const char *name = json_string_value(json_object_get(config, "Hostname"));
                cleanup_free char *line = xasprintf("%s\t%s\n", ip, name ? name : "");
                append(&buf, &len, line);
        }
        if (peers != NULL)
                append(&buf, &len, peers);
        return buf;
}

/* docker's resolv.conf (libnetwork sandbox_dns): the host's, without the loopback nameservers (a stub
 * resolver on 127.0.0.53 or ::1 is unreachable from another network namespace), Google's public resolvers
 * when none is left. With --dns, --dns-search or --dns-option, docker's Build form: "search" (the given
 * domains, or the host's), the nameservers (given, or the host's), "options" (given, or the host's). */
static bool loopback_nameserver(const char *addr)
{
        return str_has_prefix(addr, "127.") || strcmp(addr, "::1") == 0;
}

static void join_words(char **buf, size_t *len, const char *key, const json_t *given, char *const *host)
{
        const json_t *v;
        size_t i, n = 0;

        if (json_array_size(given) > 0) {
                append(buf, len, key);
                json_array_foreach(given, i, v) {
                        append(buf, len, " ");
                        append(buf, len, json_string_value(v) ?: "");
                }
                append(buf, len, "\n");
                return;
        }
        for (; host && host[n]; n++) {
                append(buf, len, n ? " " : key);
                if (n == 0)
                        append(buf, len, " ");
                append(buf, len, host[n]);
        }
        if (n > 0)
                append(buf, len, "\n");
}

static char *resolv_conf(const json_t *hc)
{
        cleanup_free char *host = NULL;
        cleanup_strv char **servers = NULL, **search = NULL, **options = NULL;
        const json_t *dns = json_object_get(hc, "Dns"), *dsearch = json_object_get(hc, "DnsSearch");
        const json_t *dopts = json_object_get(hc, "DnsOptions"), *v;
        bool host_net = is_network_host(hc), custom = json_array_size(dns) + json_array_size(dsearch) + json_array_size(dopts) > 0;
        char *buf = NULL, *save = NULL;
        size_t len = 0, i;

        append(&buf, &len, "");
        if (read_file_at(AT_FDCWD, "/etc/resolv.conf", &host, NULL, NULL) < 0)
                host = xstrdup("");
        for (char *line = strtok_r(host, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *word = line + strspn(line, " \t"), *rest = word + strcspn(word, " \t"), *w, *s2 = NULL;
                bool is_ns = str_has_prefix(word, "nameserver") && (word[10] == ' ' || word[10] == '\t');
                if (is_ns) {
                        const char *addr = rest + strspn(rest, " \t");
                        cleanup_free char *a = xstrndup(addr, strcspn(addr, " \t#;"));
                        if (!host_net && loopback_nameserver(a))
                                continue;
                        servers = strv_append(servers, a);
                } else if (str_has_prefix(word, "search") || str_has_prefix(word, "domain")) {
                        strv_free(search);
                        search = NULL;
                        for (w = strtok_r(rest, " \t", &s2); w; w = strtok_r(NULL, " \t", &s2))
                                search = strv_append(search, w);
                        if (!custom) {
                                append(&buf, &len, line);
                                append(&buf, &len, "\n");
                        }
                        continue;
                } else if (str_has_prefix(word, "options")) {
                        for (w = strtok_r(rest, " \t", &s2); w; w = strtok_r(NULL, " \t", &s2))
                                options = strv_append(options, w);
                }
                if (!custom) {
                        append(&buf, &len, line);
                        append(&buf, &len, "\n");
                }
        }
        if (!custom) {
                if (servers == NULL)
                        append(&buf, &len, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
                return buf;
        }
        join_words(&buf, &len, "search", dsearch, search);
        if (json_array_size(dns) > 0) {
                json_array_foreach(dns, i, v) {
                        cleanup_free char *line = xasprintf("nameserver %s\n", json_string_value(v) ?: "");
                        append(&buf, &len, line);
                }
        } else if (servers != NULL) {
                for (i = 0; servers[i]; i++) {
                        cleanup_free char *line = xasprintf("nameserver %s\n", servers[i]);
                        append(&buf, &len, line);
                }
        } else {
                append(&buf, &len, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
        }
        join_words(&buf, &len, "options", dopts, options);
        return buf;
}

int engine_write_etc_files(int dirfd, const json_t *config, const json_t *hc, berth_error *err)
{
        const char *name = json_string_value(json_object_get(config, "Hostname"));
        cleanup_free char *hostname = xasprintf("%s\n", name ? name : "");
        cleanup_free char *hosts = hosts_file(config, hc, NULL, NULL, NULL), *resolv = resolv_conf(hc);
        int r;

        if ((r = write_file_atomic_at(dirfd, "hostname", hostname, strlen(hostname), 0644, false, err)) < 0 ||
            (r = write_file_atomic_at(dirfd, "hosts", hosts, strlen(hosts), 0644, false, err)) < 0 ||
            (r = write_file_atomic_at(dirfd, "resolv.conf", resolv, strlen(resolv), 0644, false, err)) < 0)
                return r;
        return 0;
}

int engine_write_hosts(int dirfd, const json_t *config, const json_t *hc, const char *ip, const char *gateway,
                       berth_error *err)
{
        cleanup_free char *hosts = hosts_file(config, hc, ip, gateway, NULL);

        return write_file_atomic_at(dirfd, "hosts", hosts, strlen(hosts), 0644, false, err);
}

char *engine_hosts_content(const json_t *config, const json_t *hc, const char *ip, const char *gateway, const char *peers)
{
        return hosts_file(config, hc, ip, gateway, peers);
}
