/* docker's output formats: tables aligned like Go's tabwriter, human sizes and ages, and --format
 * templates ("table {{.Repository}}\t{{.Tag}}", "{{json .}}", "json") rendered against a JSON object. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "lib/error.h"

/* "4.26MB" (decimal units, 3 significant digits: units.HumanSizeWithPrecision). */
/* The same with DIGITS significant digits (docker's units.HumanSizeWithPrecision; system df uses 4). */
void format_human_size_precision(double bytes, int digits, char *buf, size_t size);
void format_human_size(double bytes, char *buf, size_t size);
/* "2 years", "About an hour" (units.HumanDuration). */
void format_human_duration(int64_t seconds, char *buf, size_t size);
/* "2024-01-01 00:00:00 +0000 UTC" (Go's time.Time.String(), docker's CreatedAt). */
void format_go_time(int64_t t, char *buf, size_t size);

/* A table: rows of cells, printed with Go tabwriter's alignment (minwidth 10, padding 3). */
struct table {
        char ***rows;
        size_t n_rows;
};
void table_add_row(struct table *t, char **cells); /* takes ownership (NULL-terminated) */
void table_add_line(struct table *t, const char *tab_separated);
void table_print(struct table *t, FILE *out);
void table_free(struct table *t);

/* A parsed --format value. */
struct output_format {
        enum { OUTPUT_TABLE_DEFAULT, OUTPUT_TABLE, OUTPUT_TEMPLATE, OUTPUT_JSON } kind;
        char *template; /* for TABLE and TEMPLATE, with \t and \n already expanded */
};
int output_format_parse(const char *arg, struct output_format *out, berth_error *err);
void output_format_clear(struct output_format *f);

/* Renders a template against an object: {{.Field}}, {{json .}}, {{json .Field}}, {{.Field.Sub}}. */
int template_render(const char *tmpl, json_t *obj, char **out, berth_error *err);
/* The header of a "table ..." template: each {{.Field}} replaced by its header (docker's upper-case names,
 * from the headers object, or the field name upper-cased). */
char *template_header(const char *tmpl, json_t *headers);
