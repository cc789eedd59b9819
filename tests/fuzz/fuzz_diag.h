/* Shared by the two sock_diag targets and gen_seeds.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "snapshot.h"

/* A dump reply arrives as datagrams of at most 32 KiB (the kernel caps each
 * part just under that). The targets cut their input into parts of this
 * size and feed them one by one, as diag_dump_*() does, so that one input
 * can be a whole multi-part dump; an input shorter than this is a single
 * datagram. gen_seeds.c pads each part to exactly this size. */
#define FUZZ_DIAG_PART 32768

/* The listeners fuzz_diag_synrecv indexes before it feeds a SYN_RECV dump;
 * gen_seeds.c builds request sockets for them. Chosen to reach every
 * matching rule of snapshot_add_request(): exact address before wildcard,
 * an SO_REUSEPORT group, device-bound members, a dual-stack [::] that takes
 * v4-mapped requests, a listener bound to a v4-mapped address and a
 * link-local one. */
struct fuzz_listener {
	int family;
	const char *addr;
	uint16_t port;
	uint32_t ifindex;
	uint64_t cookie;
	bool v6only;
};

static const struct fuzz_listener fuzz_listeners[] = {
	{ AF_INET, "0.0.0.0", 80, 0, 1, false },
	{ AF_INET, "127.0.0.1", 80, 0, 2, false },
	{ AF_INET, "127.0.0.1", 8080, 0, 3, false },        /* reuseport pair */
	{ AF_INET, "127.0.0.1", 8080, 0, 4, false },
	{ AF_INET, "10.0.0.1", 22, 3, 5, false },           /* bound to devices */
	{ AF_INET, "10.0.0.1", 22, 5, 6, false },
	{ AF_INET, "0.0.0.0", 443, 0, 7, false },
	{ AF_INET6, "::", 443, 0, 8, false },               /* dual-stack */
	{ AF_INET6, "::1", 8443, 0, 9, true },
	{ AF_INET6, "::ffff:127.0.0.1", 9000, 0, 10, false },
	{ AF_INET6, "fe80::1", 80, 2, 11, true },
};

typedef int (*fuzz_diag_parse_fn)(const void *buf, size_t len, struct sw_snapshot *s);

/* Feeds data to parse one part at a time, each in a heap buffer of its
 * exact size so that ASan catches a read past the end of any part, not
 * only of the last. Stops where diag_dump_*() stops: at an error or at
 * NLMSG_DONE (1). Returns that, or 0 when the input ran out first. */
static inline int fuzz_diag_feed(fuzz_diag_parse_fn parse, const uint8_t *data, size_t size,
				 struct sw_snapshot *s)
{
	for (size_t off = 0; off < size; off += FUZZ_DIAG_PART) {
		size_t n = size - off < FUZZ_DIAG_PART ? size - off : FUZZ_DIAG_PART;
		uint8_t *part = malloc(n);
		int r;

		if (!part)
			abort();
		memcpy(part, data + off, n);
		r = parse(part, n, s);
		free(part);
		if (r != 0)
			return r;
	}
	return 0;
}
