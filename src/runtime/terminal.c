#include "runtime/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "runtime/mounts.h"
#include "lib/path.h"
#include "runtime/sync.h"
#include "lib/util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int terminal_connect_console_socket(const char *path, int *fd_out, berth_error *err)
{
        cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};

        if (fd < 0)
                return berth_fail(err, errno, "console socket: socket");
        if (strlen(path) >= sizeof(addr.sun_path))
                return berth_failf(err, ENAMETOOLONG, "console socket %s: path too long", path);
        strcpy(addr.sun_path, path);
        if (connect(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0)
                return berth_fail(err, errno, "connect to console socket %s", path);
        *fd_out = steal_fd(&fd);
        return 0;
}

int terminal_open_channel(const char *console_socket, bool want_master, const char *missing_hint, int *child_fd,
                          int *our_fd, berth_error *err)
{
        int pair[2];

        if (console_socket != NULL)
                return terminal_connect_console_socket(console_socket, child_fd, err);
        if (!want_master)
                return berth_failf(err, EINVAL, "%s", missing_hint);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
                return berth_fail(err, errno, "socketpair for the terminal");
        *our_fd = pair[0];
        *child_fd = pair[1];
        return 0;
}

int terminal_set_size(int fd, unsigned rows, unsigned cols, berth_error *err)
{
        struct winsize ws = {.ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols};

        if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
                return berth_fail(err, errno, "set terminal size %ux%u", rows, cols);
        return 0;
}

static int bind_console(int slave, berth_error *err)
{
        cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        cleanup_close int target = -1;

        if (root < 0)
                return berth_fail(err, errno, "open / in the container");
        /* Inside the root: an image whose /dev/console is a symlink cannot send the mount elsewhere
         * (CVE-2025-52565 class). */
        target = path_ensure_in_root(root, "/dev/console", false, 0600, err);
        if (target < 0)
                return target;
        return mount_bind_fd(slave, target, false, "/dev/console", err);
}

int terminal_open_pty(const struct spec_process *p, bool bind_console_too, int *master_out, int *slave_out,
                      berth_error *err)
{
        cleanup_close int master = -1, slave = -1;
        int unlock = 0;

        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return berth_fail(err, errno, "process.terminal: open /dev/ptmx in the container");
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return berth_fail(err, errno, "process.terminal: unlock pty");
        /* TIOCGPTPEER opens the slave through the master: no lookup of /dev/pts/N that a container could
         * have replaced. */
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return berth_fail(err, errno, "process.terminal: open the pty's slave");
        if (p->has_console_size && terminal_set_size(master, p->console_height, p->console_width, err) < 0)
                return -err->code;
        if (bind_console_too && bind_console(slave, err) < 0)
                return berth_error_prefix(err, "process.terminal: ");
        *master_out = steal_fd(&master);
        *slave_out = steal_fd(&slave);
        return 0;
}

int terminal_send_master(int socket_fd, int master, int slave, berth_error *err)
{
        int number = 0;
        char name[64] = "/dev/ptmx";

        if (ioctl(master, TIOCGPTN, &number) == 0)
                snprintf(name, sizeof(name), "/dev/pts/%d", number);
        (void) slave;
        if (fd_send(socket_fd, master, name, strlen(name), err) < 0)
                return berth_error_prefix(err, "console socket: ");
        return 0;
}

int terminal_make_controlling(int slave, berth_error *err)
{
        for (int fd = 0; fd < 3; fd++)
                if (dup2(slave, fd) < 0)
                        return berth_fail(err, errno, "process.terminal: dup2 pty to fd %d", fd);
        if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0)
                return berth_fail(err, errno, "process.terminal: make the pty the controlling terminal");
        return 0;
}
