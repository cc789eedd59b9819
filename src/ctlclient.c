/* The client side of the control socket; see ctlclient.h. */
#include "ctlclient.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "protocol.h"
#include "util.h"

/* Fills err and returns r (a negative errno). */
static int ctl_fail(struct ctlclient_error *err, bool unreachable, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int ctl_fail(struct ctlclient_error *err, bool unreachable, int r, const char *fmt, ...)
{
	va_list ap;

	err->unreachable = unreachable;
	va_start(ap, fmt);
	if (vasprintf(&err->msg, fmt, ap) < 0)
		err->msg = NULL;
	va_end(ap);
	return r;
}

static int remaining_ms(uint64_t deadline)
{
	uint64_t now = util_now_usec();

	if (now >= deadline)
		return 0;
	return (int)SW_MIN((deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC, (uint64_t)INT32_MAX);
}

/* Waits for events on fd until deadline: 1 ready, 0 timed out, -errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int ms = remaining_ms(deadline), n;

		if (ms == 0)
			return 0;
		n = poll(&p, 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n > 0)
			return 1;
	}
}

/* What is left to do is talk JSON to a socket and print: a root
 * sockwatchctl (reload needs uid 0, which the daemon read at connect())
 * keeps no capability for the parser and the renderer. The uid stays. */
static void drop_capabilities(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = { 0 };

	/* Lowering one's own sets cannot fail but with a kernel from before
	 * 2.6.26; then there is nothing better to do than go on. */
	(void)syscall(SYS_capset, &h, d);
}

static int ctl_connect(const char *path, uint64_t timeout_usec, int *ret_fd,
		       struct ctlclient_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = {
		.tv_sec = (time_t)(timeout_usec / USEC_PER_SEC),
		.tv_usec = (suseconds_t)(timeout_usec % USEC_PER_SEC),
	};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return ctl_fail(err, false, -ENAMETOOLONG, "socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ctl_fail(err, false, -errno, "socket: %s", strerror(errno));
	/* A blocking connect() to a daemon whose backlog is full waits, but
	 * only this long. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = errno;
		close(fd);
		switch (r) {
		case ENOENT:
		case ECONNREFUSED:
			return ctl_fail(err, true, -r, "sockwatchd is not running (%s: %s)", path,
					strerror(r));
		case EACCES:
		case EPERM:
			return ctl_fail(err, true, -r,
					"cannot connect to %s: %s (reading needs the socket's group, "
					"see [control] group in sockwatchd.conf(5))",
					path, strerror(r));
		case EAGAIN:
		case EINPROGRESS:
			return ctl_fail(err, true, -r,
					"sockwatchd did not accept the connection on %s in time", path);
		default:
			return ctl_fail(err, true, -r, "cannot connect to %s: %s", path, strerror(r));
		}
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		r = errno;
		close(fd);
		return ctl_fail(err, false, -r, "fcntl: %s", strerror(r));
	}
	*ret_fd = fd;
	return 0;
}

static int ctl_send(int fd, const char *buf, size_t len, uint64_t deadline,
		    struct ctlclient_error *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
		int r;

		if (n >= 0) {
			done += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return ctl_fail(err, true, -errno, "sending to sockwatchd: %s",
					strerror(errno));
		r = wait_fd(fd, POLLOUT, deadline);
		if (r <= 0)
			return ctl_fail(err, true, r == 0 ? -ETIMEDOUT : r,
					"sending to sockwatchd: %s",
					r == 0 ? "timed out" : strerror(-r));
	}
	return 0;
}

/* Reads one reply line (the newline kept) into a malloc'd buffer. */
static int ctl_receive(int fd, uint64_t deadline, char **ret, size_t *ret_len,
		       struct ctlclient_error *err)
{
	size_t len = 0, cap = 64 * 1024;
	_cleanup_free_ char *buf = malloc(cap);
	char *nl = NULL;

	if (!buf)
		return ctl_fail(err, false, -ENOMEM, "out of memory");
	while (!nl) {
		ssize_t n;
		int r;

		if (len == cap) {
			char *nb;

			if (cap >= SW_CTL_REPLY_MAX)
				return ctl_fail(err, false, -E2BIG,
						"reply from sockwatchd over %u bytes", SW_CTL_REPLY_MAX);
			cap = SW_MIN(cap * 2, (size_t)SW_CTL_REPLY_MAX);
			nb = realloc(buf, cap);
			if (!nb)
				return ctl_fail(err, false, -ENOMEM, "out of memory");
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n > 0) {
			nl = memchr(buf + len, '\n', (size_t)n);
			len += (size_t)n;
			continue;
		}
		if (n == 0) {
			if (len > 0)
				break;   /* a reply without its newline is still a reply */
			return ctl_fail(err, true, -ECONNRESET,
					"sockwatchd closed the connection without a reply");
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return ctl_fail(err, true, -errno, "reading from sockwatchd: %s",
					strerror(errno));
		r = wait_fd(fd, POLLIN, deadline);
		if (r <= 0)
			return ctl_fail(err, true, r == 0 ? -ETIMEDOUT : r,
					"no reply from sockwatchd: %s",
					r == 0 ? "timed out" : strerror(-r));
	}
	*ret_len = nl ? (size_t)(nl - buf) + 1 : len;
	*ret = buf;
	buf = NULL;
	return 0;
}

int ctlclient_exchange(const char *path, uint64_t timeout_usec, const char *line, size_t len,
		       char **ret, size_t *ret_len, struct ctlclient_error *err)
{
	_cleanup_close_ int fd = -1;
	uint64_t deadline = util_now_usec() + timeout_usec;
	int r;

	*err = (struct ctlclient_error) { 0 };
	r = ctl_connect(path, timeout_usec, &fd, err);
	if (r < 0)
		return r;
	drop_capabilities();
	r = ctl_send(fd, line, len, deadline, err);
	if (r < 0)
		return r;
	return ctl_receive(fd, deadline, ret, ret_len, err);
}
