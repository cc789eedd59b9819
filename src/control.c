/* The control socket, daemon side; see control.h. Small and paranoid on
 * purpose: every client is untrusted, may be slow, silent or hostile, and
 * must never hold up the poll loop. */
#include "control.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control_socket.h"
#include "macro.h"

/* After accept() fails for lack of fds, wait this long before trying again
 * rather than spin on a listening socket that stays readable. */
#define CONTROL_ACCEPT_BACKOFF_USEC (100 * USEC_PER_MSEC)
/* Timer slack: deadlines are seconds, a few ms late is fine. */
#define CONTROL_TIMER_ACCURACY_USEC (10 * USEC_PER_MSEC)

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

struct sw_client {
	struct sw_control *ctl;
	struct sw_client *prev, *next;
	int fd;
	sd_event_source *io, *timer;
	uid_t uid;
	/* The request line, its newline, and one byte more to notice a line
	 * that is too long without reading the rest of it. */
	char in[SW_CTL_REQUEST_MAX + 2];
	size_t in_len;
	char *out;              /* the reply line, once there is one */
	size_t out_len, out_done;
};

struct sw_control {
	sd_event *event;
	char *path;
	int fd;
	struct control_socket_id id;   /* the socket file control_new made */
	sd_event_source *listen_src, *backoff_src;
	sw_control_handler handler;
	void *userdata;
	struct sw_client *clients;
	size_t n_clients, max_clients;
	uint64_t timeout_usec;
	size_t out_bytes, reply_budget;  /* replies formatted, not yet sent */
};

static void client_free(struct sw_client *cl)
{
	struct sw_control *c;

	if (!cl)
		return;
	c = cl->ctl;
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		c->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	c->n_clients--;
	sd_event_source_disable_unref(cl->io);
	sd_event_source_disable_unref(cl->timer);
	if (cl->fd >= 0)
		close(cl->fd);
	if (cl->out)
		c->out_bytes -= cl->out_len;
	free(cl->out);
	free(cl);
}

/* One attempt, never waiting: used for short notices to clients we are
 * about to drop, where losing the notice is acceptable. */
static void send_notice(int fd, const char *msg)
{
	_cleanup_free_ char *line = NULL;
	struct json_object *o = protocol_error_reply("%s", msg);
	size_t len;

	if (o && protocol_format_reply(o, &line, &len) == 0)
		(void)!send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	json_object_put(o);
}

static int client_arm_timer(struct sw_client *cl)
{
	uint64_t now;
	int r;

	r = sd_event_now(cl->ctl->event, CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	r = sd_event_source_set_time(cl->timer, now + cl->ctl->timeout_usec);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(cl->timer, SD_EVENT_ONESHOT);
}

/* One read (out false) or send on a non-blocking client socket, retried
 * when a signal interrupts it: the bytes moved, 0 at end of file, or a
 * negative errno (-EAGAIN: nothing to move now). */
static ssize_t client_io(int fd, void *buf, size_t len, bool out)
{
	for (;;) {
		ssize_t n = out ? send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL)
				: read(fd, buf, len);

		if (n >= 0)
			return n;
		if (errno != EINTR)
			return -errno;
	}
}

/* Writes what the socket takes now. 1 when the reply is out, 0 when more
 * waits for EPOLLOUT, negative errno when the client is gone. */
static int client_write(struct sw_client *cl)
{
	while (cl->out_done < cl->out_len) {
		ssize_t n = client_io(cl->fd, cl->out + cl->out_done, cl->out_len - cl->out_done,
				      true);

		if (n < 0)
			return n == -EAGAIN ? 0 : (int)n;
		cl->out_done += (size_t)n;
	}
	return 1;
}

static bool uid_has_reply_waiting(const struct sw_control *c, uid_t uid)
{
	for (const struct sw_client *o = c->clients; o; o = o->next)
		if (o->uid == uid && o->out)
			return true;
	return false;
}

