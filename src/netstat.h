/* Reads the namespace-wide TcpExt counters (struct sw_netstat, kernel.h)
 * from /proc/net/netstat. */
#pragma once

#include <stddef.h>

#include "kernel.h"

/* Pure: parses the text of /proc/net/netstat. Columns are found by their
 * header names on the "TcpExt:" header line, in any order; a missing or
 * malformed column leaves its bit clear in ->present. Returns 0, or -EINVAL
 * when there is no usable TcpExt header/value pair at all. */
int netstat_parse(const char *text, size_t len, struct sw_netstat *ret);

/* Reads and parses path (normally "/proc/net/netstat"). */
int netstat_read(const char *path, struct sw_netstat *ret);
/* The same from /proc/thread-self/net/netstat opened inside another
 * namespace, read from the start each time. */
int netstat_read_fd(int fd, struct sw_netstat *ret);
