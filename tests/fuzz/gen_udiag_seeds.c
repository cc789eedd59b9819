/* Writes the crafted seeds of fuzz_udiag_parse: unix_diag dump replies as
 * a 6.18 kernel sends them for UDIAG_SHOW_NAME | _RQLEN | _UID (path,
 * relative, abstract, autobind and seqpacket listeners, a queue over its
 * limit, a dump of two 32 KiB parts) and the malformed cases
 * tests/check_udiag.c feeds the parser. Usage: gen_udiag_seeds DIR
 * (writes DIR/udiag_parse/). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/tcp.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "fuzz_diag.h"

#define TARGET "udiag_parse"

static char outdir[4096];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

struct buf {
	uint8_t b[2 * FUZZ_DIAG_PART];
	size_t len, msg;
};

static void put(struct buf *n, const void *p, size_t len)
{
	if (n->len + len > sizeof(n->b)) {
		fprintf(stderr, "gen_udiag_seeds: buffer full\n");
		exit(1);
	}
	memcpy(n->b + n->len, p, len);
	n->len += len;
}

static void pad(struct buf *n)
{
	static const uint8_t zero[NLMSG_ALIGNTO];

	put(n, zero, NLMSG_ALIGN(n->len) - n->len);
}

static void begin(struct buf *n, uint16_t type, uint16_t flags)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = flags | NLM_F_MULTI,
			      .nlmsg_seq = 7, .nlmsg_pid = 4242 };

	n->msg = n->len;
	put(n, &h, sizeof(h));
}

static void end(struct buf *n)
{
	uint32_t len = (uint32_t)(n->len - n->msg);

	memcpy(n->b + n->msg, &len, sizeof(len));
	pad(n);
}

static void attr(struct buf *n, uint16_t type, const void *data, size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type };

	put(n, &a, sizeof(a));
	put(n, data, len);
	pad(n);
}

static void umsg(struct buf *n, uint8_t type, uint8_t state, uint32_t ino)
{
	struct unix_diag_msg m = { .udiag_family = AF_UNIX, .udiag_type = type,
				   .udiag_state = state, .udiag_ino = ino,
				   .udiag_cookie = { ino * 3, 0 } };

	put(n, &m, sizeof(m));
}

static void rqlen(struct buf *n, uint32_t rq, uint32_t wq)
{
	struct unix_diag_rqlen q = { rq, wq };

	attr(n, UNIX_DIAG_RQLEN, &q, sizeof(q));
}

static void uid(struct buf *n, uint32_t u)
{
	attr(n, UNIX_DIAG_UID, &u, sizeof(u));
}

static void listener(struct buf *n, uint8_t type, const char *name, size_t nlen, uint32_t rq,
		     uint32_t wq, uint32_t ino)
{
	begin(n, SOCK_DIAG_BY_FAMILY, 0);
	umsg(n, type, TCP_LISTEN, ino);
	attr(n, UNIX_DIAG_NAME, name, nlen);
	rqlen(n, rq, wq);
	uid(n, 33);
	end(n);
}

static void done(struct buf *n, int32_t e)
{
	begin(n, NLMSG_DONE, 0);
	put(n, &e, sizeof(e));
	end(n);
}

static void seed(const char *name, const struct buf *n)
{
	char path[8192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "we");
	if (!f)
		die(path);
	if (n->len && fwrite(n->b, 1, n->len, f) != n->len)
		die(path);
	if (fclose(f) != 0)
		die(path);
}

#define L(n, type, s, rq, wq, ino) listener(n, type, s, sizeof(s) - 1, rq, wq, ino)

static struct buf B;

static struct buf *fresh(void)
{
	memset(&B, 0, sizeof(B));
	return &B;
}

int main(int argc, char **argv)
{
	struct buf *n;
	struct nlattr a;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	snprintf(outdir, sizeof(outdir), "%s/" TARGET, argv[1]);
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST)
		die(outdir);

	n = fresh();
	L(n, SOCK_STREAM, "/run/php/php8.2-fpm.sock\0", 17, 16, 1);
	L(n, SOCK_STREAM, "rel.sock\0", 0, 5, 2);
	L(n, SOCK_STREAM, "\0sw-abs\0x", 0, 3, 3);
	L(n, SOCK_STREAM, "\0" "0001f", 0, 4096, 4);
	L(n, SOCK_SEQPACKET, "/run/seq.sock\0", 3, 2, 5);
	L(n, SOCK_STREAM, "/run/zero.sock\0", 1, 0, 6);
	L(n, SOCK_STREAM, "/tmp/a\x01" "b\xc2\x9b.sock\0", 0, 7, 7);
	done(n, 0);
	seed("kinds-done", n);

	/* A dump of two parts, each padded to 32 KiB as the kernel fills them. */
	n = fresh();
	for (uint32_t i = 0; n->len < FUZZ_DIAG_PART - 200; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/run/app/w%u.sock", i);
		listener(n, i % 5 ? SOCK_STREAM : SOCK_SEQPACKET, p, strlen(p) + 1, i % 7, 128,
			 100 + i);
	}
	n->len = FUZZ_DIAG_PART;
	L(n, SOCK_STREAM, "/run/last.sock\0", 0, 1, 99);
	done(n, 0);
	seed("two-parts", n);

	n = fresh();
	begin(n, SOCK_DIAG_BY_FAMILY, 0);
	umsg(n, SOCK_DGRAM, TCP_LISTEN, 1);
	end(n);
	begin(n, SOCK_DIAG_BY_FAMILY, 0);
	umsg(n, SOCK_STREAM, TCP_ESTABLISHED, 2);
	end(n);
	begin(n, SOCK_DIAG_BY_FAMILY, 0);
	put(n, "\x01\x01\x0a", 3);
	end(n);
	begin(n, SOCK_DIAG_BY_FAMILY, 0);
	umsg(n, SOCK_STREAM, TCP_LISTEN, 3);
	end(n);
	done(n, 0);
	seed("kinds-skipped", n);

	n = fresh();
	begin(n, SOCK_DIAG_BY_FAMILY, 0);
	umsg(n, SOCK_STREAM, TCP_LISTEN, 5);
	attr(n, UNIX_DIAG_NAME, "/run/a.sock", 11);              /* no NUL */
	attr(n, UNIX_DIAG_NAME, "/a\0", 3);                      /* a duplicate */
	attr(n, UNIX_DIAG_RQLEN, "\x11\0\0\0", 4);               /* short */
	rqlen(n, 1, 2);
	rqlen(n, 3, 4);                                          /* a duplicate */
	attr(n, UNIX_DIAG_UID, "\x21\0", 2);                     /* short */
	uid(n, 1);
	uid(n, 2);
	{
		struct unix_diag_vfs v = { 1, 2 };

		attr(n, UNIX_DIAG_VFS, &v, sizeof(v));
	}
	end(n);
	begin(n, SOCK_DIAG_BY_FAMILY, 0);
	umsg(n, SOCK_STREAM, TCP_LISTEN, 6);
	attr(n, UNIX_DIAG_NAME, "/run/a\0sock\0", 12);           /* cut by a NUL */
	attr(n, UNIX_DIAG_NAME, "", 0);
	end(n);
	done(n, 0);
	seed("bad-attrs", n);

	n = fresh();
	begin(n, SOCK_DIAG_BY_FAMILY, 0);
	umsg(n, SOCK_STREAM, TCP_LISTEN, 5);
	a = (struct nlattr){ .nla_len = 200, .nla_type = UNIX_DIAG_NAME };
	put(n, &a, sizeof(a));
	put(n, "/run/a.sock\0", 12);
	rqlen(n, 17, 16);
	end(n);
	L(n, SOCK_STREAM, "/b\0", 0, 1, 7);
	done(n, 0);
	seed("attr-past-msg", n);

	n = fresh();
	L(n, SOCK_STREAM, "/run/php/fpm.sock\0", 17, 16, 1);
	n->len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct unix_diag_msg)) + NLA_HDRLEN + 5;
	seed("msg-cut-in-name", n);

	n = fresh();
	L(n, SOCK_STREAM, "/a\0", 0, 1, 1);
	done(n, -ENOBUFS);
	seed("done-enobufs", n);

	n = fresh();
	begin(n, NLMSG_ERROR, 0);
	{
		struct nlmsgerr e = { .error = -EPERM };

		put(n, &e, sizeof(e));
	}
	end(n);
	seed("error-eperm", n);

	n = fresh();
	begin(n, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP_INTR);
	umsg(n, SOCK_STREAM, TCP_LISTEN, 5);
	end(n);
	seed("intr", n);
	return 0;
}