/* The reply to the request line[0..len), formatted into cl->out. */
static int client_answer(struct sw_client *cl, const char *line, size_t len)
{
	struct sw_control *c = cl->ctl;
	struct sw_ctl_request req = { 0 };
	struct sw_control_reply reply = { 0 };
	_cleanup_free_ char *err = NULL;
	int r;

	r = protocol_parse_request(line, len, &req, &err);
	if (r < 0) {
		reply.object = protocol_error_reply("%s", err ? err : strerror(-r));
	} else if (req.cmd == SW_CTL_RELOAD && cl->uid != 0) {
		reply.object = protocol_error_reply("permission denied: reload needs root");
	} else if (req.cmd != SW_CTL_RELOAD && req.cmd != SW_CTL_VERSION &&
		   c->out_bytes >= c->reply_budget && uid_has_reply_waiting(c, cl->uid)) {
		/* Before the document is built: refusing costs nothing. */
		reply.object = protocol_error_reply("too many replies waiting to be read, try again later");
	} else {
		r = c->handler(c->userdata, &req, cl->uid, &reply);
		if (r >= 0 && reply.line && reply.len > SW_CTL_REPLY_MAX)
			r = -E2BIG;
		if (r >= 0 && !reply.line && !reply.object)
			r = -ENODATA;
		if (r < 0) {
			json_object_put(reply.object);
			free(reply.line);
			reply = (struct sw_control_reply){ 0 };
			reply.object = r == -E2BIG ? protocol_error_reply("reply too large (over %u bytes)",
									  SW_CTL_REPLY_MAX)
				     : r == -ENODATA ? protocol_error_reply("internal error: no reply")
				     : protocol_error_reply("internal error: %s", strerror(-r));
		}
	}
	protocol_request_clear(&req);

	if (reply.line) {
		json_object_put(reply.object);
		cl->out = reply.line;
		cl->out_len = reply.len;
		return 0;
	}
	if (!reply.object)
		return -ENOMEM;
	r = protocol_format_reply(reply.object, &cl->out, &cl->out_len);
	json_object_put(reply.object);
	if (r == -E2BIG) {
		struct json_object *o = protocol_error_reply("reply too large (over %u bytes)",
							     SW_CTL_REPLY_MAX);

		if (!o)
			return -ENOMEM;
		r = protocol_format_reply(o, &cl->out, &cl->out_len);
		json_object_put(o);
	}
	return r;
}

/* Answers the request in cl->in[0..len) and starts sending the reply. */
static int client_process(struct sw_client *cl, size_t len)
{
	int r = client_answer(cl, cl->in, len);

	if (r < 0)
		return r;
	cl->ctl->out_bytes += cl->out_len;
	r = client_write(cl);
	if (r != 0)
		return r < 0 ? r : 1;
	/* The rest when the client reads; it gets a fresh deadline for that. */
	r = sd_event_source_set_io_events(cl->io, EPOLLOUT);
	if (r < 0)
		return r;
	r = client_arm_timer(cl);
	return r < 0 ? r : 0;
}

/* Reads what is there. 1 when the connection is finished with, 0 to wait. */
static int client_read(struct sw_client *cl)
{
	for (;;) {
		size_t room = sizeof(cl->in) - cl->in_len;
		char *nl;
		ssize_t n;

		n = client_io(cl->fd, cl->in + cl->in_len, room, false);
		if (n < 0)
			return n == -EAGAIN ? 0 : (int)n;
		if (n == 0) {
			/* A client may end its request with shutdown(SHUT_WR) instead
			 * of a newline. */
			if (cl->in_len == 0)
				return 1;
			return client_process(cl, cl->in_len);
		}
		nl = memchr(cl->in + cl->in_len, '\n', (size_t)n);
		cl->in_len += (size_t)n;
		if (nl)
			return client_process(cl, (size_t)(nl - cl->in));
		if (cl->in_len == sizeof(cl->in)) {
			send_notice(cl->fd, "request too long (at most "
				    STRINGIFY(SW_CTL_REQUEST_MAX) " bytes)");
			return 1;
		}
	}
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct sw_client *cl = userdata;
	int r;

	if (cl->out)
		r = client_write(cl);
	else if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		r = client_read(cl);
	else
		r = 0;
	if (r != 0)
		client_free(cl);
	return 0;
}

static int on_client_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct sw_client *cl = userdata;

	if (!cl->out)
		send_notice(cl->fd, "request timed out");
	client_free(cl);
	return 0;
}

static int client_new(struct sw_control *c, int fd, uid_t uid)
{
	struct sw_client *cl;
	int r;

	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(fd);
		return -ENOMEM;
	}
	cl->ctl = c;
	cl->fd = fd;
	cl->uid = uid;
	cl->next = c->clients;
	if (c->clients)
		c->clients->prev = cl;
	c->clients = cl;
	c->n_clients++;

	r = sd_event_add_io(c->event, &cl->io, fd, EPOLLIN, on_client_io, cl);
	if (r < 0)
		goto fail;
	r = sd_event_add_time(c->event, &cl->timer, CLOCK_MONOTONIC, 0,
			      CONTROL_TIMER_ACCURACY_USEC, on_client_timeout, cl);
	if (r < 0)
		goto fail;
	r = client_arm_timer(cl);
	if (r < 0)
		goto fail;
	return 0;
fail:
	client_free(cl);
	return r;
}

int control_pick_evictee(const uid_t *uids, size_t n, uid_t uid)
{
	size_t mine = 0, most = 0;
	int victim = -1;

	for (size_t i = 0; i < n; i++) {
		size_t count = 0;

		mine += uids[i] == uid;
		for (size_t j = 0; j < n; j++)
			count += uids[j] == uids[i];
		/* Strictly more: on a tie the uid whose oldest client is oldest. */
		if (count > most) {
			most = count;
			victim = (int)i;
		}
	}
	return victim >= 0 && mine + 2 <= most ? victim : -1;
}

/* Every slot is taken: drops one client of the uid holding the most slots
 * when fairness asks for it. Whether there is room now. */
