/* Turns events into journal entries (journald's native protocol on a
 * datagram socket of our own, without CODE_FILE and friends) or, without
 * journald, into one stderr line each. While the journal is unreachable the
 * entries also wait in a bounded queue and are sent, marked as delayed,
 * once it is back. The words are message.c's, the datagram journal_wire.c's:
 * this file is the transport. */
#include "journal.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/limits.h>   /* PIPE_BUF; <limits.h> would find src/limits.h */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "journal_wire.h"
#include "message.h"
#include "util.h"

/* A stderr line is written with one write(2) no longer than PIPE_BUF, so a
 * pipe (journald's stdout stream, a log collector) never interleaves it with
 * another writer's output. */
#define JOURNAL_LINE_MAX PIPE_BUF

/* Between two attempts to reach a journal that failed, at most this long
 * passes in stderr mode: cheap enough to try, rare enough not to spin. */
#define JOURNAL_RETRY_USEC USEC_PER_SEC
/* The longest one send waits for journald to take a datagram (its queue
 * holds only net.unix.max_dgram_qlen of them): a busy journald gets this
 * long, a hung one costs no more per retry. */
#define JOURNAL_SEND_TIMEOUT_USEC (50 * USEC_PER_MSEC)

/* One entry waiting for the journal: its datagram, delayed fields included. */
struct journal_qent {
	size_t len;
	char data[];
};

struct sw_journal {
	enum sw_log_target target;
	int level;
	/* Sending to the journal failed (or, with auto, the socket was not
	 * there): use stderr, and try again no earlier than retry_usec. */
	bool down;
	uint64_t retry_usec, retry_interval_usec;
	uint64_t down_since_usec;
	int err_fd;
	int err_is_socket;           /* -1: not looked at yet */
	int sock_fd;                 /* -1 until the first send */
	char *socket_path;           /* NULL: SW_JOURNAL_SOCKET */

	/* Ring of entries waiting for the journal; queue_max 0: no queue. */
	struct journal_qent **queue;
	size_t queue_max, q_head, q_n, q_bytes;
	uint64_t dropped, dropped_unsaid, replayed, outages, stderr_lost;

	char fields[JOURNAL_FIELDBUF_MAX];
	char wire[JOURNAL_WIRE_MAX];
};


/* ---------------------------------------------------------------------- */
/* Output */

/* Whether fd is a socket: then a full buffer (a hung journald behind the
 * service's stderr stream) is met with MSG_DONTWAIT instead of blocking the
 * poll loop. Pipes, files and terminals are written as usual. */
static bool journal_fd_is_socket(int fd)
{
	int type;
	socklen_t len = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
}

/* One write(2) per line; only a signal or a full disk makes it partial, and
 * then the rest follows at once. To a socket that does not take the line
 * now, the rest of the line is lost and -EAGAIN returned. */
