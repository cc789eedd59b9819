/* control: a real control socket on sd-event in a temporary directory,
 * with a fake handler. The test is its own client: it drives the loop one
 * iteration at a time between its own non-blocking reads and writes, so
 * no threads and no sleeps decide the outcome. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkrun.h"
#include "control.h"
#include "protocol.h"
#include "util.h"

/* Short limits, so that timeouts are tested in a fraction of a second. */
#define TEST_TIMEOUT_USEC (300 * USEC_PER_MSEC)
#define WAIT_MS 3000

static sd_event *event;
static struct sw_control *ctl;
static char base[64], dir[96], path[128];
static unsigned handler_calls;
static uid_t handler_uid;
static size_t big_reply;          /* status replies carry this many bytes */
static uint64_t longest_iteration_usec;

static int fake_handler(void *userdata, const struct sw_ctl_request *req, uid_t peer_uid,
			struct sw_control_reply *ret)
{
	struct json_object *o;

	handler_calls++;
	handler_uid = peer_uid;
	switch (req->cmd) {
	case SW_CTL_STATUS:
		o = json_object_new_object();
		json_object_object_add(o, "version", json_object_new_int(1));
		json_object_object_add(o, "listeners", json_object_new_array());
		json_object_object_add(o, "filters", json_object_new_int((int)req->n_listeners));
		if (big_reply) {
			char *pad = malloc(big_reply + 1);

			memset(pad, 'p', big_reply);
			pad[big_reply] = 0;
			json_object_object_add(o, "pad", json_object_new_string(pad));
			free(pad);
		}
		ret->object = o;
		return 0;
	case SW_CTL_SHOW:
		/* A line the handler formatted itself, as the daemon's status is. */
		if (asprintf(&ret->line, "{\"line\":true,\"listener\":\"%s\"}\n", req->listener) < 0)
			return -ENOMEM;
		ret->len = strlen(ret->line);
		return 0;
	case SW_CTL_RELOAD:
		ret->object = protocol_ok_reply();
		return 0;
	case SW_CTL_CHECK:
		return -EIO;
	default:
		ret->object = protocol_version_reply();
		return 0;
	}
}

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(p);
	return 0;
}

/* One directory for the whole run, made and removed by the parent process:
 * a failed assertion ends a test's process without its teardown. 0755, so
 * that the unprivileged child of test_reload_needs_root can reach into it. */
static void base_setup(void)
{
	snprintf(base, sizeof(base), "/tmp/swctl.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	ck_assert_int_eq(chmod(base, 0755), 0);
}

static void base_teardown(void)
{
	nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* The socket goes in a directory control_new has to create. */
	snprintf(path, sizeof(path), "%s/run/control", dir);
	ck_assert_int_eq(sd_event_new(&event), 0);
	ck_assert_int_eq(control_new(event, path, NULL, fake_handler, NULL, &ctl), 0);
	control_set_limits(ctl, SW_CONTROL_MAX_CLIENTS, TEST_TIMEOUT_USEC);
	handler_calls = 0;
	big_reply = 0;
	longest_iteration_usec = 0;
}

static void teardown(void)
{
	control_free(ctl);
	ctl = NULL;
	sd_event_unref(event);
	event = NULL;
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* One loop iteration, waiting at most 1 ms; remembers the longest one, so
 * tests can assert that no client ever held the loop. */
/* The name of nobody's group (nogroup on Debian, nobody elsewhere):
 * control takes group names only, as the config does. */
static const char *nobody_group(void)
{
	struct group *g = getgrgid(65534);

	ck_assert_msg(g != NULL, "no group with gid 65534");
	return g->gr_name;
}

static void iterate(void)
{
	uint64_t t0 = util_now_usec(), d;

	ck_assert_int_ge(sd_event_run(event, USEC_PER_MSEC), 0);
	d = util_now_usec() - t0;
	if (d > longest_iteration_usec)
		longest_iteration_usec = d;
}

static void pump_ms(unsigned ms)
{
	uint64_t end = util_now_usec() + ms * USEC_PER_MSEC;

	while (util_now_usec() < end)
		iterate();
}

static void set_sun(struct sockaddr_un *sa, const char *p)
{
	ck_assert_uint_lt(strlen(p), sizeof(sa->sun_path));
	memcpy(sa->sun_path, p, strlen(p) + 1);
}

static int connect_to(const char *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	set_sun(&sa, p);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect %s: %m", p);
	return fd;
}

static void send_all(int fd, const char *s, size_t len)
{
	ck_assert_int_eq(send(fd, s, len, MSG_NOSIGNAL), (ssize_t)len);
}

struct got {
	char *data;
	size_t len;
	bool closed;      /* EOF or reset seen */
};

/* Reads what fd has now, without running the loop. */
static void drain(int fd, struct got *g)
{
	char buf[65536];
	ssize_t n;

	if (g->closed)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		g->data = realloc(g->data, g->len + (size_t)n + 1);
		ck_assert_ptr_nonnull(g->data);
		memcpy(g->data + g->len, buf, (size_t)n);
		g->len += (size_t)n;
		g->data[g->len] = 0;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN))
		g->closed = true;
}

