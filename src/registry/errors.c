#include "registry/errors.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

static json_t *first_error(const struct http_response *r, json_t **root)
{
        json_t *errors;

        *root = NULL;
        if (r->body == NULL || r->body_len == 0)
                return NULL;
        *root = json_loadb(r->body, r->body_len, 0, NULL);
        if (*root == NULL)
                return NULL;
        errors = json_object_get(*root, "errors");
        if (!json_is_array(errors) || json_array_size(errors) == 0)
                return NULL;
        return json_is_object(json_array_get(errors, 0)) ? json_array_get(errors, 0) : NULL;
}

char *registry_error_code(const struct http_response *r)
{
        cleanup_json json_t *root = NULL;
        json_t *e = first_error(r, &root);
        json_t *code = e ? json_object_get(e, "code") : NULL;

        return json_is_string(code) ? xstrdup(json_string_value(code)) : NULL;
}

/* distribution's errcode.ErrorCode.Error(): the code in lower case, "_" as " ". */
static char *code_words(const char *code)
{
        char *s = xstrdup(code);

        for (char *p = s; *p; p++)
                *p = *p == '_' ? ' ' : (char) tolower((unsigned char) *p);
        return s;
}

/* Messages come from the server: keep them on one line and printable. */
static char *one_line(const char *s)
{
        char *out = xstrdup(s);

        for (char *p = out; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = ' ';
        return out;
}

char *registry_error_text(const struct http_response *r)
{
        cleanup_json json_t *root = NULL;
        json_t *e = first_error(r, &root), *errors;
        char *text = NULL;

        if (e != NULL) {
                json_t *code = json_object_get(e, "code"), *msg = json_object_get(e, "message");
                cleanup_free char *words = json_is_string(code) ? code_words(json_string_value(code)) : xstrdup("error");
                cleanup_free char *m = json_is_string(msg) ? one_line(json_string_value(msg)) : NULL;
                text = m && *m ? xasprintf("%s: %s", words, m) : xstrdup(words);
                errors = json_object_get(root, "errors");
                for (size_t i = 1; i < json_array_size(errors); i++) {
                        json_t *o = json_array_get(errors, i);
                        json_t *c = json_object_get(o, "code"), *mm = json_object_get(o, "message");
                        cleanup_free char *w = json_is_string(c) ? code_words(json_string_value(c)) : xstrdup("error");
                        cleanup_free char *m2 = json_is_string(mm) ? one_line(json_string_value(mm)) : xstrdup("");
                        char *more = xasprintf("%s; %s: %s", text, w, m2);
                        free(text);
                        text = more;
                }
                return text;
        }
        if (r->status == 401)
                return xstrdup("unauthorized: authentication required");
        return xasprintf("received unexpected HTTP status: %ld %s", r->status, r->reason ? r->reason : "");
}

bool registry_status_is_transient(long status)
{
        return status == 408 || status == 429 || (status >= 500 && status <= 599 && status != 501 && status != 505);
}