static int journal_write_line(struct sw_journal *j, char *line, size_t n)
{
	size_t off = 0;

	if (j->err_is_socket < 0)
		j->err_is_socket = journal_fd_is_socket(j->err_fd);
	line[n++] = '\n';
	while (off < n) {
		ssize_t w;

		if (j->err_is_socket)
			w = send(j->err_fd, line + off, n - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			w = write(j->err_fd, line + off, n - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				j->stderr_lost++;
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
		if (w == 0)
			return -EIO;
		off += (size_t)w;
	}
	return 0;
}

/* The result of formatting into a buffer with room for the newline too:
 * a truncated line still goes out, marked. */
static size_t journal_line_len(char *buf, size_t size, int r)
{
	size_t n = strlen(buf);

	if (r == -ENOBUFS && n >= 3 && size >= 4)
		memcpy(buf + n - 3, "...", 3);
	return n;
}

static void journal_stderr_note(struct sw_journal *j, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void journal_stderr_note(struct sw_journal *j, int prio, const char *fmt, ...)
{
	char msg[512], line[JOURNAL_LINE_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = message_build_line(message_prio_name(prio), NULL, msg, (int)getpid(),
			       line, sizeof(line) - 1);
	(void)journal_write_line(j, line, journal_line_len(line, sizeof(line) - 1, r));
}

static const char *journal_socket_path(const struct sw_journal *j)
{
	return j->socket_path ? j->socket_path : SW_JOURNAL_SOCKET;
}

/* Our own datagram socket rather than sd_journal_sendv(), which blocks for
 * as long as journald does not read (its queue holds only
 * net.unix.max_dgram_qlen datagrams): a hung journald costs a send at most
 * JOURNAL_SEND_TIMEOUT_USEC, then the entry goes to stderr and the queue.
 * Unconnected, so a restarted journald's new socket is simply the next
 * destination. */
static int journal_sock(struct sw_journal *j)
{
	struct timeval tv = {
		.tv_sec = JOURNAL_SEND_TIMEOUT_USEC / USEC_PER_SEC,
		.tv_usec = JOURNAL_SEND_TIMEOUT_USEC % USEC_PER_SEC,
	};

	if (j->sock_fd >= 0)
		return 0;
	j->sock_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (j->sock_fd < 0)
		return -errno;
	if (setsockopt(j->sock_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		int r = -errno;

		close(j->sock_fd);
		j->sock_fd = -1;
		return r;
	}
	return 0;
}

static int journal_sendto(struct sw_journal *j, const char *buf, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = journal_socket_path(j);
	size_t plen = strlen(path);
	int r;

	if (plen >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, plen + 1);
	r = journal_sock(j);
	if (r < 0)
		return r;
	for (;;) {
		ssize_t n = sendto(j->sock_fd, buf, len, MSG_NOSIGNAL, (struct sockaddr *)&sa,
				   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1));

		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
}

/* ---- the queue of entries waiting for the journal --------------------- */

static void journal_queue_pop(struct sw_journal *j)
{
	struct journal_qent *e = j->queue[j->q_head];

	j->q_bytes -= e->len;
	free(e);
	j->queue[j->q_head] = NULL;
	j->q_head = (j->q_head + 1) % j->queue_max;
	j->q_n--;
}

static void journal_queue_clear(struct sw_journal *j)
{
	while (j->q_n)
		journal_queue_pop(j);
	j->dropped_unsaid = 0;
}

/* Keeps the datagram wire[0..len) for the journal, marked as delayed and
 * with the time it was raised. The oldest entries make room when the queue
 * is full: all of them went to stderr at the time anyway, and the latest
 * are the ones that tell the state of things. */
static void journal_queue_push(struct sw_journal *j, const char *wire, size_t len)
{
	char extra[128];
	struct journal_qent *e;
	struct timespec ts;
	int xl;

	if (!j->queue_max || !len)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	xl = snprintf(extra, sizeof(extra),
		      "SOCKWATCH_DELAYED=1\nSOCKWATCH_ORIGINAL_TIME_USEC=%" PRIu64 "\n",
		      (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	if (xl < 0 || (size_t)xl >= sizeof(extra))
		return;
	e = malloc(sizeof(*e) + len + (size_t)xl);
	if (!e) {
		j->dropped++;
		j->dropped_unsaid++;
		return;
	}
	e->len = len + (size_t)xl;
	memcpy(e->data, wire, len);
	memcpy(e->data + len, extra, (size_t)xl);
	while (j->q_n && (j->q_n >= j->queue_max || j->q_bytes + e->len > SW_JOURNAL_QUEUE_BYTES_MAX)) {
		journal_queue_pop(j);
		j->dropped++;
		j->dropped_unsaid++;
	}
	j->queue[(j->q_head + j->q_n) % j->queue_max] = e;
	j->q_n++;
	j->q_bytes += e->len;
}

/* ---- reaching the journal -------------------------------------------- */

static int journal_send_note(struct sw_journal *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int journal_send_note(struct sw_journal *j, const char *fmt, ...)
{
	char buf[768];
	va_list ap;
	int n, m;

	n = snprintf(buf, sizeof(buf), "PRIORITY=%d\nSYSLOG_IDENTIFIER=sockwatchd\nMESSAGE=",
		     LOG_NOTICE);
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)(n + m) >= sizeof(buf) - 1)
		return -ENOBUFS;
	buf[n + m] = '\n';
	return journal_sendto(j, buf, (size_t)(n + m + 1));
}

/* Sending failed with r: stderr from now on, and say so once per outage on
 * the channel that still works. */
static void journal_went_down(struct sw_journal *j, int r)
{
	uint64_t now = util_now_usec();
	bool was_down = j->down;

	j->down = true;
	j->retry_usec = now + j->retry_interval_usec;
	if (was_down)
		return;
	j->outages++;
	j->down_since_usec = now;
	if (j->queue_max)
		journal_stderr_note(j, LOG_WARNING,
				    "cannot send to the journal (%s): writing to stderr until it "
				    "is back, and keeping the entries (at most %zu) to send then",
				    strerror(-r), j->queue_max);
	else
		journal_stderr_note(j, LOG_WARNING,
				    "cannot send to the journal (%s): writing to "
				    "stderr until it is back", strerror(-r));
}

/* Sends what waited for the journal, oldest first; force: whatever the
 * retry interval says. 0 when nothing waits any more (or stderr is the
 * target), -EAGAIN when it is not time to try, else the send error. */
static int journal_flush_now(struct sw_journal *j, bool force)
{
	uint64_t now;
	int r;

	if (j->target == SW_LOG_STDERR)
		return 0;
	if (j->down) {
		now = util_now_usec();
		if (!force && now < j->retry_usec)
			return -EAGAIN;
		j->retry_usec = now + j->retry_interval_usec;
		/* The notice doubles as the probe. */
		if (j->queue_max)
			r = journal_send_note(j, "journal reachable again after %" PRIu64 " ms; "
					      "the entries raised meanwhile (%zu) follow, marked "
					      "SOCKWATCH_DELAYED=1",
					      (uint64_t)(j->down_since_usec ?
							 (now - j->down_since_usec) / USEC_PER_MSEC : 0),
					      j->q_n);
		else
			r = journal_send_note(j, "journal reachable again; entries in between "
					      "went to stderr");
		if (r < 0)
			return r;
		j->down = false;
	}
	while (j->q_n) {
		struct journal_qent *e = j->queue[j->q_head];

		r = journal_sendto(j, e->data, e->len);
		if (r < 0) {
			journal_went_down(j, r);
			return r;
		}
		journal_queue_pop(j);
		j->replayed++;
	}
	if (j->dropped_unsaid) {
		r = journal_send_note(j, "%" PRIu64 " entries raised while the journal was "
				      "unreachable could not be kept for it (at most %zu are): "
				      "only stderr has them", j->dropped_unsaid, j->queue_max);
		if (r < 0) {
			journal_went_down(j, r);
			return r;
		}
		j->dropped_unsaid = 0;
	}
	return 0;
}

/* Sends one entry; false when it has to go to stderr instead (it is then
 * also queued for the journal, when queueing is on). */
static bool journal_send(struct sw_journal *j, const struct iovec *iov, size_t n)
{
	size_t len;
	int r;

	if (j->target == SW_LOG_STDERR)
		return false;
	len = journal_wire_encode(j->wire, sizeof(j->wire), iov, n);
	if (len == 0)
		return false;
	/* Older entries first, so the journal keeps their order. */
	r = journal_flush_now(j, false);
	if (r == 0)
		r = journal_sendto(j, j->wire, len);
	if (r < 0) {
		if (r != -EAGAIN || !j->down)
			journal_went_down(j, r);
		journal_queue_push(j, j->wire, len);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------------- */
/* Public API */

static bool journal_socket_exists(const struct sw_journal *j)
{
	return access(journal_socket_path(j), F_OK) == 0;
}

static void journal_reset(struct sw_journal *j, enum sw_log_target target, int level)
{
	j->target = target;
	j->level = level;
	if (target == SW_LOG_STDERR) {
		/* Nothing will go to the journal: what waited for it is in
		 * stderr already. */
		journal_queue_clear(j);
		j->down = false;
		return;
	}
	if (j->down) {
		/* Still down as far as we know: try again at the next entry. */
		j->retry_usec = 0;
		return;
	}
	/* auto starts in stderr mode without a socket, silently; a later retry
	 * (at most once per retry interval) notices journald coming up. */
	j->down = target == SW_LOG_AUTO && !journal_socket_exists(j);
	if (j->down) {
		j->down_since_usec = util_now_usec();
		j->retry_usec = j->down_since_usec + j->retry_interval_usec;
	}
}

int journal_open(enum sw_log_target target, int level, struct sw_journal **ret)
{
	struct sw_journal *j;

	if (!ret)
		return -EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->err_fd = STDERR_FILENO;
	j->err_is_socket = -1;
	j->sock_fd = -1;
	j->retry_interval_usec = JOURNAL_RETRY_USEC;
	journal_reset(j, target, level);
	*ret = j;
	return 0;
}

void journal_close(struct sw_journal *j)
{
	if (!j)
		return;
	/* A last chance for what waited: the daemon is stopping. */
	if (j->q_n)
		(void)journal_flush_now(j, true);
	journal_queue_clear(j);
	free(j->queue);
	if (j->sock_fd >= 0)
		close(j->sock_fd);
	free(j->socket_path);
	free(j);
}

void journal_set(struct sw_journal *j, enum sw_log_target target, int level)
{
	if (j)
		journal_reset(j, target, level);
}

int journal_set_queue(struct sw_journal *j, size_t max_entries)
{
	struct journal_qent **q = NULL;

	if (!j || max_entries > SW_JOURNAL_QUEUE_MAX_LIMIT)
		return -EINVAL;
	if (max_entries) {
		q = calloc(max_entries, sizeof(*q));
		if (!q)
			return -ENOMEM;
	}
	/* Keep what is queued, as far as it fits, oldest first out. */
	for (size_t i = 0; i < j->q_n; i++) {
		struct journal_qent *e = j->queue[(j->q_head + i) % j->queue_max];

		if (q && i + max_entries >= j->q_n) {
			q[i + max_entries - j->q_n] = e;
		} else {
			free(e);
			j->dropped++;
		}
	}
	free(j->queue);
	j->queue = q;
	j->queue_max = max_entries;
	j->q_head = 0;
	j->q_n = SW_MIN(j->q_n, max_entries);
	j->q_bytes = 0;
	for (size_t i = 0; i < j->q_n; i++)
		j->q_bytes += j->queue[i]->len;
	return 0;
}

int journal_set_socket(struct sw_journal *j, const char *path, uint64_t retry_usec)
{
	char *p = NULL;

	if (!j)
		return -EINVAL;
	if (path) {
		if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
			return -ENAMETOOLONG;
		p = strdup(path);
		if (!p)
			return -ENOMEM;
	}
	free(j->socket_path);
	j->socket_path = p;
	j->retry_interval_usec = retry_usec ? retry_usec : JOURNAL_RETRY_USEC;
	journal_reset(j, j->target, j->level);
	return 0;
}

int journal_flush(struct sw_journal *j)
{
	if (!j)
		return -EINVAL;
	return journal_flush_now(j, false);
}

void journal_get_stats(const struct sw_journal *j, struct sw_journal_stats *ret)
{
	*ret = (struct sw_journal_stats){
		.active = j->target != SW_LOG_STDERR,
		.reachable = j->target != SW_LOG_STDERR && !j->down,
		.outages = j->outages,
		.queued = j->q_n,
		.queued_bytes = j->q_bytes,
		.queue_max = j->queue_max,
		.replayed = j->replayed,
		.dropped = j->dropped,
		.stderr_lost = j->stderr_lost,
	};
}

int journal_emit(struct sw_journal *j, const struct sw_event *ev)
{
	char msg[SW_MESSAGE_MAX], line[JOURNAL_LINE_MAX];
	struct journal_fields f;
	int r;

	if (!j || !ev)
		return -EINVAL;
	/* A message cut short still says what happened: send it. */
	(void)message_format(ev, msg, sizeof(msg));

	if (j->target != SW_LOG_STDERR) {
		journal_wire_fields_init(&f, j->fields, sizeof(j->fields));
		journal_wire_event_fields(&f, ev, msg);
		if (f.err == 0 && journal_send(j, f.iov, f.n))
			return 0;
	}
	r = message_line_from(ev, msg, (int)getpid(), line, sizeof(line) - 1);
	return journal_write_line(j, line, journal_line_len(line, sizeof(line) - 1, r));
}

void journal_log(struct sw_journal *j, int prio, const char *fmt, ...)
{
	char msg[SW_MESSAGE_MAX], line[JOURNAL_LINE_MAX];
	struct journal_fields f;
	va_list ap;
	int r, saved = errno;

	if (!j || prio > j->level)
		return;
	va_start(ap, fmt);
	errno = saved;   /* so that %m means the caller's errno */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (j->target != SW_LOG_STDERR) {
		journal_wire_fields_init(&f, j->fields, sizeof(j->fields));
		journal_wire_field(&f, "MESSAGE=%s", msg);
		journal_wire_field(&f, "PRIORITY=%d", prio);
		journal_wire_field(&f, "SYSLOG_IDENTIFIER=sockwatchd");
		if (f.err == 0 && journal_send(j, f.iov, f.n)) {
			errno = saved;
			return;
		}
	}
	r = message_build_line(message_prio_name(prio), NULL, msg, (int)getpid(),
			       line, sizeof(line) - 1);
	(void)journal_write_line(j, line, journal_line_len(line, sizeof(line) - 1, r));
	errno = saved;
}
