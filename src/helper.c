/* The privileged helper and the monitor's side of it (see helper.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "helper.h"
#include "helper_ns.h"
#include "procsrc.h"
#include "text.h"
#include "util.h"

/* The helper's end of the socketpair after set-up: everything else closed. */
#define HELPER_FD 3
/* Pids listed per PIDS request before the list is cut (as the owner
 * module bounds it). */
#define HELPER_MAX_LISTED 262144

struct sw_helper {
	int fd;
	pid_t pid;
	uint32_t seq;
	bool gone;
	bool closed;                 /* its end of the socket closed: it is exiting */
	char broken[128];
	_Alignas(8) unsigned char buf[PS_REPLY_MAX + 1];
};

static const int helper_caps[] = { CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH };

bool helper_wanted(void)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(helper_caps); i++)
		if (caps_have(helper_caps[i]))
			return true;
	return false;
}

/* ---- the helper ---------------------------------------------------------- */

/* The errors a reply may carry (PS_ERRORS): the ones the monitor acts on
 * as they are, any other as -EIO. */
static int32_t wire_err(int r)
{
	return r == -ESRCH || r == -EACCES || r == -EPERM || r == -ENOMEM ? r : -EIO;
}

static size_t answer_pids(struct sw_procsrc *src, const struct ps_request *req,
			  struct ps_reply_header *h, int32_t *out)
{
	_cleanup_free_ int32_t *pids = NULL;
	size_t n = 0;
	int r = procsrc_list_pids(src, HELPER_MAX_LISTED, &pids, &n);

	if (r < 0) {
		h->err = wire_err(r);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (pids[i] <= req->pid)
			continue;
		if (h->n == PS_MAX_PIDS) {
			h->flags |= PS_MORE;
			break;
		}
		out[h->n++] = pids[i];
		h->next = pids[i];
	}
	return h->n * sizeof(*out);
}

static size_t answer_cgroup(struct sw_procsrc *src, const struct ps_request *req,
			    struct ps_reply_header *h, char *out)
{
	/* One byte more than a reply holds: the read NUL-terminates. */
	ssize_t n = procsrc_cgroup_text(src, req->pid, out, PS_FILE_MAX + 1);

	if (n < 0) {
		h->err = wire_err((int)n);
		return 0;
	}
	h->n = (uint32_t)n;
	return (size_t)n;
}

/* Parsed here, sent as a struct: the text also holds the code and stack
 * addresses that the kernel shows only to a ptrace-capable reader. */
static size_t answer_stat(struct sw_procsrc *src, const struct ps_request *req,
			  struct ps_reply_header *h, struct ps_stat *out)
{
	struct procfs_stat st;
	int r = procsrc_read_stat(src, req->pid, &st);

	if (r < 0) {
		h->err = wire_err(r);
		return 0;
	}
	*out = (struct ps_stat){ .ppid = st.ppid, .starttime = st.starttime };
	_Static_assert(sizeof(out->comm) == sizeof(st.comm), "one comm size");
	/* The name only: the bytes after its NUL are not the helper's to send. */
	memcpy(out->comm, st.comm, strnlen(st.comm, sizeof(out->comm) - 1));
	h->n = 1;
	return sizeof(*out);
}

static size_t answer_fds(struct sw_procsrc *src, const struct ps_request *req,
			 struct ps_reply_header *h, uint32_t *out)
{
	struct procsrc_fds f = { .pid = req->pid, .starttime = req->starttime,
				 .cursor = req->after_fd };
	size_t n = 0;
	int r = procsrc_socket_inodes(src, &f, req->budget, out, &n);

	if (r < 0) {
		h->err = wire_err(r);
		return 0;
	}
	h->n = (uint32_t)n;
	h->examined = f.examined;
	h->next = f.cursor;
	h->starttime = f.starttime;
	if (!f.done)
		h->flags |= PS_MORE;
	return n * sizeof(*out);
}

/* A page of the table; from the start, a fresh listing first. */
static size_t answer_netns_list(struct helper_ns *ns, const struct ps_request *req,
				struct ps_reply_header *h, struct ps_netns *out)
{
	size_t count;
	int r;

	if (!ns) {
		h->err = -EIO;
		return 0;
	}
	if (req->pid == 0) {
		r = helper_ns_list(ns);
		if (r < 0) {
			h->err = wire_err(r);
			return 0;
		}
	}
	count = helper_ns_count(ns);
	for (size_t i = (size_t)req->pid; i < count && h->n < PS_NETNS_PAGE; i++)
		out[h->n++] = *helper_ns_entry(ns, i);
	h->next = req->pid + (int32_t)h->n;
	if ((size_t)h->next < count)
		h->flags |= PS_MORE;
	if (helper_ns_truncated(ns))
		h->flags |= PS_TRUNCATED;
	return h->n * sizeof(*out);
}

