/* Small helpers shared by the daemon, sockwatchctl and the tests. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define SW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SW_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SW_MAX(a, b) ((a) > (b) ? (a) : (b))

#define USEC_PER_SEC  1000000ULL
#define USEC_PER_MSEC 1000ULL
#define NSEC_PER_USEC 1000ULL

static inline void sw_freep(void *p) { free(*(void **)p); }
static inline void sw_closep(int *fd) { if (*fd >= 0) close(*fd); }
#define _cleanup_free_  __attribute__((cleanup(sw_freep)))
#define _cleanup_close_ __attribute__((cleanup(sw_closep)))

/* Room for "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535" and a NUL. */
#define SW_ADDRSTRLEN 56

/* Monotonic and CPU clocks, in microseconds. */
/* Gives the kernel back the whole pages of [base + used, base + size), the
 * unused tail of a large array that a burst touched: they stop counting in
 * RSS and read as zeros when the array grows into them again. Nothing
 * outside the block is touched. Returns the bytes released. */
size_t util_release_tail(void *base, size_t used, size_t size);

/* Hands the malloc heap's free pages back to the kernel (malloc_trim) when
 * it holds at least min_free bytes free. Returns the bytes it held free
 * before, 0 when it did not trim. */
size_t util_heap_trim(size_t min_free);

uint64_t util_now_usec(void);
uint64_t util_cpu_usec(void);          /* this process, user + system */

/* "127.0.0.1" or "::1" (no brackets). addr holds 4 (AF_INET) or 16 bytes. */
const char *util_addr_str(int family, const uint8_t *addr, char *buf, size_t len);
/* "127.0.0.1:8080" or "[::1]:443". */
const char *util_endpoint_str(int family, const uint8_t *addr, uint16_t port,
			      char *buf, size_t len);
/* Reverse of util_endpoint_str; also accepts "*:PORT". Returns 0 or -EINVAL.
 * *ret_wildcard is true for "*"; then family is 0. */
int util_endpoint_parse(const char *s, int *ret_family, uint8_t ret_addr[16],
			uint16_t *ret_port, bool *ret_wildcard);

/* Reads a whole small file (at most max bytes) into a NUL-terminated buffer. */
int util_read_file(const char *path, size_t max, char **ret, size_t *ret_len);
