/* `berth cp - CONTAINER:DIR`: a tar from stdin, checked whole, then extracted under DIR of the container's
 * root (engine_copy_tar_extract, src/engine/copy_tar.c), into a throwaway root (fuzz_root.h) with "/" and
 * "/d" as destinations; after each input, the check that nothing escaped the root. */
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/error.h"
#include "engine/copy.h"
#include "fuzz.h"
#include "fuzz_root.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_stdio();
        fuzz_root_setup();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const destinations[] = {"/", "/d"};
        int fd = memfd_create("cp", MFD_CLOEXEC);

        if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t) size))
                abort();
        for (size_t i = 0; i < sizeof(destinations) / sizeof(destinations[0]); i++) {
                berth_error err = {0};
                fuzz_root_reset();
                if (mkdirat(root_fd, "d", 0755) < 0)
                        abort();
                engine_copy_tar_extract(fd, root_fd, destinations[i], true, &err);
                berth_error_clear(&err);
                fuzz_root_check();
        }
        close(fd);
        return 0;
}
