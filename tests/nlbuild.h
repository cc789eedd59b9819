/* A netlink reply builder for the parser and dump tests (check_diag,
 * check_udiag): messages, attributes, DONE and ERROR, in a fixed buffer
 * whose bound is asserted. */
#pragma once

#include <check.h>
#include <stdint.h>
#include <string.h>
#include <linux/netlink.h>

struct nb {
	uint8_t b[32768];
	size_t len;
	size_t msg;            /* start of the open message */
};

static inline void nb_put(struct nb *n, const void *p, size_t len)
{
	ck_assert_uint_le(n->len + len, sizeof(n->b));
	memcpy(n->b + n->len, p, len);
	n->len += len;
}

static inline void nb_pad(struct nb *n)
{
	static const uint8_t zero[4];

	nb_put(n, zero, NLMSG_ALIGN(n->len) - n->len);
}

static inline void nb_begin(struct nb *n, uint16_t type, uint16_t flags, uint32_t seq, uint32_t pid)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = flags | NLM_F_MULTI,
			      .nlmsg_seq = seq, .nlmsg_pid = pid };

	n->msg = n->len;
	nb_put(n, &h, sizeof(h));
}

static inline void nb_end(struct nb *n)
{
	uint32_t len = (uint32_t)(n->len - n->msg);

	memcpy(n->b + n->msg, &len, sizeof(len));   /* nlmsg_len comes first */
	nb_pad(n);
}

static inline void nb_attr(struct nb *n, uint16_t type, const void *data, size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type };

	nb_put(n, &a, sizeof(a));
	nb_put(n, data, len);
	nb_pad(n);
}

static inline void nb_done(struct nb *n, uint16_t flags, uint32_t seq, uint32_t pid, int32_t err)
{
	nb_begin(n, NLMSG_DONE, flags, seq, pid);
	nb_put(n, &err, sizeof(err));
	nb_end(n);
}

static inline void nb_error(struct nb *n, uint32_t seq, uint32_t pid, int32_t err)
{
	struct nlmsgerr e = { .error = err };

	nb_begin(n, NLMSG_ERROR, 0, seq, pid);
	nb_put(n, &e, sizeof(e));
	nb_end(n);
}