static void answer_netns_open(struct helper_ns *ns, const struct ps_request *req,
			      struct ps_reply_header *h, struct helper_out *out)
{
	int r = ns ? helper_ns_open(ns, req->starttime, out->fds) : -EIO;

	if (r == -ENOTRECOVERABLE) {
		out->fatal = "could not return to its own network namespace";
		return;
	}
	if (r < 0) {
		h->err = wire_err(r);
		return;
	}
	h->n = PS_NETNS_FDS;
	out->n_fds = PS_NETNS_FDS;
}

void helper_answer(struct sw_procsrc *src, struct helper_ns *ns, const void *buf, size_t len,
		   void *reply, struct helper_out *out)
{
	struct ps_reply_header h;
	struct ps_request req;
	void *payload = (unsigned char *)reply + sizeof(h);
	size_t plen = 0;

	*out = (struct helper_out){ .fds = { -1, -1, -1, -1, -1 } };
	_Static_assert(PS_NETNS_FDS == 5, "every fd initialised");
	if (ps_request_parse(buf, len, &req, &out->refused) < 0) {
		/* Echo what can be read of it, so the monitor's check fails
		 * on it too. */
		memset(&req, 0, sizeof(req));
		memcpy(&req, buf, SW_MIN(len, sizeof(req)));
		ps_reply_init(&h, &req);
		h.err = -EBADMSG;
	} else {
		ps_reply_init(&h, &req);
		switch (req.type) {
		case PS_PIDS:   plen = answer_pids(src, &req, &h, payload); break;
		case PS_STAT:   plen = answer_stat(src, &req, &h, payload); break;
		case PS_CGROUP: plen = answer_cgroup(src, &req, &h, payload); break;
		case PS_FDS:    plen = answer_fds(src, &req, &h, payload); break;
		case PS_NETNS_LIST: plen = answer_netns_list(ns, &req, &h, payload); break;
		case PS_NETNS_OPEN: answer_netns_open(ns, &req, &h, out); break;
		}
	}
	memcpy(reply, &h, sizeof(h));
	out->len = sizeof(h) + plen;
}

/* One reply, with its fds (if any) in the same message. */
static ssize_t send_reply(int fd, const void *reply, const struct helper_out *out)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * PS_NETNS_FDS)];
	} control;
	struct iovec iov = { .iov_base = (void *)reply, .iov_len = out->len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (out->n_fds > 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * out->n_fds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * out->n_fds);
		memcpy(CMSG_DATA(c), out->fds, sizeof(int) * out->n_fds);
	}
	return sendmsg(fd, &msg, MSG_NOSIGNAL);
}

static int helper_setup(int fd)
{
	int keep[SW_ARRAY_SIZE(helper_caps) + 1], k = 0;

	/* SIGTERM and SIGINT reach the whole group (systemctl stop, Ctrl-C):
	 * the helper leaves when the monitor has, at EOF. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	(void)prctl(PR_SET_NAME, "sockwatchd-priv", 0, 0, 0);
	for (size_t i = 0; i < SW_ARRAY_SIZE(helper_caps); i++)
		if (caps_have(helper_caps[i]))
			keep[k++] = helper_caps[i];
	keep[k] = -1;
	if (caps_keep_only(keep) < 0)
		return -EPERM;
	if (fd != HELPER_FD) {
		if (dup2(fd, HELPER_FD) < 0)
			return -errno;
		close(fd);
	}
	/* Nothing of the monitor's but stdio and this socket. Kernels
	 * before 5.9 have no close_range: then one by one. */
	if (close_range(HELPER_FD + 1, ~0U, 0) < 0) {
		long max = sysconf(_SC_OPEN_MAX);

		if (errno != ENOSYS)
			return -errno;
		for (long i = HELPER_FD + 1; i < (max > 0 ? max : 65536); i++)
			(void)close((int)i);
	}
	return 0;
}

