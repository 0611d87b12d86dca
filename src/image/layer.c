/* Layers: where each lives in the store and its chain id; removal. Unpacking is layer_unpack.c (it needs
 * libarchive; these helpers must not, so that lean binaries can use them). */
#include "image/layer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/blob.h"
#include "lib/cleanup.h"
#include "image/fsutil.h"
#include "image/imagedb.h"
#include "lib/util.h"


char *layer_diff_relpath(const char *diff_id)
{
        return xasprintf("layers/%s/diff", digest_hex(diff_id));
}

char *layer_link_path(struct image_store *s, const char *link)
{
        return xasprintf("%s/l/%s", s->root, link);
}

void layer_chain_id(const char *parent_chain, const char *diff_id, char out[DIGEST_STRING_LEN + 1])
{
        if (parent_chain == NULL) {
                memcpy(out, diff_id, DIGEST_STRING_LEN + 1);
                return;
        }
        cleanup_free char *text = xasprintf("%s %s", parent_chain, diff_id);
        digest_buffer(text, strlen(text), out);
}

/* ROOT/l/<hex prefix> -> ../layers/HEX/diff. The prefix grows on the (astronomically unlikely) collision. */
int layer_remove(struct image_store *s, const char *diff_id, berth_error *err)
{
        cleanup_free char *link = NULL;
        cleanup_free char *dir = xasprintf("layers/%s", digest_hex(diff_id));
        int r;

        r = imagedb_layer_get(s, diff_id, &link, NULL, err);
        if (r < 0 && r != -ENOENT)
                return r;
        /* Record first: a layer without a record is re-registered or removed later, never half-used. */
        if ((r = imagedb_layer_delete(s, diff_id, err)) < 0)
                return r;
        if (link != NULL) {
                cleanup_free char *l = xasprintf("l/%s", link);
                if (unlinkat(s->rootfd, l, 0) < 0 && errno != ENOENT)
                        return berth_fail(err, errno, "remove %s/%s", s->root, l);
        }
        return fs_remove_tree_at(s->rootfd, dir, err);
}
