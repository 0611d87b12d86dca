/* The JSON wrapper: jansson, with typed accessors whose errors name the field ("process.user.uid: expected
 * an integer, got string"). Callers prefix the file ("config.json: ..."). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"

static inline void json_decref_ptr(json_t **j)
{
        if (*j != NULL)
                json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(json_decref_ptr)))

/* Parse errors name the source and the line:column ("config.json:3:14: ..."). */
json_t *json_load_path(const char *path, berth_error *err);
json_t *json_load_text(const char *what, const char *text, size_t len, berth_error *err);

/* A readable name for a JSON value's type, for messages. */
const char *json_type_name(const json_t *v);

/* Field accessors. `where` is the dotted path of obj ("" at the top), key the member's name. A missing
 * member is an error only when required; otherwise *out is left untouched and 0 returned. A member that
 * is present with JSON null is treated as missing (Go's encoder writes null for empty slices). */
int json_field_string(json_t *obj, const char *where, const char *key, bool required, const char **out,
                      berth_error *err);
int json_field_bool(json_t *obj, const char *where, const char *key, bool required, bool *out, berth_error *err);
int json_field_i64(json_t *obj, const char *where, const char *key, bool required, int64_t *out,
                   berth_error *err);
int json_field_u64(json_t *obj, const char *where, const char *key, bool required, uint64_t *out,
                   berth_error *err);
int json_field_u32(json_t *obj, const char *where, const char *key, bool required, uint32_t *out,
                   berth_error *err);
int json_field_int(json_t *obj, const char *where, const char *key, bool required, int *out, berth_error *err);
int json_field_object(json_t *obj, const char *where, const char *key, bool required, json_t **out,
                      berth_error *err);
int json_field_array(json_t *obj, const char *where, const char *key, bool required, json_t **out,
                     berth_error *err);
/* An array of strings as a NULL-terminated vector (free with strv_free). */
int json_field_strv(json_t *obj, const char *where, const char *key, bool required, char ***out,
                    berth_error *err);

/* Checks that a value is an object; for the elements of arrays ("mounts[2]"). */
int json_expect_object(json_t *v, const char *where, berth_error *err);

/* Compact serialisation (keys in insertion order); never NULL. */
char *json_to_string(const json_t *v);
