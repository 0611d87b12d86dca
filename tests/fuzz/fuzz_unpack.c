/* Layer tars (plain, gzip or zstd, as the stream sniffs them) unpacked into a throwaway root (fuzz_root.h):
 * the layer stream, then layer_unpack as pull and load run it; after each input, the check that nothing
 * escaped the root. */
#include <sys/mman.h>
#include <unistd.h>

#include "lib/error.h"
#include "image/stream.h"
#include "image/unpack.h"
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
        berth_error err = {0};
        struct unpack_options opts = {.create_devices = false};
        struct unpack_stats stats = {0};
        struct layer_stream *stream = NULL;
        int fd = memfd_create("layer", MFD_CLOEXEC);

        fuzz_root_reset();
        if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t) size) || lseek(fd, 0, SEEK_SET) < 0)
                abort();
        if (layer_stream_open(fd, &stream, &err) == 0) {
                if (layer_unpack(stream, root_fd, &opts, &stats, &err) == 0) {
                        struct layer_stream_result result;
                        layer_stream_finish(stream, &result, &err);
                }
                layer_stream_close(stream);
        }
        berth_error_clear(&err);
        close(fd);
        fuzz_root_check();
        return 0;
}
