/* notifyrecv: the receiving end of sd_notify(3) for the integration tests,
 * standing in for the service manager's NOTIFY_SOCKET.
 *
 *   notifyrecv --socket PATH [--mode OCTAL] [--max N] [--ready-file F]
 *
 * Binds an AF_UNIX datagram socket at PATH (mode 0666 by default, so that a
 * daemon running as another user can send to it, as to systemd's own
 * /run/systemd/notify) and prints, for each datagram, one line per
 * assignment in it:
 *
 *   <monotonic ms> <sender pid> <sender uid> NAME=VALUE
 *
 * The sender's pid and uid are the kernel's (SCM_CREDENTIALS), as systemd
 * checks them for NotifyAccess=main. A datagram too long for systemd
 * (over 4096 bytes) prints "TRUNCATED" instead. stdout is flushed after
 * every datagram. Writes the ready file (atomically, by rename) once the
 * socket exists; stops at SIGTERM or SIGINT, or after N datagrams (default
 * 100000), and removes the socket. Exit status: 0 after a signal, 1 on an
 * error or when N is reached, 2 on bad usage. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* systemd's own limit for one notification (NOTIFY_BUFFER_MAX, PIPE_BUF). */
#define NOTIFYRECV_MSG_MAX 4096

static volatile sig_atomic_t notifyrecv_stop;

static void notifyrecv_on_signal(int sig)
{
	notifyrecv_stop = 1;
}

static void notifyrecv_usage(FILE *f)
{
	fputs("usage: notifyrecv --socket PATH [--mode OCTAL] [--max N] [--ready-file F]\n", f);
}

static uint64_t notifyrecv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int notifyrecv_ready_file(const char *path)
{
	char *tmp = NULL;
	FILE *f;
	int r = 0;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	f = fopen(tmp, "we");
	if (!f) {
		r = -errno;
	} else {
		bool bad = fprintf(f, "%d\n", (int)getpid()) < 0;

		if (fclose(f) != 0 || bad)
			r = -EIO;
		else if (rename(tmp, path) < 0)
			r = -errno;
	}
	free(tmp);
	return r;
}

/* Prints one datagram, one line per newline-separated assignment. */
static void notifyrecv_print(const char *buf, size_t len, const struct ucred *cred)
{
	uint64_t ms = notifyrecv_now_ms();
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;

		if (end > i)
			printf("%llu %d %u %.*s\n", (unsigned long long)ms, (int)cred->pid,
			       (unsigned)cred->uid, (int)(end - i), buf + i);
		i = end + 1;
	}
	fflush(stdout);
}

/* Signals are blocked except inside ppoll(), so one that arrives between
 * the check of notifyrecv_stop and the wait cannot be missed. */
static int notifyrecv_loop(int fd, long max, const sigset_t *waitmask)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	char buf[NOTIFYRECV_MSG_MAX + 1];
	long n = 0;

	while (!notifyrecv_stop) {
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = &control, .msg_controllen = sizeof(control),
		};
		struct ucred cred = { .pid = -1, .uid = (uid_t)-1, .gid = (gid_t)-1 };
		struct cmsghdr *c;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t len;

		if (ppoll(&pfd, 1, NULL, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			perror("notifyrecv: ppoll");
			return 1;
		}
		len = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("notifyrecv: recvmsg");
			return 1;
		}
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
			    c->cmsg_len == CMSG_LEN(sizeof(cred)))
				memcpy(&cred, CMSG_DATA(c), sizeof(cred));
		if ((mh.msg_flags & MSG_TRUNC) || (size_t)len > NOTIFYRECV_MSG_MAX)
			notifyrecv_print("TRUNCATED", strlen("TRUNCATED"), &cred);
		else
			notifyrecv_print(buf, (size_t)len, &cred);
		if (++n >= max) {
			fprintf(stderr, "notifyrecv: %ld datagrams, stopping\n", n);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket",     required_argument, NULL, 's' },
		{ "mode",       required_argument, NULL, 'm' },
		{ "max",        required_argument, NULL, 'n' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "help",       no_argument,       NULL, 'h' },
		{}
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sigaction act = { .sa_handler = notifyrecv_on_signal };
	const char *path = NULL, *ready = NULL;
	sigset_t block, waitmask;
	unsigned long mode = 0666;
	long max = 100000;
	char *end;
	int c, fd, one = 1, rc;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'm':
			errno = 0;
			mode = strtoul(optarg, &end, 8);
			if (errno || end == optarg || *end || mode > 07777) {
				fprintf(stderr, "notifyrecv: bad --mode '%s'\n", optarg);
				return 2;
			}
			break;
		case 'n':
			errno = 0;
			max = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || max < 1) {
				fprintf(stderr, "notifyrecv: bad --max '%s'\n", optarg);
				return 2;
			}
			break;
		case 'r':
			ready = optarg;
			break;
		case 'h':
			notifyrecv_usage(stdout);
			return 0;
		default:
			notifyrecv_usage(stderr);
			return 2;
		}
	}
	if (!path || optind < argc) {
		notifyrecv_usage(stderr);
		return 2;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "notifyrecv: socket path too long\n");
		return 2;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);

	sigemptyset(&act.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	if (sigprocmask(SIG_BLOCK, &block, &waitmask) < 0 ||
	    sigaction(SIGTERM, &act, NULL) < 0 || sigaction(SIGINT, &act, NULL) < 0) {
		perror("notifyrecv: sigaction");
		return 1;
	}

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("notifyrecv: socket");
		return 1;
	}
	/* The sender's credentials come with each datagram only when asked for. */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		perror("notifyrecv: SO_PASSCRED");
		close(fd);
		return 1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "notifyrecv: bind %s: %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	if (chmod(path, (mode_t)mode) < 0) {
		fprintf(stderr, "notifyrecv: chmod %s: %s\n", path, strerror(errno));
		rc = 1;
		goto out;
	}
	if (ready && (rc = notifyrecv_ready_file(ready)) < 0) {
		fprintf(stderr, "notifyrecv: ready file %s: %s\n", ready, strerror(-rc));
		rc = 1;
		goto out;
	}
	rc = notifyrecv_loop(fd, max, &waitmask);
out:
	unlink(path);
	close(fd);
	return rc;
}
