/* /containers/ID/archive: docker cp's three calls. HEAD says what a path is (the X-Docker-Container-Path-Stat
 * header), GET sends it as a tar stream with the same header, PUT extracts an uploaded tar into a directory.
 * The copying and every check of a path inside the container's root are the engine's (engine/copy.h); PUT's
 * body arrives spooled to an unnamed file (http.c), so its size is bounded by the disk only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"
#include "engine/copy.h"
#include "engine/list.h"
#include "registry/authfile.h"

/* Go's os.FileMode, which docker's stat carries: permission bits, then type and special bits of its own. */
static unsigned long go_file_mode(mode_t m)
{
        unsigned long mode = m & 0777;

        if (S_ISDIR(m))
                mode |= 1UL << 31;
        else if (S_ISLNK(m))
                mode |= 1UL << 27;
        else if (S_ISBLK(m))
                mode |= 1UL << 26;
        else if (S_ISCHR(m))
                mode |= 1UL << 26 | 1UL << 21;
        else if (S_ISFIFO(m))
                mode |= 1UL << 25;
        else if (S_ISSOCK(m))
                mode |= 1UL << 24;
        if (m & S_ISUID)
                mode |= 1UL << 23;
        if (m & S_ISGID)
                mode |= 1UL << 22;
        if (m & S_ISVTX)
                mode |= 1UL << 20;
        return mode;
}

/* The header's value: the stat as JSON, base64 (docker's types.ContainerPathStat). */
static char *path_stat_header(const struct engine_path_stat *st)
{
        char mtime[64];
        cleanup_json json_t *o = NULL;
        cleanup_free char *text = NULL;

        format_rfc3339_nano(&st->mtime, mtime, sizeof(mtime));
        o = json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", st->name, "size", (json_int_t) st->size, "mode",
                      (json_int_t) go_file_mode(st->mode), "mtime", mtime, "linkTarget",
                      st->link_target ? st->link_target : "");
        text = json_dumps(o, JSON_COMPACT);
        return base64_encode(text, strlen(text));
}

/* The container and the path a request names; a reply already queued when it returns false. */
static bool archive_target(struct api_request *req, struct engine **e, char **id, const char **path,
                           enum MHD_Result *reply)
{
        cleanup_error berth_error err = {0};

        *path = api_query(req, "path");
        if (*path == NULL || **path == '\0') {
                *reply = api_reply_message(req, 400, "Path cannot be empty");
                return false;
        }
        if (api_engine(req, e, &err) < 0 || engine_container_resolve(*e, req->parts[1], id, &err) < 0) {
                *reply = api_reply_error(req, &err);
                return false;
        }
        return true;
}

/* archive_target, then the path's stat as the header: what HEAD answers and GET sends before the stream (a
 * missing path is a 404 before any of it). */
static bool archive_stat(struct api_request *req, struct engine **e, char **id, const char **path, char **header,
                         enum MHD_Result *reply)
{
        cleanup_error berth_error err = {0};
        struct engine_path_stat st = {0};

        if (!archive_target(req, e, id, path, reply))
                return false;
        if (engine_copy_stat(*e, *id, *path, &st, &err) < 0) {
                *reply = api_reply_error(req, &err);
                return false;
        }
        *header = path_stat_header(&st);
        engine_path_stat_clear(&st);
        return true;
}

enum MHD_Result api_container_archive_stat(struct api_request *req)
{
        cleanup_free char *id = NULL, *header = NULL;
        struct MHD_Response *resp;
        enum MHD_Result r;
        const char *path;
        struct engine *e;

        if (!archive_stat(req, &e, &id, &path, &header, &r))
                return r;
        resp = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
        if (resp == NULL)
                return MHD_NO;
        api_add_common_headers(resp);
        MHD_add_response_header(resp, "X-Docker-Container-Path-Stat", header);
        r = MHD_queue_response(req->conn, 200, resp);
        MHD_destroy_response(resp);
        return r;
}

static void archive_produce(int fd, void *data)
{
        struct api_tar_job *j = data;
        berth_error err = {0};

        /* A failure midway ends the stream early: the client sees a truncated tar, as with dockerd. */
        engine_copy_tar_from_container(j->e, j->id, j->path, fd, &err);
        berth_error_clear(&err);
}

enum MHD_Result api_container_archive_get(struct api_request *req)
{
        cleanup_free char *id = NULL, *header = NULL;
        struct api_tar_job *j;
        enum MHD_Result r;
        const char *path;
        struct engine *e;

        if (!archive_stat(req, &e, &id, &path, &header, &r))
                return r;
        j = api_tar_job_new(req);
        j->id = steal_pointer(&id);
        j->path = xstrdup(path);
        return api_reply_stream_header(req, "application/x-tar", "X-Docker-Container-Path-Stat", header,
                                       archive_produce, api_tar_job_done, j);
}

enum MHD_Result api_container_archive_put(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_free char *id = NULL;
        enum MHD_Result r;
        const char *path;
        struct engine *e;

        if (!archive_target(req, &e, &id, &path, &r))
                return r;
        if (lseek(req->body_fd, 0, SEEK_SET) < 0)
                return api_reply_message(req, 500, "read the request body back: %s", strerror(errno));
        /* copyUIDGID: the tar's owners (docker cp -a); otherwise the container's root owns what arrives. */
        if (engine_copy_tar_to_container(e, id, req->body_fd, path, api_query_bool(req, "copyUIDGID", false), &err) < 0)
                return api_reply_error(req, &err);
        return api_reply_empty(req, 200);
}
