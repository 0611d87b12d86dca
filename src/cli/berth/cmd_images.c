/* berth images [OPTIONS] [REPOSITORY[:TAG]]: docker's columns, --format, --filter. */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "build/cache.h"
#include "lib/cleanup.h"
#include "cli/berth/cli.h"
#include "image/commit.h"
#include "cli/berth/format.h"
#include "image/imagedb.h"
#include "lib/json.h"
#include "image/reference.h"
#include "lib/util.h"

struct images_opts {
        bool all, quiet, digests, no_trunc;
        struct output_format format;
        char **filters;
        const char *match; /* REPOSITORY[:TAG] argument */
};

struct filter_ctx {
        int dangling; /* -1 any, 0 false, 1 true */
        char **references;
        char **labels;
        int64_t before, since; /* created times of the named images, -1 unset */
};

static int parse_filters(struct image_store *s, char **filters, struct filter_ctx *f, berth_error *err)
{
        f->dangling = -1;
        f->before = f->since = -1;
        f->references = xzalloc(sizeof(char *));
        f->labels = xzalloc(sizeof(char *));
        for (char **p = filters; p && *p; p++) {
                const char *eq = strchr(*p, '=');
                cleanup_free char *key = NULL;
                const char *value;

                if (eq == NULL)
                        return berth_failf(err, EINVAL, "bad format of filter (expected name=value)");
                key = xstrndup(*p, (size_t) (eq - *p));
                value = eq + 1;
                if (strcmp(key, "dangling") == 0) {
                        if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
                                f->dangling = 1;
                        else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
                                f->dangling = 0;
                        else
                                return berth_failf(err, EINVAL, "invalid filter 'dangling=%s'", value);
                } else if (strcmp(key, "reference") == 0) {
                        f->references = strv_append(f->references, value);
                } else if (strcmp(key, "label") == 0) {
                        f->labels = strv_append(f->labels, value);
                } else if (strcmp(key, "before") == 0 || strcmp(key, "since") == 0) {
                        cleanup_free char *id = NULL;
                        cleanup_image_record struct image_record rec = {0};
                        int r;
                        if ((r = imagedb_resolve(s, value, &id, NULL, err)) < 0 || (r = imagedb_get(s, id, &rec, err)) < 0)
                                return r;
                        int64_t t = time_parse_rfc3339(rec.created);
                        if (key[0] == 'b')
                                f->before = t;
                        else
                                f->since = t;
                } else {
                        return berth_failf(err, EINVAL, "invalid filter '%s'", key);
                }
        }
        return 0;
}

static void filter_clear(struct filter_ctx *f)
{
        strv_free(f->references);
        strv_free(f->labels);
}

static bool labels_match(struct image_store *s, const struct image_record *rec, char **labels)
{
        cleanup_config struct image_config cfg = {0};
        berth_error e = {0};
        json_t *l;

        if (labels[0] == NULL)
                return true;
        if (image_config_read(s, rec->id, &cfg, &e) < 0) {
                berth_error_clear(&e);
                return false;
        }
        l = json_object_get(json_object_get(cfg.json, "config"), "Labels");
        for (char **p = labels; *p; p++) {
                const char *eq = strchr(*p, '=');
                cleanup_free char *k = eq ? xstrndup(*p, (size_t) (eq - *p)) : xstrdup(*p);
                json_t *v = json_object_get(l, k);
                if (v == NULL || (eq && (!json_is_string(v) || strcmp(json_string_value(v), eq + 1) != 0)))
                        return false;
        }
        return true;
}

/* docker matches reference= against the familiar "repo:tag" and "repo" with path.Match. */
static bool reference_matches(char **patterns, const char *repo, const char *tag)
{
        if (patterns[0] == NULL)
                return true;
        cleanup_free char *full = xasprintf("%s:%s", repo, tag);
        for (char **p = patterns; *p; p++)
                if (fnmatch(*p, full, FNM_PATHNAME) == 0 || fnmatch(*p, repo, FNM_PATHNAME) == 0)
                        return true;
        return false;
}

