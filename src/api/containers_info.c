/* /containers: what a container holds and ran (top, changes, export) and container prune; one engine operation
 * each (engine/stats.h, engine/containerdiff.h, engine/copy.h, engine/list.h), in docker's schema. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"
#include "engine/containerdiff.h"
#include "engine/copy.h"
#include "engine/list.h"
#include "engine/stats.h"

/* docker top's ps_args ("aux", "-o pid,comm"): ps's arguments, split on blanks as dockerd does. */
static char **split_blanks(const char *text)
{
        cleanup_free char *copy = xstrdup(text ? text : "");
        char **v = xzalloc(sizeof(char *));
        char *save = NULL;

        for (char *t = strtok_r(copy, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save))
                v = strv_append(v, t);
        return v;
}

/* A line of ps's output as docker's Processes row: the columns of the header, the last one (the command)
 * taking the rest of the line with its blanks. */
static json_t *ps_row(const char *line, size_t columns)
{
        json_t *row = json_array();
        const char *p = line;

        for (size_t i = 0; i < columns; i++) {
                size_t len;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (i + 1 == columns) {
                        len = strcspn(p, "\n");
                } else {
                        len = strcspn(p, " \t\n");
                }
                json_array_append_new(row, json_stringn(p, len));
                p += len;
        }
        return row;
}

enum MHD_Result api_container_top(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_strv char **args = split_blanks(api_query(req, "ps_args"));
        cleanup_strv char **lines = NULL;
        json_t *titles, *procs;
        struct engine *e;

        if (api_engine(req, &e, &err) < 0 || engine_container_top(e, req->parts[1], args, &lines, &err) < 0)
                return api_reply_error(req, &err);
        titles = json_array();
        procs = json_array();
        if (lines[0] != NULL) {
                cleanup_strv char **header = split_blanks(lines[0]);
                size_t columns = 0;
                for (char **h = header; *h; h++, columns++)
                        json_array_append_new(titles, json_stringn(*h, strcspn(*h, "\n")));
                for (char **l = lines + 1; *l; l++)
                        json_array_append_new(procs, ps_row(*l, columns));
        }
        return api_reply_json(req, 200, json_pack("{s:o,s:o}", "Titles", titles, "Processes", procs));
}

enum MHD_Result api_container_changes(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_free char *id = NULL;
        struct engine_change *list = NULL;
        struct engine *e;
        size_t n = 0;
        json_t *out;

        if (api_engine(req, &e, &err) < 0 || engine_container_resolve(e, req->parts[1], &id, &err) < 0 ||
            engine_container_changes(e, id, &list, &n, &err) < 0)
                return api_reply_error(req, &err);
        /* docker's Kind: 0 modified, 1 added, 2 deleted; null when nothing changed. */
        out = n > 0 ? json_array() : json_null();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(out, json_pack("{s:s,s:i}", "Path", list[i].path, "Kind",
                                                     list[i].kind == 'C' ? 0 : list[i].kind == 'A' ? 1 : 2));
        engine_changes_free(list, n);
        return api_reply_json(req, 200, out);
}

/* ---- export: the root filesystem as a tar stream ---- */

static void export_produce(int fd, void *data)
{
        struct api_tar_job *j = data;
        berth_error err = {0};

        /* A failure midway ends the stream early: the client sees a truncated tar, as with dockerd. */
        engine_container_export(j->e, j->id, fd, &err);
        berth_error_clear(&err);
}

enum MHD_Result api_container_export(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_free char *id = NULL;
        struct api_tar_job *j;
        struct engine *e;

        if (api_engine(req, &e, &err) < 0 || engine_container_resolve(e, req->parts[1], &id, &err) < 0)
                return api_reply_error(req, &err);
        j = api_tar_job_new(req);
        j->id = steal_pointer(&id);
        return api_reply_stream(req, "application/x-tar", export_produce, api_tar_job_done, j);
}

/* ---- prune ---- */

/* The filters a prune takes: each key must be one of known (NULL-terminated); EINVAL names another. */
int api_prune_filters(struct api_request *req, const char *const *known, char ***out, berth_error *err)
{
        int r;

        if ((r = api_query_filters(req, out, err)) < 0)
                return r;
        for (char **f = *out; f && *f; f++) {
                size_t keylen = strcspn(*f, "=");
                bool ok = false;
                for (const char *const *k = known; *k && !ok; k++)
                        ok = strlen(*k) == keylen && strncmp(*f, *k, keylen) == 0;
                if (!ok) {
                        r = berth_failf(err, EINVAL, "invalid filter '%.*s' (berth's prune takes: %s)", (int) keylen, *f,
                                        known[0] ? known[0] : "none");
                        strv_free(*out);
                        *out = NULL;
                        return r;
                }
        }
        return 0;
}

bool api_filter_bool(char *const *filters, const char *key, bool dflt)
{
        size_t keylen = strlen(key);
        bool value = dflt;

        for (char *const *f = filters; f && *f; f++) {
                const char *v = *f + keylen + 1;
                if (strncmp(*f, key, keylen) != 0 || (*f)[keylen] != '=')
                        continue;
                if (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0)
                        value = true;
                else if (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0)
                        value = false;
        }
        return value;
}

enum MHD_Result api_container_prune(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_strv char **filters = NULL;
        cleanup_strv char **ids = NULL;
        struct engine_prune_filter f = {0};
        uint64_t reclaimed = 0;
        struct engine *e;
        json_t *deleted;
        int r;

        if (api_query_filters(req, &filters, &err) < 0 || engine_prune_filter_parse(filters, true, &f, &err) < 0)
                return api_reply_error(req, &err);
        r = api_engine(req, &e, &err) < 0 ? -1 : engine_container_prune(e, &f, &ids, &reclaimed, NULL, NULL, &err);
        engine_prune_filter_clear(&f);
        if (r < 0)
                return api_reply_error(req, &err);
        deleted = ids && ids[0] ? json_array() : json_null();
        for (char **id = ids; id && *id; id++)
                json_array_append_new(deleted, json_string(*id));
        return api_reply_json(req, 200, json_pack("{s:o,s:I}", "ContainersDeleted", deleted, "SpaceReclaimed",
                                                  (json_int_t) reclaimed));
}
