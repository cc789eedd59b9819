/* The dump requests the floor programs (floor.c, nsfloor.c) send, as
 * src/diag.c asks for them, written by hand so that nothing but the
 * kernel's answer is measured. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

/* One dump request of type, whose body is len bytes at body. */
static inline int bench_send_dump(int fd, uint16_t type, const void *body, size_t len,
				  uint32_t seq)
{
	uint8_t buf[NLMSG_SPACE(sizeof(struct inet_diag_req_v2) + sizeof(struct inet_diag_req))];
	struct nlmsghdr h = {
		.nlmsg_len = (uint32_t)NLMSG_LENGTH(len),
		.nlmsg_type = type,
		.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.nlmsg_seq = seq,
	};
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	if (NLMSG_SPACE(len) > sizeof(buf))
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + NLMSG_HDRLEN, body, len);
	if (sendto(fd, buf, h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* TCP sockets of one family in states, with the extensions ext. */
static inline int bench_send_inet(int fd, int family, uint32_t states, uint8_t ext, uint32_t seq)
{
	const struct inet_diag_req_v2 r = {
		.sdiag_family = (uint8_t)family,
		.sdiag_protocol = IPPROTO_TCP,
		.idiag_ext = ext,
		.idiag_states = states,
	};

	return bench_send_dump(fd, SOCK_DIAG_BY_FAMILY, &r, sizeof(r), seq);
}

/* The old TCPDIAG_GETSOCK request: no family, so the kernel answers both
 * from one walk (the SYN scan's request; for listeners, not what the
 * collector issues). */
static inline int bench_send_walk(int fd, uint32_t states, uint8_t ext, uint32_t seq)
{
	const struct inet_diag_req r = {
		.idiag_family = AF_INET,
		.idiag_ext = ext,
		.idiag_states = states,
	};

	return bench_send_dump(fd, TCPDIAG_GETSOCK, &r, sizeof(r), seq);
}

/* The UNIX listener dump, as diag_dump_unix() asks for it. */
static inline int bench_send_unix(int fd, uint32_t seq)
{
	const struct unix_diag_req r = {
		.sdiag_family = AF_UNIX,
		.udiag_states = 1u << TCP_LISTEN,
		.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID,
	};

	return bench_send_dump(fd, SOCK_DIAG_BY_FAMILY, &r, sizeof(r), seq);
}
