/* The attach protocol between a container's monitor (berth-monitor) and berth clients (run, start -a,
 * attach). One SOCK_SEQPACKET connection per client, on ROOT/containers/ID/attach.sock or a socketpair the
 * client made before the monitor existed (run, start -a: nothing the container writes is missed). Every
 * message is one packet: a type byte, then the payload. Shared by the monitor and the engine. */
#pragma once

#include <stdint.h>

#define MONITOR_ATTACH_SOCKET "attach.sock"
#define MONITOR_EXIT_FILE "exit"
#define MONITOR_PACKET_MAX 16384 /* payload bytes of one data packet */

/* client -> monitor */
enum {
        ATTACH_HELLO = 'H',  /* payload: 1 byte of ATTACH_WANT_* flags; first packet of every client */
        ATTACH_STDIN = 'I',  /* bytes for the container's stdin (or the pty) */
        ATTACH_CLOSE_STDIN = 'C',
        ATTACH_RESIZE = 'W', /* payload: rows, cols as two little-endian uint16 */
        ATTACH_SIGNAL = 'K', /* payload: 1 byte, a signal number for the container's init (--sig-proxy) */
};

/* monitor -> client */
enum {
        ATTACH_STDOUT = 'O',
        ATTACH_STDERR = 'E',
        ATTACH_EXIT = 'X', /* payload: the exit code in decimal; the last packet */
};

enum {
        ATTACH_WANT_STDIN = 1,
        ATTACH_WANT_STDOUT = 2,
        ATTACH_WANT_STDERR = 4,
        /* The client removes or cleans up the container itself after the exit (foreground run): the monitor
         * exits instead of running the exit command, unless this client is gone by then. */
        ATTACH_CLIENT_CLEANS_UP = 8,
        /* Closing stdin ends the container's stdin (docker's StdinOnce, run -i). */
        ATTACH_STDIN_ONCE = 16,
};
