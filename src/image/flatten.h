/* The copy driver's merge: applies a layer directory in overlay format (0/0 char device = whiteout,
 * trusted.overlay.opaque=y = opaque directory) on top of a root filesystem directory, with overlayfs's
 * meaning: a whiteout removes the name below, an opaque directory hides everything below it, a directory
 * merges with a directory below and replaces anything else, any other entry replaces what was there.
 * Every step goes through directory fds opened O_NOFOLLOW: nothing in either tree is followed. */
#pragma once

#include "lib/error.h"

int flatten_apply_layer(int layerfd, int rootfd, berth_error *err);
