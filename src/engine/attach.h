/* The client side of the monitor's attach protocol (monitor/protocol.h): run in the foreground, start -a,
 * attach. Copies the container's output to our stdout/stderr, our stdin to the container, window sizes,
 * and (--sig-proxy) the signals we get; ctrl-p ctrl-q detaches. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"

struct engine_attach {
        int fd;          /* connected to the monitor */
        unsigned flags;  /* ATTACH_WANT_* and friends, sent in the hello */
        bool tty;        /* the container has a terminal: raw mode and window sizes */
        bool sig_proxy;  /* forward SIGINT, SIGTERM, ... to the container's init */
        bool detach_keys; /* the detach sequence detaches (else all input goes to the container) */
        bool hello_sent;  /* engine_attach_hello() was called before the monitor started */
        unsigned char keys[16]; /* the detach sequence (engine_detach_keys_parse); none: ctrl-p ctrl-q */
        size_t n_keys;
};

/* docker's --detach-keys: "ctrl-p,ctrl-q", "ctrl-@" ... "ctrl-_" (codes 0-31) and single characters, comma
 * separated. NULL or "": docker's default, ctrl-p ctrl-q. Refused with docker's message otherwise. */
int engine_detach_keys_parse(const char *spec, struct engine_attach *a, berth_error *err);

/* A client attached from the container's first byte (run, start -a): a socketpair made before the monitor
 * exists. a->fd becomes our end, with the hello already in it (the first thing the monitor reads, before
 * any output it has to route); *monitor_end goes to engine_start_options.attach_fd. */
int engine_attach_pair(struct engine_attach *a, int *monitor_end, berth_error *err);

/* Connects to ROOT/containers/ID/attach.sock. */
int engine_attach_connect(struct engine *e, const char *id, int *fd, berth_error *err);

/* docker's container resize (the API's POST /containers/ID/resize): the window size of a running container's
 * terminal, sent to its monitor as an attached client's would be. EBUSY when it is not running; a container
 * without a terminal has no window: nothing to change, as with dockerd. */
int engine_container_resize(struct engine *e, const char *ref, unsigned rows, unsigned cols, berth_error *err);

/* Blocks signals the session forwards (call before the container starts, so none is lost). */
void engine_attach_block_signals(void);

/* Runs the session until the container exits (*exit_code), the user detaches (*detached) or the
 * connection is lost (error). */
int engine_attach_run(const struct engine_attach *a, int *exit_code, bool *detached, berth_error *err);

/* A client of the API (a hijacked connection) instead of our stdio: the container's output goes to
 * output(stream, bytes, len, data) (stream 1: stdout, 2: stderr; a negative return ends the session), what
 * in_fd reads goes to its stdin (in_fd -1: none; its end of file closes the container's stdin, docker's
 * half-close). Returns at the container's exit (*exit_code), when the monitor or the client (in_fd hung up)
 * goes away, or when output fails. No signals, no terminal modes. */
typedef int (*engine_attach_output)(int stream, const char *bytes, size_t len, void *data);
int engine_attach_relay(const struct engine_attach *a, int in_fd, const char *first_in, size_t first_in_len,
                        engine_attach_output output, void *data, int *exit_code, berth_error *err);
