/* Macros shared by every module, pure or not: no functions, no I/O. */
#pragma once

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