/* Reads from fd while running the loop, until the peer closes or ms pass. */
static void collect(int fd, unsigned ms, struct got *g)
{
	uint64_t end = util_now_usec() + ms * USEC_PER_MSEC;

	while (util_now_usec() < end && !g->closed) {
		iterate();
		drain(fd, g);
	}
}

/* One request, one reply; asserts the daemon closes after the reply. */
static struct json_object *round_trip_at(const char *p, const char *request)
{
	int fd = connect_to(p);
	struct got g = { 0 };
	struct json_object *reply;

	send_all(fd, request, strlen(request));
	collect(fd, WAIT_MS, &g);
	ck_assert_msg(g.closed, "connection not closed after the reply");
	ck_assert_msg(g.len > 0 && g.data[g.len - 1] == '\n', "no reply line: %s", g.data);
	ck_assert_int_eq(protocol_parse_reply(g.data, g.len, &reply), 0);
	free(g.data);
	close(fd);
	return reply;
}

static struct json_object *round_trip(const char *request)
{
	return round_trip_at(path, request);
}

static bool has_error(struct json_object *reply, const char *piece)
{
	const char *e = protocol_reply_error(reply);

	return e && strstr(e, piece);
}

static void assert_status_served(void)
{
	struct json_object *r = round_trip("{\"command\":\"status\"}\n");

	ck_assert_ptr_null(protocol_reply_error(r));
	ck_assert_int_eq(json_object_get_int(json_object_object_get(r, "version")), 1);
	json_object_put(r);
}

