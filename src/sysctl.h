/* Reads the per-namespace sysctls that decide the queue limits
 * (struct sw_sysctl, kernel.h) from /proc. */
#pragma once

#include <stdint.h>

#include "kernel.h"

/* Reads the three values below procroot ("/proc" in production; tests pass a
 * prepared tree). A value that cannot be read or parsed is left at -1 and the
 * first such error is returned as a negative errno; the others are still
 * read. */
int sysctl_read(const char *procroot, struct sw_sysctl *ret);

/* The same from files of another namespace opened inside it (fds[0..2]:
 * somaxconn, tcp_max_syn_backlog, tcp_syncookies; -1 leaves that value
 * unknown). A namespace that is gone reads -ENOENT. */
int sysctl_read_fds(const int fds[3], struct sw_sysctl *ret);

/* Pure: parses the text of one sysctl file ("4096\n"). 0 or -EINVAL. */
int sysctl_parse_int(const char *text, int32_t *ret);
