/* berth-procview's worker: a libfuse low-level session on /dev/fuse (custom I/O: through the shared slot),
 * serving one flat directory of files (view.h). A file's contents are made when it is opened, for the
 * cgroup of the process that opens it, and read from that copy: a reader sees one consistent file. */
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 14)
#include <fuse3/fuse_lowlevel.h>
#include <linux/fuse.h>

#include "engine/procview/procview.h"
#include "engine/procview/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"

/* The tree: the root, a directory per container (ROOT/procview/ID, any name looked up makes one), the files
 * in each. A container's files are inodes of its own: the kernel keeps one page cache per inode, which
 * sendfile(2) and splice(2) read through (busybox cat), and one inode shared by every container would let a
 * reader get the pages another container's read filled. Inode numbers are made from the name (a hash,
 * shifted left 4 bits: a directory; its low 4 bits the file's index + 1: a file), so that a restarted worker
 * answers for them without a table. */
#define ROOT_INO 1
#define INO_FILE_BITS 4
#define FILE_INO(dir, i) ((fuse_ino_t) (dir) | (fuse_ino_t) ((i) + 1))
/* Nothing here is renamed or removed: the kernel may keep names and attributes as long as it likes. */
#define TIMEOUT 86400.0

struct contents {
        char *data;
        size_t len;
};

static struct worker {
        const struct procview_options *o;
        struct procview_mounts mounts;
        struct procview_context ctx;
        /* Open files: fh = (this worker's pid << 32) | slot + 1. A worker restarted with files open gets
         * reads with another worker's fh: it makes the contents again. */
        struct contents *open;
        size_t n_open;
        uint64_t generation;
        struct fuse_session *se;
        size_t last_len[PROCVIEW_NFILES]; /* each file's length when it was last made */
        struct procview_listeners *l;
        uint32_t listeners_end; /* above the highest listener in use */
        int sock, fuse_fd;      /* sock: to the supervisor */
        bool replaying;
} w;

static int file_of(fuse_ino_t ino)
{
        unsigned low = (unsigned) (ino & ((1u << INO_FILE_BITS) - 1));

        return ino >> INO_FILE_BITS != 0 && low >= 1 && low <= PROCVIEW_NFILES ? (int) low - 1 : -1;
}

static bool is_dir(fuse_ino_t ino)
{
        return ino == ROOT_INO || (ino >> INO_FILE_BITS != 0 && (ino & ((1u << INO_FILE_BITS) - 1)) == 0);
}

/* A container's directory: FNV-1a of its name, never 0. */
static fuse_ino_t dir_ino(const char *name)
{
        uint64_t h = 1469598103934665603ULL;

        for (const char *p = name; *p; p++)
                h = (h ^ (unsigned char) *p) * 1099511628211ULL;
        h &= (~0ULL) >> (INO_FILE_BITS + 1);
        return (fuse_ino_t) ((h ? h : 1) << INO_FILE_BITS);
}

static off_t size_hint_of(fuse_ino_t ino);

static void listeners_end_update(void)
{
        w.listeners_end = PROCVIEW_MAX_LISTENERS;
        while (w.listeners_end > 0 && w.l->fd[w.listeners_end - 1] < 0)
                w.listeners_end--;
}

static void file_attr(fuse_ino_t ino, struct stat *st)
{
        memset(st, 0, sizeof(*st));
        st->st_ino = ino;
        st->st_nlink = 1;
        st->st_mode = is_dir(ino) ? S_IFDIR | 0555 : S_IFREG | 0444;
        if (!is_dir(ino))
                st->st_size = size_hint_of(ino);
        else
                st->st_nlink = 2;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        struct fuse_entry_param e = {.attr_timeout = TIMEOUT, .entry_timeout = TIMEOUT};

        if (parent == ROOT_INO) {
                e.ino = dir_ino(name);
                file_attr(e.ino, &e.attr);
                return (void) fuse_reply_entry(req, &e);
        }
        if (!is_dir(parent))
                return (void) fuse_reply_err(req, ENOTDIR);
        for (int i = 0; i < PROCVIEW_NFILES; i++)
                if (strcmp(name, procview_file_names[i]) == 0) {
                        e.ino = FILE_INO(parent, i);
                        file_attr(e.ino, &e.attr);
                        return (void) fuse_reply_entry(req, &e);
                }
        fuse_reply_err(req, ENOENT);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct stat st;

        if (!is_dir(ino) && file_of(ino) < 0)
                return (void) fuse_reply_err(req, ENOENT);
        file_attr(ino, &st);
        fuse_reply_attr(req, &st, TIMEOUT);
}

