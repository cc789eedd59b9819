/* I/O helpers shared by the daemon, sockwatchctl and the tests: clocks,
 * memory given back to the kernel, reading files. The macros every module
 * uses are in macro.h. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* Gives the kernel back the whole pages of [base + used, base + size), the
 * unused tail of a large array that a burst touched: they stop counting in
 * RSS and read as zeros when the array grows into them again. Nothing
 * outside the block is touched. Returns the bytes released. */
size_t util_release_tail(void *base, size_t used, size_t size);

/* Hands the malloc heap's free pages back to the kernel (malloc_trim) when
 * it holds at least min_free bytes free. Returns the bytes it held free
 * before, 0 when it did not trim. */
size_t util_heap_trim(size_t min_free);

/* Monotonic and CPU clocks, in microseconds. */
uint64_t util_now_usec(void);
uint64_t util_cpu_usec(void);          /* this process, user + system */
uint64_t util_realtime_usec(void);     /* wall clock, since the epoch */

/* Replaces path with data, atomically: written to a temporary file in the
 * same directory (".NAME.XXXXXX", so a collector of *.NAME files never
 * reads it half-written), given mode, then renamed over path. 0 or -errno
 * (the temporary file removed). */
int util_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Reads fd until end of file or until size bytes are in buf, retrying on
 * EINTR. Returns the bytes read (size when the buffer filled up, whether or
 * not more followed) or -errno. Adds no NUL. */
ssize_t util_read_fd(int fd, void *buf, size_t size);

/* Reads a whole small file (at most max bytes) into a NUL-terminated buffer. */
int util_read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* The same from an fd kept open (a namespace's /proc files), read from its
 * start again each time. */
int util_reread_fd(int fd, size_t max, char **ret, size_t *ret_len);