int helper_serve(int fd)
{
	/* Aligned: the payload after the 40-byte header is read as 4- and
	 * 8-byte fields. */
	static _Alignas(8) unsigned char reply[PS_REPLY_MAX];
	unsigned char req[sizeof(struct ps_request) + 1];
	struct sw_procsrc *src;
	struct helper_ns *ns = NULL;
	int r;

	r = helper_setup(fd);
	if (r < 0) {
		fprintf(stderr, "sockwatchd-priv: cannot set up: %s\n", strerror(-r));
		return 1;
	}
	r = procsrc_new_local("/proc", &src);
	if (r < 0) {
		fprintf(stderr, "sockwatchd-priv: cannot open /proc: %s\n", strerror(-r));
		return 1;
	}
	/* Without it (a kernel before 6.11 has no NS_GET_ID) the namespace
	 * requests are answered -EIO and the rest still served. */
	r = helper_ns_new("/proc", &ns);
	if (r < 0)
		fprintf(stderr, "sockwatchd-priv: cannot list network namespaces: %s\n",
			strerror(-r));
	r = 0;
	for (;;) {
		struct helper_out out;
		ssize_t n = recv(HELPER_FD, req, sizeof(req), MSG_TRUNC);
		ssize_t sent;

		if (n == 0)
			break;                   /* the monitor is gone */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "sockwatchd-priv: receive failed: %m\n");
			r = 1;
			break;
		}
		/* MSG_TRUNC gives the real length of a longer message, which
		 * the buffer (one byte longer than a request) cuts: refused. */
		helper_answer(src, ns, req, SW_MIN((size_t)n, sizeof(req)), reply, &out);
		if (out.fatal) {
			fprintf(stderr, "sockwatchd-priv: %s\n", out.fatal);
			r = 1;
			break;
		}
		if (out.refused)
			fprintf(stderr, "sockwatchd-priv: refused a request of %zd bytes: %s\n", n,
				out.refused);
		sent = send_reply(HELPER_FD, reply, &out);
		for (size_t i = 0; i < out.n_fds; i++)
			close(out.fds[i]);
		if (sent < 0) {
			if (errno != EPIPE && errno != ECONNRESET) {
				fprintf(stderr, "sockwatchd-priv: send failed: %m\n");
				r = 1;
			}
			break;
		}
		/* The monitor never sends a malformed request: one that does is
		 * broken or taken over. Refused once, logged once, then the
		 * helper leaves (the monitor then exits too), as OpenBSD's
		 * privileged parents do. */
		if (out.refused) {
			r = 1;
			break;
		}
	}
	helper_ns_free(ns);
	procsrc_free(src);
	/* HELPER_FD stays open: it closes as the process exits, which is how
	 * the monitor tells that the exit is under way. */
	return r;
}

int helper_spawn(struct sw_helper **ret, int *ret_fd)
{
	pid_t parent = getpid(), pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* Flush stdio so the child does not write the parent's buffers again. */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		close(sv[0]);
		/* Dies with the monitor, even when it is killed; and if it
		 * already died before the prctl, goes now. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
			_exit(1);
		*ret = NULL;
		*ret_fd = sv[1];
		return 1;
	}
	close(sv[1]);
	*ret_fd = -1;
	return helper_attach(sv[0], pid, ret);
}

int helper_attach(int fd, pid_t pid, struct sw_helper **ret)
{
	struct sw_helper *h = calloc(1, sizeof(*h));

	if (!h) {
		/* Closing it makes the helper leave; it is reaped as a zombie
		 * of a process that is about to fail anyway. */
		close(fd);
		return -ENOMEM;
	}
	h->fd = fd;
	h->pid = pid;
	*ret = h;
	return 0;
}

/* ---- the monitor's side ------------------------------------------------- */

void helper_mark_broken(struct sw_helper *h, const char *why)
{
	if (!h->broken[0])
		snprintf(h->broken, sizeof(h->broken), "%s", why);
}

static int helper_fail(struct sw_helper *h, int r, const char *why)
{
	helper_mark_broken(h, why);
	return r;
}