/* The file for the process pid; the kernel's file if the view cannot be made (the reader's cgroup is gone,
 * ...): a reader always gets a file. */
static int make_contents(int file, pid_t pid, struct contents *c)
{
        berth_error err = {0};

        if (procview_render(file, &w.mounts, &w.ctx, pid, &c->data, &c->len, &err) == 0)
                return 0;
        berth_error_clear(&err);
        if (read_file_at(AT_FDCWD, procview_host_files[file], &c->data, &c->len, &err) == 0)
                return 0;
        berth_error_clear(&err);
        return -EIO;
}

/* sendfile(2) and splice(2) (busybox cat) read through the page cache, bounded by the inode's size, which
 * for a file made at each open is not known beforehand (procfs, whose files say 0, has a splice of its own).
 * Before each open is answered, the size is raised (a notification storing nothing at the hint: at least twice
 * the file's last length), and stat says the same; the first short read brings it down to the file's length
 * (fuse_short_read). The notification goes through the supervisor ahead of the open's reply. */
static off_t size_hint_of(fuse_ino_t ino)
{
        int file = file_of(ino);
        off_t hint = 65536;

        while (file >= 0 && (size_t) hint < 2 * w.last_len[file])
                hint *= 2;
        return hint;
}

static void size_hint(fuse_ino_t ino)
{
        struct fuse_bufvec none = FUSE_BUFVEC_INIT(0);

        fuse_lowlevel_notify_store(w.se, ino, size_hint_of(ino), &none, 0);
}

/* Tests: hold each open and sysinfo this long, so that a test can kill the worker mid-request. */
static void test_delay(void)
{
        if (w.o->delay_ms) {
                struct timespec ts = {.tv_sec = w.o->delay_ms / 1000, .tv_nsec = (long) (w.o->delay_ms % 1000) * 1000000};
                nanosleep(&ts, NULL);
        }
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        int file = file_of(ino);
        size_t slot;

        if (file < 0)
                return (void) fuse_reply_err(req, is_dir(ino) ? EISDIR : ENOENT);
        if ((fi->flags & O_ACCMODE) != O_RDONLY)
                return (void) fuse_reply_err(req, EACCES);
        test_delay();
        for (slot = 0; slot < w.n_open && w.open[slot].data != NULL; slot++)
                ;
        if (slot == w.n_open) {
                w.open = xrealloc(w.open, (w.n_open + 1) * sizeof(*w.open));
                w.open[w.n_open++] = (struct contents){0};
        }
        if (make_contents(file, fuse_req_ctx(req)->pid, &w.open[slot]) < 0)
                return (void) fuse_reply_err(req, EIO);
        w.last_len[file] = w.open[slot].len;
        size_hint(ino);
        fi->fh = (w.generation << 32) | (slot + 1);
        /* No page cache: every open makes the file anew, as procfs does. */
        fi->direct_io = 1;
        fi->keep_cache = 0;
        fuse_reply_open(req, fi);
}

static struct contents *contents_of(uint64_t fh)
{
        size_t slot = (size_t) (fh & 0xffffffff);

        if ((fh >> 32) != w.generation || slot == 0 || slot > w.n_open || w.open[slot - 1].data == NULL)
                return NULL;
        return &w.open[slot - 1];
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
        struct contents *c = contents_of(fi->fh), fresh = {0};
        int file = file_of(ino);

        if (file < 0)
                return (void) fuse_reply_err(req, EBADF);
        /* Opened by a worker that died: the file made again (its first read is likely this one). */
        if (c == NULL) {
                if (make_contents(file, fuse_req_ctx(req)->pid, &fresh) < 0)
                        return (void) fuse_reply_err(req, EIO);
                c = &fresh;
        }
        if (off < 0 || (size_t) off >= c->len)
                fuse_reply_buf(req, NULL, 0);
        else
                fuse_reply_buf(req, c->data + off, c->len - (size_t) off < size ? c->len - (size_t) off : size);
        free(fresh.data);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct contents *c = contents_of(fi->fh);

        if (c != NULL) {
                free(c->data);
                *c = (struct contents){0};
        }
        fuse_reply_err(req, 0);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
        cleanup_free char *buf = NULL;
        size_t len = 0;
        struct stat st;

