/* Unpacks one layer's tar stream into an empty directory in overlayfs's format: OCI whiteouts
 * (.wh.NAME) become 0/0 character devices, opaque markers (.wh..wh..opq) become trusted.overlay.opaque=y.
 * The directory holds only this layer's diff; layers are stacked by overlayfs (or by the copy driver,
 * src/image/flatten.c, which gives the same meaning to the same format).
 *
 * Every entry is created relative to a directory fd resolved inside the layer root (openat2
 * RESOLVE_IN_ROOT), the final component is never followed (O_EXCL/O_NOFOLLOW, *at(AT_SYMLINK_NOFOLLOW)),
 * and names that climb out of the root ("../x", "a/../../x") fail the whole layer naming the entry, as
 * docker's archive package does ("breakout"); absolute names are taken relative to the root. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"
#include "image/stream.h"

struct unpack_options {
        /* Create block and character devices (root only, and only on a nodev filesystem: a device node in
         * a layer must not open host devices for whoever can reach the store). Otherwise they are skipped
         * and counted. */
        bool create_devices;
};

struct unpack_stats {
        uint64_t entries;
        uint64_t size;            /* bytes of regular files (docker's layer size) */
        uint64_t skipped_devices; /* device nodes not created (see create_devices) */
};

/* Reads the whole tar from the stream into rootfd (an empty directory). On failure the directory holds a
 * partial tree: the caller unpacks into a temporary directory and removes it. */
int layer_unpack(struct layer_stream *stream, int rootfd, const struct unpack_options *opts,
                 struct unpack_stats *stats, berth_error *err);

/* Lexical clean of a tar member name relative to the layer root (lib/path.c's path_clean after the leading
 * "/"s): strips "/" and "./" prefixes, collapses "." and "//", resolves ".."; fails with EPERM if the name
 * climbs above the root. "" is the root itself. */
int unpack_clean_name(const char *name, char **out, berth_error *err);