static bool argument_matches(const char *match, const char *stored)
{
        cleanup_image_ref struct image_ref ref = {0};
        cleanup_free char *repo = NULL, *want = NULL;
        berth_error e = {0};

        if (match == NULL)
                return true;
        if (image_ref_parse(match, false, &ref, &e) < 0) {
                berth_error_clear(&e);
                return false;
        }
        want = image_ref_repository(&ref);
        if (ref.tag != NULL) {
                cleanup_free char *full = image_ref_string(&ref);
                return strcmp(full, stored) == 0;
        }
        return str_has_prefix(stored, want) && (stored[strlen(want)] == ':' || stored[strlen(want)] == '@');
}

static json_t *image_row(const struct image_record *rec, const char *repo, const char *tag, bool no_trunc)
{
        char size[32], since[64], at[64];
        int64_t created = time_parse_rfc3339(rec->created);
        cleanup_free char *id = cli_short_id(rec->id, no_trunc);
        bool has_digest = repo[0] != '<' && rec->manifest_digest[0] != '\0';

        format_human_size((double) rec->size, size, sizeof(size));
        if (created >= 0) {
                format_human_duration((int64_t) time(NULL) - created, since, sizeof(since));
                strcat(since, " ago");
                format_go_time(created, at, sizeof(at));
        } else {
                strcpy(since, "N/A");
                strcpy(at, "N/A");
        }
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers", "N/A", "CreatedAt", at,
                         "CreatedSince", since, "Digest", has_digest ? rec->manifest_digest : "<none>", "ID", id,
                         "Repository", repo, "SharedSize", "N/A", "Size", size, "Tag", tag, "UniqueSize", "N/A",
                         "VirtualSize", size);
}

static bool image_selected(struct image_store *s, const struct image_record *rec, const struct filter_ctx *f)
{
        int64_t created = time_parse_rfc3339(rec->created);
        bool dangling = rec->names[0] == NULL;

        if (f->dangling >= 0 && dangling != (f->dangling == 1))
                return false;
        if (f->before >= 0 && !(created < f->before))
                return false;
        if (f->since >= 0 && !(created > f->since))
                return false;
        return labels_match(s, rec, f->labels);
}

static void emit_row(struct images_opts *o, struct table *t, json_t *row, berth_error *err, int *r)
{
        cleanup_free char *line = NULL;

        if (*r < 0)
                return;
        if (o->quiet) {
                printf("%s\n", json_string_value(json_object_get(row, "ID")));
                return;
        }
        switch (o->format.kind) {
        case OUTPUT_JSON:
                line = json_to_string(row);
                printf("%s\n", line);
                return;
        case OUTPUT_TEMPLATE:
                if ((*r = template_render(o->format.template, row, &line, err)) == 0)
                        printf("%s\n", line);
                return;
        case OUTPUT_TABLE:
                if ((*r = template_render(o->format.template, row, &line, err)) == 0)
                        table_add_line(t, line);
                return;
        default:
                line = o->digests ? xasprintf("%s\t%s\t%s\t%s\t%s\t%s", json_string_value(json_object_get(row, "Repository")),
                                              json_string_value(json_object_get(row, "Tag")),
                                              json_string_value(json_object_get(row, "Digest")),
                                              json_string_value(json_object_get(row, "ID")),
                                              json_string_value(json_object_get(row, "CreatedSince")),
                                              json_string_value(json_object_get(row, "Size")))
                                  : xasprintf("%s\t%s\t%s\t%s\t%s", json_string_value(json_object_get(row, "Repository")),
                                              json_string_value(json_object_get(row, "Tag")),
                                              json_string_value(json_object_get(row, "ID")),
                                              json_string_value(json_object_get(row, "CreatedSince")),
                                              json_string_value(json_object_get(row, "Size")));
                table_add_line(t, line);
        }
}