START_TEST(test_status_round_trip)
{
	struct json_object *r;
	struct stat st;
	char parent[160];

	r = round_trip("{\"command\":\"status\",\"listeners\":[\"*:80\",\"1.2.3.4:5\"]}\n");
	ck_assert_ptr_null(protocol_reply_error(r));
	ck_assert_int_eq(json_object_get_int(json_object_object_get(r, "filters")), 2);
	json_object_put(r);
	ck_assert_uint_eq(handler_calls, 1);
	ck_assert_uint_eq(handler_uid, getuid());
	ck_assert_uint_eq(control_n_clients(ctl), 0);

	/* The socket: mode 0660, in a parent directory made 0755. */
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	snprintf(parent, sizeof(parent), "%s/run", dir);
	ck_assert_int_eq(stat(parent, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
}
END_TEST

/* A request ended by shutdown(SHUT_WR) instead of a newline is answered. */
START_TEST(test_request_without_newline)
{
	int fd = connect_to(path);
	struct got g = { 0 };

	send_all(fd, "{\"command\":\"version\"}", 21);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	collect(fd, WAIT_MS, &g);
	ck_assert(g.closed);
	ck_assert_ptr_nonnull(g.data);
	ck_assert_ptr_nonnull(strstr(g.data, "\"sockwatchd\""));
	free(g.data);
	close(fd);
}
END_TEST

START_TEST(test_garbage)
{
	static const char *const bad[] = {
		"\x01\x02garbage\xff\n",
		"{\"command\":\"status\",\"all\":\"yes\"}\n",
		"{\"command\":\"selfdestruct\"}\n",
		"\n",
	};
	static const char *const want[] = {
		"malformed request", "\"all\" must be", "unknown command", "empty request",
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(bad); i++) {
		struct json_object *r = round_trip(bad[i]);

		ck_assert_msg(has_error(r, want[i]), "%zu: %s", i, json_object_get_string(r));
		json_object_put(r);
	}
	ck_assert_uint_eq(handler_calls, 0);
	/* The loop carries on. */
	assert_status_served();
}
END_TEST

START_TEST(test_handler_error)
{
	struct json_object *r = round_trip("{\"command\":\"check\"}\n");

	ck_assert_msg(has_error(r, "internal error: Input/output error"), "%s",
		      json_object_get_string(r));
	json_object_put(r);
}
END_TEST

/* A 1 MiB line ends that connection; other clients are still served. */
START_TEST(test_oversized_line)
{
	size_t size = 1 << 20, sent = 0;
	_cleanup_free_ char *blob = malloc(size);
	int fd = connect_to(path);
	uint64_t end = util_now_usec() + WAIT_MS * USEC_PER_MSEC;
	bool write_failed = false;
	struct got g = { 0 };

	memset(blob, 'x', size);
	for (bool served = false; sent < size && util_now_usec() < end;) {
		ssize_t n = send(fd, blob + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0)
			sent += (size_t)n;
		else if (n < 0 && errno != EAGAIN) {
			write_failed = true;   /* EPIPE/ECONNRESET: the daemon hung up */
			break;
		}
		/* Another client, while this one is still at it. */
		if (!served) {
			assert_status_served();
			served = true;
		}
		iterate();
	}
	ck_assert_msg(write_failed, "the daemon swallowed %zu bytes of one line", sent);
	ck_assert_uint_lt(sent, size);
	collect(fd, WAIT_MS, &g);
	ck_assert(g.closed);
	if (g.data)
		ck_assert_ptr_nonnull(strstr(g.data, "request too long"));
	free(g.data);
	close(fd);
	ck_assert_uint_eq(control_n_clients(ctl), 0);
	ck_assert_uint_eq(handler_calls, 1);   /* only the other client's status */
	assert_status_served();
}
END_TEST

/* A request of exactly SW_CTL_REQUEST_MAX bytes is served; one byte more
 * is refused, with and without a newline after it. */
START_TEST(test_request_at_limit)
{
	char line[SW_CTL_REQUEST_MAX + 3];
	const char *req = "{\"command\":\"status\"";
	struct json_object *r;

	memset(line, ' ', sizeof(line));
	memcpy(line, req, strlen(req));
	line[SW_CTL_REQUEST_MAX - 1] = '}';
	line[SW_CTL_REQUEST_MAX] = '\n';
	line[SW_CTL_REQUEST_MAX + 1] = 0;
	r = round_trip(line);
	ck_assert_ptr_null(protocol_reply_error(r));
	json_object_put(r);

	line[SW_CTL_REQUEST_MAX - 1] = ' ';
	line[SW_CTL_REQUEST_MAX] = '}';
	line[SW_CTL_REQUEST_MAX + 1] = '\n';
	line[SW_CTL_REQUEST_MAX + 2] = 0;
	r = round_trip(line);
	ck_assert_msg(has_error(r, "request too long"), "%s", json_object_get_string(r));
	json_object_put(r);

	line[SW_CTL_REQUEST_MAX + 1] = 'x';   /* and no newline in sight */
	r = round_trip(line);
	ck_assert_msg(has_error(r, "request too long"), "%s", json_object_get_string(r));
	json_object_put(r);
	ck_assert_uint_eq(handler_calls, 1);
}
END_TEST

START_TEST(test_request_timeout)
{
	int fd = connect_to(path);
	struct got g = { 0 };
	uint64_t t0 = util_now_usec();

	send_all(fd, "{\"command\"", 10);
	collect(fd, WAIT_MS, &g);
	ck_assert(g.closed);
	ck_assert_uint_ge(util_now_usec() - t0, TEST_TIMEOUT_USEC - 20 * USEC_PER_MSEC);
	ck_assert_ptr_nonnull(g.data);
	ck_assert_ptr_nonnull(strstr(g.data, "request timed out"));
	free(g.data);
	close(fd);
	ck_assert_uint_eq(control_n_clients(ctl), 0);
}
END_TEST

/* 100 idle connections: 32 are kept (until their deadline), the others are
 * told why and closed; afterwards the daemon serves again. */
START_TEST(test_max_clients)
{
	enum { N = 100 };
	int fds[N];
	unsigned refused = 0, timed_out = 0;
	struct got g[N];
	uint64_t end;

	memset(g, 0, sizeof(g));
	for (int i = 0; i < N; i++)
		fds[i] = connect_to(path);
	/* Let the daemon accept every connection (16 per wake-up). */
	end = util_now_usec() + WAIT_MS * USEC_PER_MSEC;
	while (util_now_usec() < end && refused < N - SW_CONTROL_MAX_CLIENTS) {
		refused = 0;
		for (int i = 0; i < N; i++) {
			drain(fds[i], &g[i]);
			refused += g[i].closed;
		}
		iterate();
	}
	ck_assert_uint_eq(refused, N - SW_CONTROL_MAX_CLIENTS);
	ck_assert_uint_eq(control_n_clients(ctl), SW_CONTROL_MAX_CLIENTS);
	for (int i = 0; i < N; i++)
		if (g[i].closed)
			ck_assert_msg(g[i].data && strstr(g[i].data, "too many clients"), "%d: %s", i,
				      g[i].data ? g[i].data : "(nothing)");

	/* Full: one more is refused too, and the loop never waited for anyone. */
	{
		struct json_object *r = round_trip("{\"command\":\"status\"}\n");

		ck_assert(has_error(r, "too many clients"));
		json_object_put(r);
	}
	ck_assert_uint_lt(longest_iteration_usec, 100 * USEC_PER_MSEC);

	/* The idle ones are dropped at their deadline. */
	for (int i = 0; i < N; i++) {
		if (!g[i].closed) {
			collect(fds[i], WAIT_MS, &g[i]);
			ck_assert(g[i].closed);
			timed_out += g[i].data && strstr(g[i].data, "request timed out");
		}
		free(g[i].data);
		close(fds[i]);
	}
	ck_assert_uint_eq(timed_out, SW_CONTROL_MAX_CLIENTS);
	ck_assert_uint_eq(control_n_clients(ctl), 0);
	ck_assert_uint_eq(handler_calls, 0);
	assert_status_served();
}
END_TEST

/* A client of the socket at p that asks for the status with a tiny receive
 * buffer and never reads; returns once the handler has answered it (its
 * calls reached calls), its reply left waiting. */
static int slow_reader(const char *p, unsigned calls)
{
	int fd = connect_to(p), rcv = 4096;
	uint64_t t0 = util_now_usec();

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	send_all(fd, "{\"command\":\"status\"}\n", 21);
	while (handler_calls < calls && util_now_usec() - t0 < WAIT_MS * USEC_PER_MSEC)
		iterate();
	ck_assert_uint_eq(handler_calls, calls);
	return fd;
}

/* A client that asks for a big reply and never reads holds neither the
 * loop nor other clients; it is dropped at its deadline. */
START_TEST(test_client_never_reads)
{
	int fd;
	struct got g = { 0 };

	big_reply = 8 << 20;
	fd = slow_reader(path, 1);
	ck_assert_uint_eq(control_n_clients(ctl), 1);

	/* Others are served meanwhile. */
	big_reply = 0;
	assert_status_served();
	ck_assert_uint_eq(control_n_clients(ctl), 1);

	pump_ms((unsigned)(TEST_TIMEOUT_USEC / USEC_PER_MSEC) + 200);
	ck_assert_uint_eq(control_n_clients(ctl), 0);
	ck_assert_uint_lt(longest_iteration_usec, 100 * USEC_PER_MSEC);

	/* What it gets now is a truncated reply and the end of the stream. */
	collect(fd, WAIT_MS, &g);
	ck_assert(g.closed);
	ck_assert_uint_lt(g.len, (size_t)(8 << 20));
	free(g.data);
	close(fd);
}
END_TEST

/* Sends request from a child that became uid and gid 65534 (the caller is
 * root and the socket at p lets group 65534 in) while the loop runs;
 * whether the reply contains want. */
static bool request_as_nobody(const char *p, const char *request, const char *want)
{
	uint64_t end;
	int status = -1;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		struct timeval tv = { .tv_sec = 3 };
		char buf[512] = { 0 };
		size_t len = 0, rlen = strlen(request);
		ssize_t n;
		int fd;

		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		set_sun(&sa, p);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(11);
		if (write(fd, request, rlen) != (ssize_t)rlen)
			_exit(12);
		while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
			len += (size_t)n;
		_exit(strstr(buf, want) ? 0 : 13);
	}
	end = util_now_usec() + WAIT_MS * USEC_PER_MSEC;
	while (waitpid(pid, &status, WNOHANG) == 0 && util_now_usec() < end)
		iterate();
	if (util_now_usec() >= end) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* reload needs uid 0. Run as root, the refusal is tested from a child that
 * became nobody (and the socket's group lets it in); run as anyone else,
 * the test process itself is the unprivileged client. */
START_TEST(test_reload_needs_root)
{
	struct json_object *r;

	if (getuid() != 0) {
		r = round_trip("{\"command\":\"reload\"}\n");
		ck_assert_msg(has_error(r, "permission denied: reload needs root"), "%s",
			      json_object_get_string(r));
		json_object_put(r);
		ck_assert_uint_eq(handler_calls, 0);
		return;
	}

	r = round_trip("{\"command\":\"reload\"}\n");
	ck_assert_msg(json_object_get_boolean(json_object_object_get(r, "ok")), "%s",
		      json_object_get_string(r));
	json_object_put(r);
	ck_assert_uint_eq(handler_calls, 1);
	ck_assert_uint_eq(handler_uid, 0);

	{
		struct sw_control *c2 = NULL;
		char p2[160];
		struct stat st;

		/* nobody must be able to reach the socket: a 0755 directory and
		 * the socket's group set to nobody's group. */
		ck_assert_int_eq(chmod(dir, 0755), 0);
		snprintf(p2, sizeof(p2), "%s/nobody.sock", dir);
		ck_assert_int_eq(control_new(event, p2, nobody_group(), fake_handler, NULL, &c2), 0);
		ck_assert_int_eq(stat(p2, &st), 0);
		ck_assert_uint_eq(st.st_gid, 65534);
		ck_assert_uint_eq(st.st_mode & 07777, 0660);

		ck_assert_msg(request_as_nobody(p2, "{\"command\":\"reload\"}\n",
						"permission denied: reload needs root"),
			      "nobody's reload was not refused");
		ck_assert_uint_eq(handler_calls, 1);   /* the refusal never reached it */
		control_free(c2);
		ck_assert_int_eq(access(p2, F_OK), -1);
	}
}
END_TEST

/* A socket file nobody listens on (a daemon that crashed) is replaced. */
START_TEST(test_stale_socket)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sw_control *c2 = NULL;
	char p2[160];
	struct json_object *r;
	int fd;

	snprintf(p2, sizeof(p2), "%s/stale.sock", dir);
	set_sun(&sa, p2);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ck_assert_int_eq(access(p2, F_OK), 0);

	ck_assert_int_eq(control_new(event, p2, NULL, fake_handler, NULL, &c2), 0);
	r = round_trip_at(p2, "{\"command\":\"version\"}\n");
	ck_assert_ptr_null(protocol_reply_error(r));
	json_object_put(r);
	control_free(c2);
	ck_assert_int_eq(access(p2, F_OK), -1);
}
END_TEST

/* A live socket (another sockwatchd) is left alone: the second refuses. */
START_TEST(test_live_socket)
{
	struct sw_control *c2 = NULL;

	ck_assert_int_eq(control_new(event, path, NULL, fake_handler, NULL, &c2), -EADDRINUSE);
	ck_assert_ptr_null(c2);
	ck_assert_int_eq(access(path, F_OK), 0);
	assert_status_served();
}
END_TEST

START_TEST(test_refusals)
{
	struct sw_control *c2 = NULL;
	char p2[160], longp[200];
	struct stat st;
	int fd;

	/* Not a socket: refused, untouched. */
	snprintf(p2, sizeof(p2), "%s/file", dir);
	fd = open(p2, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(control_new(event, p2, NULL, fake_handler, NULL, &c2), -ENOTSOCK);
	ck_assert_int_eq(stat(p2, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	unlink(p2);

	/* Unknown group: refused before anything is created. */
	snprintf(p2, sizeof(p2), "%s/g.sock", dir);
	ck_assert_int_eq(control_new(event, p2, "no-such-group-sw", fake_handler, NULL, &c2),
			 -EINVAL);
	ck_assert_int_eq(access(p2, F_OK), -1);
	/* A gid is not a group name (the config never passes one). */
	ck_assert_int_eq(control_new(event, p2, "65534", fake_handler, NULL, &c2), -EINVAL);
	ck_assert_int_eq(access(p2, F_OK), -1);

	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	ck_assert_int_eq(control_new(event, longp, NULL, fake_handler, NULL, &c2), -ENAMETOOLONG);
	ck_assert_int_eq(control_new(event, "", NULL, fake_handler, NULL, &c2), -EINVAL);
	ck_assert_ptr_null(c2);
}
END_TEST

/* control_free removes only its own socket file. */
START_TEST(test_free_keeps_foreign_socket)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	ck_assert_int_eq(unlink(path), 0);
	set_sun(&sa, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	control_free(ctl);
	ctl = NULL;
	ck_assert_int_eq(access(path, F_OK), 0);
	close(fd);
}
END_TEST

/* Fair admission: who makes room for a newcomer when every slot is taken. */
START_TEST(test_pick_evictee)
{
	static const struct {
		const char *what;
		uid_t uids[8];
		size_t n;
		uid_t newcomer;
		int want;
	} cases[] = {
		{ "nobody connected", { 0 }, 0, 0, -1 },
		{ "all slots one uid, newcomer the same", { 5, 5, 5, 5 }, 4, 5, -1 },
		{ "all slots one uid, newcomer another: its oldest goes", { 5, 5, 5, 5 }, 4, 0, 0 },
		{ "one slot, newcomer another: 1 is not 2 more than 0", { 5 }, 1, 0, -1 },
		{ "two slots one uid, newcomer another", { 5, 5 }, 2, 0, 0 },
		{ "even shares are kept", { 5, 0, 5, 0 }, 4, 0, -1 },
		{ "two each, a third uid gets a slot", { 5, 0, 5, 0 }, 4, 7, 0 },
		{ "the heaviest uid pays, oldest first", { 0, 5, 7, 5, 5, 7 }, 6, 0, 1 },
		{ "one more than the newcomer's is fair", { 0, 5, 5, 0 }, 4, 0, -1 },
		{ "two more than the newcomer's is not", { 0, 5, 5, 5 }, 4, 0, 1 },
		{ "a tie between heavy uids: the oldest client", { 7, 5, 7, 5, 7, 5 }, 6, 0, 0 },
		{ "newcomer from the heaviest uid", { 0, 5, 5, 5 }, 4, 5, -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(control_pick_evictee(cases[i].uids, cases[i].n, cases[i].newcomer) ==
				      cases[i].want,
			      "%s: got %d, want %d", cases[i].what,
			      control_pick_evictee(cases[i].uids, cases[i].n, cases[i].newcomer),
			      cases[i].want);
}
END_TEST

/* A reply the handler formatted itself goes out as it is. */
START_TEST(test_line_reply)
{
	struct json_object *r = round_trip("{\"command\":\"show\",\"listener\":\"*:8080\"}\n");

	ck_assert_ptr_null(protocol_reply_error(r));
	ck_assert(json_object_get_boolean(json_object_object_get(r, "line")));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r, "listener")), "*:8080");
	json_object_put(r);
	ck_assert_uint_eq(handler_calls, 1);
}
END_TEST

/* Replies waiting to be read are bounded: past the budget, a uid that has
 * one waiting is refused before the handler builds another, while version
 * is still answered; once the reader is gone, status is served again. */
START_TEST(test_reply_budget)
{
	int fd;
	uint64_t t0;
	struct json_object *r;

	control_set_reply_budget(ctl, 1);
	big_reply = 1 << 20;
	fd = slow_reader(path, 1);

	r = round_trip("{\"command\":\"status\"}\n");
	ck_assert_msg(has_error(r, "too many replies waiting to be read"), "%s",
		      json_object_get_string(r));
	json_object_put(r);
	r = round_trip("{\"command\":\"show\",\"listener\":\"*:8080\"}\n");
	ck_assert(has_error(r, "too many replies waiting to be read"));
	json_object_put(r);
	ck_assert_uint_eq(handler_calls, 1);
	r = round_trip("{\"command\":\"version\"}\n");
	ck_assert_ptr_null(protocol_reply_error(r));
	json_object_put(r);
	ck_assert_uint_eq(handler_calls, 2);

	/* The slow reader hangs up: its reply no longer counts. */
	close(fd);
	big_reply = 0;
	t0 = util_now_usec();
	while (control_n_clients(ctl) > 0 && util_now_usec() - t0 < WAIT_MS * USEC_PER_MSEC)
		iterate();
	ck_assert_uint_eq(control_n_clients(ctl), 0);
	assert_status_served();
	if (getuid() != 0)
		return;

	/* Another uid with no reply waiting is still answered past the budget
	 * (root holds it here), so a flood cannot starve other readers. */
	{
		struct sw_control *c2 = NULL;
		char p2[160];

		ck_assert_int_eq(chmod(dir, 0755), 0);
		snprintf(p2, sizeof(p2), "%s/nobody.sock", dir);
		ck_assert_int_eq(control_new(event, p2, nobody_group(), fake_handler, NULL, &c2), 0);
		control_set_reply_budget(c2, 1);
		big_reply = 1 << 20;
		fd = slow_reader(p2, 4);
		ck_assert_msg(request_as_nobody(p2, "{\"command\":\"status\"}\n", "\"version\":1"),
			      "nobody was refused while only root had a reply waiting");
		ck_assert_uint_eq(handler_calls, 5);
		r = round_trip_at(p2, "{\"command\":\"status\"}\n");
		ck_assert(has_error(r, "too many replies waiting to be read"));
		json_object_put(r);
		close(fd);
		control_free(c2);
	}
}
END_TEST

static Suite *control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_status_round_trip);
	tcase_add_test(tc, test_request_without_newline);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_handler_error);
	tcase_add_test(tc, test_oversized_line);
	tcase_add_test(tc, test_request_at_limit);
	tcase_add_test(tc, test_request_timeout);
	tcase_add_test(tc, test_max_clients);
	tcase_add_test(tc, test_client_never_reads);
	tcase_add_test(tc, test_reload_needs_root);
	tcase_add_test(tc, test_stale_socket);
	tcase_add_test(tc, test_live_socket);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_free_keeps_foreign_socket);
	tcase_add_test(tc, test_pick_evictee);
	tcase_add_test(tc, test_line_reply);
	tcase_add_test(tc, test_reply_budget);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sw_check_run(control_suite());
}
