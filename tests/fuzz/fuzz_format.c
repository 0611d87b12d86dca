/* --format templates: the input is a template, a NUL, then the JSON object it is rendered against (as
 * `berth ps/images/inspect --format` render docker's objects). output_format_parse, template_render and
 * template_header (table headers). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "cli/berth/format.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_stdio();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *part[2] = {0};
        size_t n = fuzz_split(data, size, part, 2);
        berth_error err = {0};
        struct output_format f = {0};
        json_t *obj = n > 1 ? json_loads(part[1], 0, NULL) : NULL;

        if (obj == NULL)
                obj = json_pack("{s:s,s:i,s:{s:s},s:[s,s],s:n,s:b}", "ID", "abc", "Size", 42, "Labels", "a", "b",
                                "Names", "x", "y", "Empty", "Bool", 1);
        if (output_format_parse(part[0], &f, &err) == 0) {
                if (f.template != NULL) {
                        char *out = NULL;
                        json_t *headers = json_pack("{s:s}", "ID", "CONTAINER ID");
                        if (template_render(f.template, obj, &out, &err) == 0)
                                free(out);
                        free(template_header(f.template, headers));
                        json_decref(headers);
                }
                output_format_clear(&f);
        }
        berth_error_clear(&err);
        {
                char *out = NULL;
                if (template_render(part[0], obj, &out, &err) == 0)
                        free(out);
                berth_error_clear(&err);
        }
        json_decref(obj);
        for (size_t i = 0; i < n; i++)
                free(part[i]);
        return 0;
}
