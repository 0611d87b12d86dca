/* libseccomp's <seccomp.h>. Our own interface is also called seccomp.h, and src/runtime is on the include path
 * (meson's implicit include directories come before the system ones), so a plain #include <seccomp.h> finds
 * ours. Include this file with angle brackets (#include <seccomp_libseccomp.h>): it is then found through
 * that same include-path entry, and #include_next resumes the search after it, reaching libseccomp's. */
#pragma once

#include_next <seccomp.h>

#if !defined(SCMP_VER_MAJOR)
#error "libseccomp's seccomp.h was not found after src/runtime on the include path"
#endif
