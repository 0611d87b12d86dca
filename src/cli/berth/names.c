#include <string.h>

#include "cli/berth/cli.h"
#include "lib/cleanup.h"
#include "engine/imageinfo.h"
#include "image/digest.h"
#include "image/reference.h"
#include "lib/util.h"

void cli_split_name(const char *stored, char **repository, char **tag)
{
        engine_image_split_name(stored, repository, tag);
}

char *cli_display_name(const char *stored)
{
        return engine_image_display_name(stored);
}

char *cli_short_id(const char *id, bool no_trunc)
{
        if (no_trunc || !digest_is_valid(id))
                return xstrdup(id);
        return xstrndup(digest_hex(id), 12);
}