        if (!is_dir(ino))
                return (void) fuse_reply_err(req, ENOTDIR);
        buf = xmalloc(size);
        /* The root lists nothing: a container's directory is made by looking it up. */
        for (off_t i = off; i < (ino == ROOT_INO ? 2 : PROCVIEW_NFILES + 2); i++) {
                const char *name = i == 0 ? "." : i == 1 ? ".." : procview_file_names[i - 2];
                size_t n;
                file_attr(i < 2 ? ino : FILE_INO(ino, i - 2), &st);
                n = fuse_add_direntry(req, buf + len, size - len, name, &st, i + 1);
                if (n > size - len)
                        break;
                len += n;
        }
        fuse_reply_buf(req, buf, len);
}

static const struct fuse_lowlevel_ops ops = {
        .lookup = op_lookup,
        .getattr = op_getattr,
        .open = op_open,
        .read = op_read,
        .release = op_release,
        .readdir = op_readdir,
};

/* The supervisor is gone (killed): this worker forks a new one, which holds what this one holds (the
 * connection, the listening socket, every listener: the table as it is now). The old one, if it was this
 * process's child (an earlier replacement), is reaped. */
static void new_supervisor(void)
{
        berth_error err = {0};
        int sv[2];
        pid_t pid;

        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        close(w.sock);
        w.sock = -1;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                fprintf(stderr, "berth-procview: socketpair: %s\n", strerror(errno));
                return;
        }
        pid = fork();
        if (pid < 0) {
                fprintf(stderr, "berth-procview: fork a supervisor: %s\n", strerror(errno));
                close(sv[0]);
                close(sv[1]);
                return;
        }
        if (pid == 0) {
                close(sv[1]);
                prctl(PR_SET_NAME, "procview-sup", 0, 0, 0);
                if (procview_supervise(w.o, w.l, sv[0], &err) < 0) {
                        fprintf(stderr, "berth-procview: %s\n", berth_error_message(&err));
                        _exit(1);
                }
                _exit(0);
        }
        close(sv[0]);
        w.sock = sv[1];
}

/* One request from /dev/fuse (non-blocking), read straight into the shared slot and copied to libfuse's
 * buffer; the connection's INIT kept for a restarted worker. */
static ssize_t read_request(int fd, void *buf, size_t len)
{
        struct procview_shared *sh = w.o->shared;
        struct fuse_in_header *slot = (struct fuse_in_header *) sh->slot;
        ssize_t n;

        /* The previous request is over (answered, or a FORGET that has none). */
        slot->len = 0;
        n = read(fd, sh->slot, sizeof(sh->slot) < len ? sizeof(sh->slot) : len);
        if (n <= 0)
                return n;
        if (slot->opcode == FUSE_INIT && (size_t) n <= sizeof(sh->init)) {
                memcpy(sh->init, sh->slot, (size_t) n);
                sh->init_len = (uint32_t) n;
        }
        memcpy(buf, sh->slot, (size_t) n);
        return n;
}

/* Requests read one after another without a poll in between, at most this many: then the listeners, the
 * listening socket and the supervisor are looked at. */
#define STREAK 16

/* libfuse's I/O (custom): requests from /dev/fuse (read_request); when there is none, or after STREAK of
 * them, one poll also for listeners to accept, sysinfo calls to answer (notify.c) and a supervisor that died
 * to replace. */
