/* .dockerignore: which paths of a build context the builder leaves out, as docker matches them
 * (moby/patternmatcher): one pattern per line, `#` comments, blank lines skipped; each pattern is cleaned as
 * a path (a leading "/" goes), `*` and `?` match within one path element, `[...]` a class, `**` any number
 * of elements (none too), `\` escapes; a path is excluded when the last pattern that matches it or one of
 * its parent directories is not a `!` exception. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

struct dockerignore;

/* Parses the file's TEXT (LEN bytes). FILENAME names it in errors ("bad pattern" with its line). */
int dockerignore_parse(const char *text, size_t len, const char *filename, struct dockerignore **out, berth_error *err);
/* PATH: relative to the context root, "/"-separated ("src/main.c"); it is cleaned first. */
bool dockerignore_excluded(const struct dockerignore *di, const char *path);
/* Whether any `!` exception exists: a builder may then not skip an excluded directory's contents whole. */
bool dockerignore_has_exceptions(const struct dockerignore *di);
void dockerignore_free(struct dockerignore *di);
static inline void dockerignore_freep(struct dockerignore **di)
{
        dockerignore_free(*di);
}
#define cleanup_dockerignore __attribute__((cleanup(dockerignore_freep)))

/* Go's filepath.Clean for "/"-separated paths: "a//b/./c/.." -> "a/b"; "" -> ".". Returns a new string. */
char *dockerignore_clean_path(const char *path);
