#include "lib/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/util.h"

/* jansson refuses integers above INT64_MAX ("too big integer"), where Go's encoder writes uint64 values up
 * to UINT64_MAX: runc-era tools write docker's "swappiness not set" as (uint64)-1 = 18446744073709551615.
 * When a document fails for that reason only, every integer literal in (INT64_MAX, UINT64_MAX] is rewritten
 * as a real ("18446744073709551615.0") and the document parsed again: json_field_u64 reads such reals back
 * (with a double's precision; UINT64_MAX itself exactly). Larger ones and negative ones below INT64_MIN stay
 * errors, as in Go. Returns NULL when nothing needed rewriting. */
static char *widen_big_integers(const char *text, size_t len, size_t *out_len)
{
        char *out = NULL;
        size_t used = 0, changes = 0;
        bool in_string = false;

        out = xmalloc(len + len / 2 + 1);
        for (size_t i = 0; i < len;) {
                char c = text[i];
                if (in_string) {
                        out[used++] = c;
                        i++;
                        if (c == '\\' && i < len)
                                out[used++] = text[i++];
                        else if (c == '"')
                                in_string = false;
                        continue;
                }
                if (c == '"') {
                        in_string = true;
                        out[used++] = text[i++];
                        continue;
                }
                if (c >= '0' && c <= '9' && (i == 0 || (text[i - 1] != '-' && text[i - 1] != '.' &&
                                                         text[i - 1] != 'e' && text[i - 1] != 'E' &&
                                                         text[i - 1] != '+' && !(text[i - 1] >= '0' && text[i - 1] <= '9')))) {
                        size_t end = i;
                        while (end < len && text[end] >= '0' && text[end] <= '9')
                                end++;
                        bool integer = end >= len || (text[end] != '.' && text[end] != 'e' && text[end] != 'E');
                        size_t digits = end - i;
                        memcpy(out + used, text + i, digits);
                        used += digits;
                        /* 19 digits can exceed INT64_MAX (9223372036854775807), 20 can fit UINT64_MAX. */
                        if (integer && (digits == 19 || digits == 20) && text[i] != '0') {
                                char buf[21];
                                unsigned long long v;
                                memcpy(buf, text + i, digits);
                                buf[digits] = '\0';
                                errno = 0;
                                v = strtoull(buf, NULL, 10);
                                if (errno == 0 && v > (unsigned long long) INT64_MAX) {
                                        memcpy(out + used, ".0", 2);
                                        used += 2;
                                        changes++;
                                }
                        }
                        i = end;
                        continue;
                }
                out[used++] = text[i++];
        }
        if (changes == 0) {
                free(out);
                return NULL;
        }
        out[used] = '\0';
        *out_len = used;
        return out;
}

static json_t *load_buffer(const char *text, size_t len, json_error_t *jerr)
{
        json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, jerr);

        if (j == NULL && json_error_code(jerr) == json_error_numeric_overflow) {
                size_t wide_len = 0;
                cleanup_free char *wide = widen_big_integers(text, len, &wide_len);
                json_error_t again;
                if (wide != NULL && (j = json_loadb(wide, wide_len, JSON_REJECT_DUPLICATES, &again)) == NULL &&
                    json_error_code(&again) != json_error_numeric_overflow)
                        *jerr = again; /* the next problem of the document */
        }
        return j;
}

json_t *json_load_path(const char *path, berth_error *err)
{
        json_error_t jerr;
        json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

        if (j == NULL && json_error_code(&jerr) == json_error_numeric_overflow) {
                cleanup_free char *text = NULL;
                size_t len = 0;
                if (read_file_at(AT_FDCWD, path, &text, &len, err) < 0)
                        return NULL;
                j = load_buffer(text, len, &jerr);
        }
        if (j == NULL) {
                FILE *f = fopen(path, "re");
                if (f == NULL) {
                        berth_fail(err, errno, "open %s", path);
                        return NULL;
                }
                fclose(f);
                berth_failf(err, EINVAL, "%s:%d:%d: invalid JSON: %s", path, jerr.line, jerr.column, jerr.text);
        }
        return j;
}

json_t *json_load_text(const char *what, const char *text, size_t len, berth_error *err)
{
        json_error_t jerr;
        json_t *j = load_buffer(text, len, &jerr);

        if (j == NULL)
                berth_failf(err, EINVAL, "%s:%d:%d: invalid JSON: %s", what, jerr.line, jerr.column, jerr.text);
        return j;
}

const char *json_type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "object";
        case JSON_ARRAY:
                return "array";
        case JSON_STRING:
                return "string";
        case JSON_INTEGER:
                return "integer";
        case JSON_REAL:
                return "number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "boolean";
        case JSON_NULL:
                return "null";
        }
        return "value";
}

static int field_lookup(json_t *obj, const char *where, const char *key, bool required, json_t **out,
                        berth_error *err)
{
        json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

        if (v == NULL || json_is_null(v)) {
                *out = NULL;
                if (required)
                        return berth_failf(err, EINVAL, "%s%s%s: required field is missing", where,
                                           where[0] ? "." : "", key);
                return 0;
        }
        *out = v;
        return 1;
}

static int wrong_type(const char *where, const char *key, const char *expected, json_t *v, berth_error *err)
{
        return berth_failf(err, EINVAL, "%s%s%s: expected %s, got %s", where, where[0] ? "." : "", key, expected,
                           json_type_name(v));
}