static ssize_t fuse_read(int fd, void *buf, size_t len, void *userdata)
{
        static struct pollfd p[3 + PROCVIEW_MAX_LISTENERS];
        static uint32_t index[PROCVIEW_MAX_LISTENERS];
        static unsigned streak;

        for (;;) {
                size_t np = 3;
                ssize_t n;
                if (streak < STREAK) {
                        streak++;
                        n = read_request(fd, buf, len);
                        if (n > 0)
                                return n;
                        if (n == 0 || (errno != EAGAIN && errno != EINTR && errno != ENOENT))
                                return n; /* ENODEV: unmounted; libfuse ends the loop */
                }
                streak = 0;
                p[0] = (struct pollfd){.fd = fd, .events = POLLIN};
                p[1] = (struct pollfd){.fd = w.sock, .events = POLLIN};
                p[2] = (struct pollfd){.fd = w.o->seccomp_fd, .events = POLLIN};
                for (uint32_t i = 0; i < w.listeners_end; i++)
                        if (w.l->fd[i] >= 0) {
                                index[np - 3] = i;
                                p[np++] = (struct pollfd){.fd = w.l->fd[i], .events = POLLIN};
                        }
                if (poll(p, np, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                /* The supervisor sends nothing: readable or hung up, it is gone. */
                if (p[1].revents || w.sock < 0)
                        new_supervisor();
                if (p[2].revents & POLLIN) {
                        procview_notify_accept(w.o, w.l, w.sock);
                        listeners_end_update();
                }
                for (size_t k = 3; k < np; k++)
                        if (p[k].revents)
                                procview_notify_handle(w.o, w.l, index[k - 3], p[k].revents, w.sock, &w.mounts, &w.ctx);
        }
}

static ssize_t fuse_writev(int fd, struct iovec *iov, int count, void *userdata)
{
        const struct fuse_out_header *h = iov[0].iov_base;
        struct fuse_in_header *slot = (struct fuse_in_header *) w.o->shared->slot;
        ssize_t n, total = 0;

        for (int i = 0; i < count; i++)
                total += (ssize_t) iov[i].iov_len;
        /* The INIT replayed to a restarted worker's session: the kernel has had its reply. */
        if (w.replaying)
                return total;
        n = writev(fd, iov, count);
        if (h->unique != 0 && h->unique == slot->unique)
                slot->len = 0;
        return n;
}

/* A worker started after another died: its session gets the connection's INIT, then the request the other
 * left unanswered is answered (answered EIO if it has now killed three workers). */
static void resume(struct fuse_session *se)
{
        struct procview_shared *sh = w.o->shared;
        struct fuse_in_header *slot = (struct fuse_in_header *) sh->slot;
        cleanup_free char *copy = NULL;
        struct fuse_buf b = {0};

        if (sh->init_len == 0)
                return;
        w.replaying = true;
        b.mem = sh->init;
        b.size = sh->init_len;
        fuse_session_process_buf(se, &b);
        w.replaying = false;
        if (slot->len == 0 || slot->len > sizeof(sh->slot) || slot->opcode == FUSE_INIT)
                return;
        if (sh->tries_unique != slot->unique) {
                sh->tries_unique = slot->unique;
                sh->tries = 0;
        }
        if (++sh->tries > 3) {
                struct fuse_out_header h = {.len = sizeof(h), .error = -EIO, .unique = slot->unique};
                if (write(w.fuse_fd, &h, sizeof(h)) < 0 && errno != ENOENT)
                        fprintf(stderr, "berth-procview: answer EIO: %s\n", strerror(errno));
                slot->len = 0;
                return;
        }
        copy = xmalloc(slot->len);
        memcpy(copy, sh->slot, slot->len);
        b.mem = copy;
        b.size = slot->len;
        fuse_session_process_buf(se, &b);
}

int procview_worker_main(const struct procview_options *o, struct procview_listeners *l, int sock)
{
        static const struct fuse_custom_io io = {.read = fuse_read, .writev = fuse_writev};
        char *argv[] = {"berth-procview", NULL};
        struct fuse_args args = FUSE_ARGS_INIT(1, argv);
        struct fuse_session *se;
        berth_error err = {0};
        int r;

        w.o = o;
        w.l = l;
        /* A worker forked by a supervisor that a worker forked has that worker's open files in its copy of
         * this memory: not this worker's. */
        w.open = NULL;
        w.n_open = 0;
        w.generation = (uint64_t) getpid();
        listeners_end_update();
        if (procview_mounts_read(&w.mounts, &err) < 0) {
                fprintf(stderr, "berth-procview: %s\n", berth_error_message(&err));
                berth_error_clear(&err);
        }
        se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
        if (se == NULL)
                return -ENOMEM;
        w.se = se;
        w.sock = sock;
        w.fuse_fd = o->fuse_fd;
        if (fuse_session_custom_io(se, &io, o->fuse_fd) < 0) {
                fuse_session_destroy(se);
                return -EINVAL;
        }
        /* Non-blocking reads (fuse_read); the supervisor, which shares this open file description, never
         * reads it. */
        if (fcntl(o->fuse_fd, F_SETFL, fcntl(o->fuse_fd, F_GETFL) | O_NONBLOCK) < 0)
                fprintf(stderr, "berth-procview: O_NONBLOCK on /dev/fuse: %s\n", strerror(errno));
        resume(se);
        procview_notify_resume(o, l, &w.mounts, &w.ctx);
        r = fuse_session_loop(se);
        fuse_session_destroy(se);
        if (r >= 0) {
                /* The connection ended (unmounted): the supervisor ends too. */
                struct procview_msg bye = {.op = PROCVIEW_MSG_BYE};
                send(w.sock, &bye, sizeof(bye), MSG_NOSIGNAL);
        }
        return r < 0 ? r : 0;
}