uint32_t helper_next_seq(struct sw_helper *h)
{
	return ++h->seq;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* One request and its reply. fds: where the fds of an answer that has some
 * go (PS_NETNS_FDS of them), or NULL when none may come: then any that do
 * are closed and the reply refused. */
static int call(struct sw_helper *h, struct ps_request *req, struct ps_reply_header *ret_h,
		const void **ret_payload, int *fds)
{
	/* One more than an answer holds: more than that is garbage too. */
	enum { FD_ROOM = PS_NETNS_FDS + 1 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * FD_ROOM)];
	} control;
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
	struct iovec iov = { .iov_base = h->buf, .iov_len = sizeof(h->buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	int got[FD_ROOM * 2];
	size_t n_got = 0, want;
	const char *why;
	ssize_t n;
	int r;

	if (h->broken[0])
		return -EPIPE;
	if (send(h->fd, req, sizeof(*req), MSG_NOSIGNAL) != (ssize_t)sizeof(*req)) {
		h->closed = errno == EPIPE || errno == ECONNRESET;
		helper_reap(h);
		return helper_fail(h, -EPIPE, "stopped taking requests");
	}
	do
		r = poll(&pfd, 1, HELPER_REPLY_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return helper_fail(h, -ETIMEDOUT, "did not answer within 5 s");
	if (r < 0)
		return helper_fail(h, -errno, "could not be waited for");
	n = recvmsg(h->fd, &msg, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n > 0)
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			size_t k;

			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k && n_got < SW_ARRAY_SIZE(got); i++)
				memcpy(&got[n_got++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		}
	if (n <= 0) {
		helper_reap(h);
		h->closed = true;
		return helper_fail(h, -EPIPE, "closed its socket");
	}
	if ((size_t)n >= sizeof(h->buf)) {
		close_fds(got, n_got);
		return helper_fail(h, -EBADMSG, "answered garbage: reply too long");
	}
	if (ps_reply_parse(req, h->buf, (size_t)n, ret_h, ret_payload, &why) < 0) {
		char text[96];

		close_fds(got, n_got);
		snprintf(text, sizeof(text), "answered garbage: %s", why);
		return helper_fail(h, -EBADMSG, text);
	}
	want = fds && ret_h->type == PS_NETNS_OPEN && ret_h->err == 0 ? ret_h->n : 0;
	if ((msg.msg_flags & MSG_CTRUNC) || n_got != want) {
		close_fds(got, n_got);
		return helper_fail(h, -EBADMSG, msg.msg_flags & MSG_CTRUNC ?
				   "answered garbage: its fds were cut" :
				   "answered garbage: fds other than announced");
	}
	if (fds)
		for (size_t i = 0; i < PS_NETNS_FDS; i++)
			fds[i] = i < n_got ? got[i] : -1;
	return 0;
}

int helper_call(struct sw_helper *h, struct ps_request *req, struct ps_reply_header *ret_h,
		const void **ret_payload)
{
	return call(h, req, ret_h, ret_payload, NULL);
}

int helper_call_fds(struct sw_helper *h, struct ps_request *req, struct ps_reply_header *ret_h,
		    int fds[PS_NETNS_FDS])
{
	const void *payload;

	for (size_t i = 0; i < PS_NETNS_FDS; i++)
		fds[i] = -1;
	return call(h, req, ret_h, &payload, fds);
}

const char *helper_broken(const struct sw_helper *h)
{
	return h && h->broken[0] ? h->broken : NULL;
}

int helper_fd(const struct sw_helper *h)
{
	return h->fd;
}

pid_t helper_pid(const struct sw_helper *h)
{
	return h->pid;
}

/* Records how the helper ended. */
static void helper_note_status(struct sw_helper *h, int status)
{
	h->gone = true;
	if (WIFSIGNALED(status))
		snprintf(h->broken, sizeof(h->broken), "was killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(h->broken, sizeof(h->broken), "exited with status %d", WEXITSTATUS(status));
}

static bool helper_waitpid(struct sw_helper *h, int flags)
{
	int status;
	pid_t p;

	if (h->gone)
		return true;
	do
		p = waitpid(h->pid, &status, flags);
	while (p < 0 && errno == EINTR);
	if (p != h->pid)
		return false;
	helper_note_status(h, status);
	return true;
}

bool helper_reap(struct sw_helper *h)
{
	return helper_waitpid(h, WNOHANG);
}

bool helper_reap_exiting(struct sw_helper *h)
{
	return helper_waitpid(h, 0);
}

bool helper_closed(const struct sw_helper *h)
{
	return h->closed;
}

/* Whether the helper's end of the socket closed within timeout_ms (its
 * process is exiting), draining what it may still send. */
static bool helper_eof(struct sw_helper *h, int timeout_ms)
{
	struct pollfd p = { .fd = h->fd, .events = POLLIN };
	char buf[256];

	for (;;) {
		int r = poll(&p, 1, timeout_ms);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		n = recv(h->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return true;
	}
}

void helper_free(struct sw_helper *h)
{
	bool exiting = false;

	if (!h)
		return;
	if (h->fd >= 0) {
		/* It leaves at EOF, and its end closes only as its process
		 * exits: waited for (on the monotonic clock, no sleeps), so that
		 * it ends by itself, and a leak checker in it reports, before
		 * PR_SET_PDEATHSIG would kill it. */
		(void)shutdown(h->fd, SHUT_WR);
		exiting = h->gone || helper_eof(h, 5000);
		close(h->fd);
	}
	if (!h->gone && !exiting)
		kill(h->pid, SIGKILL);
	(void)helper_reap_exiting(h);
	free(h);
}