static int list_images(struct berth_cli *cli, struct images_opts *o, berth_error *err)
{
        cleanup_store struct image_store *s = NULL;
        struct image_record *recs = NULL;
        struct filter_ctx f = {0};
        struct table t = {0};
        size_t n = 0;
        int r;

        if ((r = cli_open_store(cli, STORE_LOCK_NONE, &s, err)) < 0 || (r = parse_filters(s, o->filters, &f, err)) < 0 ||
            (r = imagedb_list(s, &recs, &n, err)) < 0)
                goto out;
        if (o->format.kind == OUTPUT_TABLE_DEFAULT && !o->quiet)
                table_add_line(&t, o->digests ? "REPOSITORY\tTAG\tDIGEST\tIMAGE ID\tCREATED\tSIZE"
                                              : "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE");
        if (o->format.kind == OUTPUT_TABLE && !o->quiet) {
                cleanup_json json_t *h = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "IMAGE ID", "CreatedSince",
                                                   "CREATED", "CreatedAt", "CREATED AT", "Repository", "REPOSITORY",
                                                   "Tag", "TAG", "Size", "SIZE");
                cleanup_free char *header = template_header(o->format.template, h);
                table_add_line(&t, header);
        }
        for (size_t i = 0; i < n && r == 0; i++) {
                struct image_record *rec = &recs[i];
                if (!image_selected(s, rec, &f))
                        continue;
                if (rec->names[0] == NULL) {
                        if (o->match != NULL || f.references[0] != NULL)
                                continue;
                        /* The build cache's intermediate images: only with -a, as docker's. */
                        if (!o->all && build_cache_hides(s, rec->id))
                                continue;
                        cleanup_json json_t *row = image_row(rec, "<none>", "<none>", o->no_trunc);
                        emit_row(o, &t, row, err, &r);
                        continue;
                }
                for (char **name = rec->names; *name && r == 0; name++) {
                        cleanup_free char *repo = NULL, *tag = NULL;
                        if (!argument_matches(o->match, *name))
                                continue;
                        cli_split_name(*name, &repo, &tag);
                        if (!reference_matches(f.references, repo, tag))
                                continue;
                        cleanup_json json_t *row = image_row(rec, repo, tag, o->no_trunc);
                        emit_row(o, &t, row, err, &r);
                }
        }
        if (r == 0)
                table_print(&t, stdout);
out:
        table_free(&t);
        filter_clear(&f);
        image_records_free(recs, n);
        return r;
}

int cmd_images(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"all", no_argument, NULL, 'a'},
                {"quiet", no_argument, NULL, 'q'},
                {"digests", no_argument, NULL, 'd'},
                {"no-trunc", no_argument, NULL, 'n'},
                {"format", required_argument, NULL, 'F'},
                {"filter", required_argument, NULL, 'f'},
                CLI_HELP_OPTION,
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_strv char **filters = xzalloc(sizeof(char *));
        struct images_opts o = {0};
        const char *format = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, "aqf:h", options, NULL)) != -1) {
                switch (c) {
                case 'a': o.all = true; break;
                case 'q': o.quiet = true; break;
                case 'd': o.digests = true; break;
                case 'n': o.no_trunc = true; break;
                case 'F': format = optarg; break;
                case 'f': filters = strv_append(filters, optarg); break;
                case 'h': printf("Usage:  berth images [OPTIONS] [REPOSITORY[:TAG]]\n\nList images\n\n"
                                 "  -a, --all             Show all images\n"
                                 "      --digests         Show digests\n"
                                 "  -f, --filter filter   Filter output based on conditions provided\n"
                                 "      --format string   Format output using a custom template ('table', 'json', or a Go template)\n"
                                 "      --no-trunc        Don't truncate output\n"
                                 "  -q, --quiet           Only show image IDs\n");
                          return 0;
                default: return cli_usage_error(cli, "invalid option");
                }
        }
        if (argc - optind > 1)
                return cli_usage_error(cli, "\"%s images\" requires at most 1 argument.", cli->program);
        o.match = optind < argc ? argv[optind] : NULL;
        o.filters = filters;
        output_format_parse(format, &o.format, &err);
        r = list_images(cli, &o, &err);
        output_format_clear(&o.format);
        return r < 0 ? cli_fail(cli, &err) : 0;
}