int json_field_string(json_t *obj, const char *where, const char *key, bool required, const char **out,
                      berth_error *err)
{
        json_t *v;
        int r = field_lookup(obj, where, key, required, &v, err);

        if (r <= 0)
                return r;
        if (!json_is_string(v))
                return wrong_type(where, key, "a string", v, err);
        *out = json_string_value(v);
        return 0;
}

int json_field_bool(json_t *obj, const char *where, const char *key, bool required, bool *out, berth_error *err)
{
        json_t *v;
        int r = field_lookup(obj, where, key, required, &v, err);

        if (r <= 0)
                return r;
        if (!json_is_boolean(v))
                return wrong_type(where, key, "a boolean", v, err);
        *out = json_is_true(v);
        return 0;
}

int json_field_i64(json_t *obj, const char *where, const char *key, bool required, int64_t *out,
                   berth_error *err)
{
        json_t *v;
        int r = field_lookup(obj, where, key, required, &v, err);

        if (r <= 0)
                return r;
        if (!json_is_integer(v))
                return wrong_type(where, key, "an integer", v, err);
        *out = (int64_t) json_integer_value(v);
        return 0;
}

int json_field_u64(json_t *obj, const char *where, const char *key, bool required, uint64_t *out,
                   berth_error *err)
{
        json_t *v;
        int r = field_lookup(obj, where, key, required, &v, err);

        if (r <= 0)
                return r;
        if (json_is_real(v)) {
                /* Integers above INT64_MAX, read as reals (widen_big_integers). UINT64_MAX, Go's uint64 -1,
                 * is 2^64 as a double: a conversion of 2^64 itself to uint64_t would be undefined. */
                double d = json_real_value(v);
                uint64_t u = UINT64_MAX;
                if (!(d >= 0 && d <= 18446744073709551616.0))
                        return wrong_type(where, key, "an unsigned integer", v, err);
                if (d < 18446744073709551616.0 && (double) (u = (uint64_t) d) != d)
                        return wrong_type(where, key, "an unsigned integer", v, err);
                *out = u;
                return 0;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return wrong_type(where, key, "an unsigned integer", v, err);
        *out = (uint64_t) json_integer_value(v);
        return 0;
}

int json_field_u32(json_t *obj, const char *where, const char *key, bool required, uint32_t *out,
                   berth_error *err)
{
        uint64_t v = 0;
        int r = json_field_u64(obj, where, key, required, &v, err);
        json_t *present = json_object_get(obj, key);

        if (r < 0 || present == NULL || json_is_null(present))
                return r;
        if (v > UINT32_MAX)
                return berth_failf(err, ERANGE, "%s%s%s: %llu is out of range", where, where[0] ? "." : "", key,
                                   (unsigned long long) v);
        *out = (uint32_t) v;
        return 0;
}

int json_field_int(json_t *obj, const char *where, const char *key, bool required, int *out, berth_error *err)
{
        int64_t v = 0;
        int r = json_field_i64(obj, where, key, required, &v, err);
        json_t *present = json_object_get(obj, key);

        if (r < 0 || present == NULL || json_is_null(present))
                return r;
        if (v < INT32_MIN || v > INT32_MAX)
                return berth_failf(err, ERANGE, "%s%s%s: %lld is out of range", where, where[0] ? "." : "", key,
                                   (long long) v);
        *out = (int) v;
        return 0;
}

int json_field_object(json_t *obj, const char *where, const char *key, bool required, json_t **out,
                      berth_error *err)
{
        json_t *v;
        int r = field_lookup(obj, where, key, required, &v, err);

        if (r <= 0)
                return r;
        if (!json_is_object(v))
                return wrong_type(where, key, "an object", v, err);
        *out = v;
        return 0;
}

int json_field_array(json_t *obj, const char *where, const char *key, bool required, json_t **out,
                     berth_error *err)
{
        json_t *v;
        int r = field_lookup(obj, where, key, required, &v, err);

        if (r <= 0)
                return r;
        if (!json_is_array(v))
                return wrong_type(where, key, "an array", v, err);
        *out = v;
        return 0;
}

int json_field_strv(json_t *obj, const char *where, const char *key, bool required, char ***out,
                    berth_error *err)
{
        json_t *array = NULL, *item;
        size_t i;
        char **v;
        int r = json_field_array(obj, where, key, required, &array, err);

        if (r < 0 || array == NULL)
                return r;
        v = xzalloc((json_array_size(array) + 1) * sizeof(char *));
        json_array_foreach (array, i, item) {
                if (!json_is_string(item)) {
                        strv_free(v);
                        return berth_failf(err, EINVAL, "%s%s%s[%zu]: expected a string, got %s", where,
                                           where[0] ? "." : "", key, i, json_type_name(item));
                }
                v[i] = xstrdup(json_string_value(item));
        }
        *out = v;
        return 0;
}

int json_expect_object(json_t *v, const char *where, berth_error *err)
{
        if (!json_is_object(v))
                return berth_failf(err, EINVAL, "%s: expected an object, got %s", where, json_type_name(v));
        return 0;
}

char *json_to_string(const json_t *v)
{
        char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        if (s == NULL)
                abort(); /* only on out of memory */
        return s;
}