static bool control_make_room(struct sw_control *c, uid_t uid)
{
	uid_t uids[SW_CONTROL_MAX_CLIENTS];
	struct sw_client *by_age[SW_CONTROL_MAX_CLIENTS];
	struct sw_client *cl;
	size_t n = c->n_clients;
	int v;

	if (n > SW_CONTROL_MAX_CLIENTS)
		return false;
	/* The list is newest first. */
	for (cl = c->clients; cl && n > 0; cl = cl->next) {
		n--;
		uids[n] = cl->uid;
		by_age[n] = cl;
	}
	if (n != 0)
		return false;
	v = control_pick_evictee(uids, c->n_clients, uid);
	if (v < 0)
		return false;
	send_notice(by_age[v]->fd, "too many clients, try again later");
	client_free(by_age[v]);
	return true;
}

static int on_backoff(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct sw_control *c = userdata;

	sd_event_source_set_enabled(c->listen_src, SD_EVENT_ON);
	return 0;
}

/* Out of fds: stop accepting for a moment, instead of waking up for the
 * same readable socket again and again. */
static void control_backoff(struct sw_control *c)
{
	uint64_t now;

	if (sd_event_now(c->event, CLOCK_MONOTONIC, &now) < 0)
		return;
	if (!c->backoff_src) {
		if (sd_event_add_time(c->event, &c->backoff_src, CLOCK_MONOTONIC,
				      now + CONTROL_ACCEPT_BACKOFF_USEC,
				      CONTROL_TIMER_ACCURACY_USEC, on_backoff, c) < 0)
			return;
	} else if (sd_event_source_set_time(c->backoff_src,
					    now + CONTROL_ACCEPT_BACKOFF_USEC) < 0 ||
		   sd_event_source_set_enabled(c->backoff_src, SD_EVENT_ONESHOT) < 0) {
		return;
	}
	sd_event_source_set_enabled(c->listen_src, SD_EVENT_OFF);
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct sw_control *c = userdata;

	for (int i = 0; i < SW_CONTROL_ACCEPT_BURST; i++) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				control_backoff(c);
			/* EAGAIN: drained; anything else concerns that one peer. */
			if (errno != EINTR && errno != ECONNABORTED)
				break;
			continue;
		}
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			close(cfd);
			continue;
		}
		if (c->n_clients >= c->max_clients && !control_make_room(c, cred.uid)) {
			send_notice(cfd, "too many clients, try again later");
			close(cfd);
			continue;
		}
		/* A client that cannot be set up is simply closed; the loop goes on. */
		(void)client_new(c, cfd, cred.uid);
	}
	return 0;
}

int control_new(sd_event *e, const char *path, const char *group, sw_control_handler h,
		void *userdata, struct sw_control **ret)
{
	struct sw_control *c;
	bool has_group = group && *group;
	gid_t gid = 0;
	int r;

	if (!e || !path || !*path || !h)
		return -EINVAL;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		return -ENAMETOOLONG;
	if (has_group) {
		r = control_socket_group(group, &gid);
		if (r < 0)
			return r;
	}

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->event = sd_event_ref(e);
	c->handler = h;
	c->userdata = userdata;
	c->max_clients = SW_CONTROL_MAX_CLIENTS;
	c->reply_budget = SW_CONTROL_REPLY_BUDGET;
	c->timeout_usec = SW_CONTROL_TIMEOUT_USEC;
	c->path = strdup(path);
	if (!c->path) {
		r = -ENOMEM;
		goto fail;
	}
	r = control_socket_open(c->path, gid, has_group, &c->id);
	if (r < 0)
		goto fail;
	c->fd = r;
	r = sd_event_add_io(e, &c->listen_src, c->fd, EPOLLIN, on_listen, c);
	if (r < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	control_free(c);
	return r;
}

void control_free(struct sw_control *c)
{
	if (!c)
		return;
	while (c->clients)
		client_free(c->clients);
	sd_event_source_disable_unref(c->listen_src);
	sd_event_source_disable_unref(c->backoff_src);
	if (c->fd >= 0)
		close(c->fd);
	if (c->path)
		control_socket_unlink(c->path, &c->id);
	free(c->path);
	sd_event_unref(c->event);
	free(c);
}

void control_set_reply_budget(struct sw_control *c, size_t bytes)
{
	c->reply_budget = bytes;
}

void control_set_limits(struct sw_control *c, size_t max_clients, uint64_t timeout_usec)
{
	c->max_clients = max_clients < SW_CONTROL_MAX_CLIENTS ? max_clients : SW_CONTROL_MAX_CLIENTS;
	c->timeout_usec = timeout_usec;
}

uint32_t control_socket_inode(const struct sw_control *c)
{
	struct stat st;

	if (!c || c->fd < 0 || fstat(c->fd, &st) < 0)
		return 0;
	return (uint32_t)st.st_ino;
}

size_t control_n_clients(const struct sw_control *c)
{
	return c->n_clients;
}
