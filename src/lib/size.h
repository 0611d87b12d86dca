/* Sizes as docker spells them ("512m", "1g", "1.5GiB", "10 kb"), with the accept/reject rules of docker's
 * go-units (RAMInBytes, FromHumanSize). The one size parser of berth: both CLIs and the engine use it.
 *
 *   NUMBER [" "] [SUFFIX]   NUMBER: a decimal float as Go's strconv.ParseFloat reads it ("1", "1.5", ".5",
 *                           "5.", "1e3", "+2"), not negative; SUFFIX, case-insensitive: "b", or one of
 *                           k m g t p, optionally followed by "b" or "ib" ("k", "kb", "kib").
 *   The value is truncated toward zero after multiplying ("1.5k" is 1536, "0.3" is 0).
 *
 * Rejected: "", "m", "-5", "1gg", "1kk", "1ki", "1 " "g" with two spaces, leading spaces, "1_000", hex,
 * "inf"/"nan", and "-1" unless SIZE_MINUS_ONE. Go's ParseFloat also takes hex floats ("0x1p4"); berth does
 * not. A value past INT64_MAX is -ERANGE (Go would wrap it). */
#pragma once

#include <stdint.h>

enum {
        SIZE_DECIMAL = 1 << 0,   /* FromHumanSize: k = 1000 (json-file's max-size); default RAMInBytes: k = 1024 */
        SIZE_MINUS_ONE = 1 << 1, /* exactly "-1" is -1, "unlimited" (docker's --memory-swap, runc's update) */
};

/* 0 and *out set, -EINVAL (not a size) or -ERANGE (too large); *out is untouched on failure. */
int size_parse(const char *s, unsigned flags, int64_t *out);
