/* IPv4/IPv6 addresses and endpoints to text and back. Pure: no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535" and a NUL. */
#define ADDR_STRLEN 56

/* Room for any listener's name: an endpoint above, or a UNIX listener's
 * path as shown (SW_UNIX_PATH_MAX, usnap.h: 108 characters and a NUL). */
#define LISTENER_STRLEN 112

/* "127.0.0.1" or "::1" (no brackets). addr holds 4 (AF_INET) or 16 bytes. */
const char *addr_str(int family, const uint8_t *addr, char *buf, size_t len);
/* "127.0.0.1:8080" or "[::1]:443". */
const char *addr_endpoint_str(int family, const uint8_t *addr, uint16_t port,
			      char *buf, size_t len);
/* A listener's name, the one rule for status, show and the journal: the
 * endpoint (addr_endpoint_str) of an inet listener, path for AF_UNIX ("" when
 * NULL). */
const char *addr_listener_str(int family, const uint8_t *addr, uint16_t port, const char *path,
			      char *buf, size_t len);
/* Reverse of addr_endpoint_str; also accepts "*:PORT". Returns 0 or -EINVAL.
 * *ret_wildcard is true for "*"; then family is 0. */
int addr_endpoint_parse(const char *s, int *ret_family, uint8_t ret_addr[16],
			uint16_t *ret_port, bool *ret_wildcard);
