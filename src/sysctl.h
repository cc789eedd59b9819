/* Per-namespace sysctls that decide the queue limits (KERNEL-NOTES.md). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct sw_sysctl {
	int32_t somaxconn;        /* net.core.somaxconn; -1 when unknown */
	int32_t max_syn_backlog;  /* net.ipv4.tcp_max_syn_backlog; -1 when unknown */
	int32_t syncookies;       /* net.ipv4.tcp_syncookies (0, 1, 2); -1 when unknown */
};

/* Reads the three values below procroot ("/proc" in production; tests pass a
 * prepared tree). A value that cannot be read or parsed is left at -1 and the
 * first such error is returned as a negative errno; the others are still
 * read. */
int sysctl_read(const char *procroot, struct sw_sysctl *ret);

/* Pure: parses the text of one sysctl file ("4096\n"). 0 or -EINVAL. */
int sysctl_parse_int(const char *text, int32_t *ret);
