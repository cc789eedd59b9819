/* ufill: makes real AF_UNIX listeners and clients for the integration tests
 * and holds them until SIGTERM or SIGINT, so that a test can fill a UNIX
 * listener's accept queue and compare what sockwatchd sees with ss -xl.
 *
 *   ufill listen  [--seqpacket] [--backlog N] [--chdir DIR]
 *                 (--path P | --abstract NAME)... [--ready-file F]
 *   ufill connect [--seqpacket] (--path P | --abstract NAME) --count N
 *                 [--chdir DIR] [--ready-file F]
 *
 * listen makes one listener per --path or --abstract, in the order given,
 * all of the same type and backlog (default 128; 0 is allowed), and prints
 * "LISTEN <stream|seqpacket> <inode> <name>" for each, the inode being the
 * socket's sockfs inode (what unix_diag and /proc/PID/fd show) and the name
 * what getsockname() says: the path as bound (relative when P had no '/'),
 * or "@NAME" for an abstract one. It never accept()s. A relative path is
 * bound in DIR when --chdir is given (chdir happens before anything else),
 * else in the current directory; a relative path with a '/' is refused,
 * so a test cannot bind somewhere it did not mean to.
 *
 * connect issues N non-blocking connect()s to the one listener and counts
 * those that fail with EAGAIN (the listener's queue is full: what nginx logs
 * as "Resource temporarily unavailable"); it prints "EAGAIN <n>" and
 * "CONNECTED <n>", closes the refused sockets and holds the connected ones.
 * Any other connect() error is fatal.
 *
 * Both write the ready file (atomically, by rename) once every socket
 * exists, then wait for a signal. Exit status: 0 after a signal, 1 on any
 * error, 2 on bad usage. SIGUSR1 makes a listen-mode ufill accept() and
 * close every connection waiting in its accept queues (draining them), then
 * wait again. On exit, listen removes the socket files it bound. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* The machine allows 20000 fds per process; leave room for stdio and the
 * ready file. */
#define UFILL_MAX_SOCKETS 19500

struct ufill_name {
	const char *name;
	bool abstract;
};

struct ufill_opts {
	bool listen;          /* mode: listen, else connect */
	int type;             /* SOCK_STREAM or SOCK_SEQPACKET */
	int backlog;
	long count;           /* connect: connections to make */
	const char *chdir;
	const char *ready_file;
	struct ufill_name *names;
	long n_names;
};

static void ufill_usage(FILE *f)
{
	fputs("usage: ufill listen [--seqpacket] [--backlog N] [--chdir DIR]\n"
	      "                    (--path P | --abstract NAME)... [--ready-file F]\n"
	      "       ufill connect [--seqpacket] (--path P | --abstract NAME) --count N\n"
	      "                    [--chdir DIR] [--ready-file F]\n", f);
}

static int ufill_parse_long(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Fills sa with a name as the kernel takes it: a path with its NUL (the
 * length counts up to it, as most programs pass it), or an abstract name
 * as NUL + the bytes, without padding, so ss shows exactly "@NAME". */
static int ufill_sockaddr(const struct ufill_name *n, struct sockaddr_un *ret,
			  socklen_t *ret_len)
{
	size_t len = strlen(n->name);

	memset(ret, 0, sizeof(*ret));
	ret->sun_family = AF_UNIX;
	if (n->abstract) {
		if (len == 0 || len + 1 > sizeof(ret->sun_path))
			return -ENAMETOOLONG;
		memcpy(ret->sun_path + 1, n->name, len);
		*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
	} else {
		if (len == 0 || len + 1 > sizeof(ret->sun_path))
			return -ENAMETOOLONG;
		memcpy(ret->sun_path, n->name, len);
		*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
	return 0;
}

static void ufill_show_name(const struct ufill_name *n, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", n->abstract ? "@" : "", n->name);
}

/* Raises the soft fd limit to the hard one: a test may ask for thousands of
 * sockets and the soft limit is often 1024. */
static int ufill_raise_nofile(long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -errno;
	}
	if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)need + 16 > rl.rlim_cur)
		return -EMFILE;
	return 0;
}

/* Writes "ready <count>\n" to a temporary name and renames it, so a test
 * polling for the file never reads it half-written. */
static int ufill_write_ready(const char *path, long count)
{
	size_t len = strlen(path) + 8;
	char *tmp = malloc(len);
	FILE *f;
	int r = 0;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len, "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		r = -errno;
		goto out;
	}
	fprintf(f, "ready %ld\n", count);
	if (fclose(f) != 0) {
		r = -errno;
		goto out;
	}
	if (rename(tmp, path) < 0)
		r = -errno;
out:
	free(tmp);
	return r;
}

static int ufill_one_listener(const struct ufill_opts *o, const struct ufill_name *n,
			      int *ret_fd)
{
	struct sockaddr_un sa;
	socklen_t salen;
	char shown[sizeof(sa.sun_path) + 2];
	int fd, r;

	ufill_show_name(n, shown, sizeof(shown));
	r = ufill_sockaddr(n, &sa, &salen);
	if (r < 0) {
		fprintf(stderr, "ufill: bad name '%s': %s\n", shown, strerror(-r));
		return r;
	}
	fd = socket(AF_UNIX, o->type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		fprintf(stderr, "ufill: socket: %s\n", strerror(-r));
		return r;
	}
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0 || listen(fd, o->backlog) < 0) {
		r = -errno;
		fprintf(stderr, "ufill: listener on %s: %s\n", shown, strerror(-r));
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* One "LISTEN type inode name" line, from what the kernel says about the
 * socket rather than what was asked for. */
static int ufill_print_listener(int fd)
{
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);
	socklen_t tlen;
	struct stat st;
	size_t plen;
	int type;

	tlen = sizeof(type);
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 ||
	    fstat(fd, &st) < 0) {
		int r = -errno;

		fprintf(stderr, "ufill: inspecting listener: %s\n", strerror(-r));
		return r;
	}
	plen = salen > offsetof(struct sockaddr_un, sun_path) ?
		salen - offsetof(struct sockaddr_un, sun_path) : 0;
	printf("LISTEN %s %lu ", type == SOCK_SEQPACKET ? "seqpacket" : "stream",
	       (unsigned long)st.st_ino);
	if (plen > 0 && sa.sun_path[0] == '\0')
		printf("@%.*s\n", (int)(plen - 1), sa.sun_path + 1);
	else
		printf("%.*s\n", (int)strnlen(sa.sun_path, plen), sa.sun_path);
	return 0;
}

static int ufill_listen(const struct ufill_opts *o, int *fds, long *ret_n)
{
	long i;
	int r;

	*ret_n = 0;
	for (i = 0; i < o->n_names; i++) {
		r = ufill_one_listener(o, &o->names[i], &fds[i]);
		if (r >= 0)
			r = ufill_print_listener(fds[i]);
		if (r < 0)
			return r;
		*ret_n = i + 1;
	}
	return fflush(stdout) != 0 ? -EIO : 0;
}

/* N non-blocking connect()s; the refused ones (EAGAIN: queue full) are
 * counted and closed at once, the connected ones kept in fds. */
static int ufill_connect(const struct ufill_opts *o, int *fds, long *ret_n)
{
	struct sockaddr_un sa;
	socklen_t salen;
	char shown[sizeof(sa.sun_path) + 2];
	long i, eagain = 0;
	int fd, r;

	*ret_n = 0;
	ufill_show_name(&o->names[0], shown, sizeof(shown));
	r = ufill_sockaddr(&o->names[0], &sa, &salen);
	if (r < 0) {
		fprintf(stderr, "ufill: bad name '%s': %s\n", shown, strerror(-r));
		return r;
	}
	for (i = 0; i < o->count; i++) {
		fd = socket(AF_UNIX, o->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			r = -errno;
			fprintf(stderr, "ufill: socket: %s\n", strerror(-r));
			return r;
		}
		if (connect(fd, (struct sockaddr *)&sa, salen) < 0) {
			r = -errno;
			close(fd);
			if (r == -EAGAIN) {
				eagain++;
				continue;
			}
			fprintf(stderr, "ufill: connect to %s: %s\n", shown, strerror(-r));
			return r;
		}
		fds[(*ret_n)++] = fd;
	}
	printf("EAGAIN %ld\nCONNECTED %ld\n", eagain, *ret_n);
	return fflush(stdout) != 0 ? -EIO : 0;
}

static int ufill_add_name(struct ufill_opts *o, const char *name, bool abstract)
{
	struct ufill_name *n;

	if (!abstract && name[0] != '/' && strchr(name, '/'))
		return -EINVAL;
	if (o->n_names >= UFILL_MAX_SOCKETS)
		return -EINVAL;
	n = realloc(o->names, (size_t)(o->n_names + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	o->names = n;
	o->names[o->n_names++] = (struct ufill_name){ .name = name, .abstract = abstract };
	return 0;
}

static int ufill_parse_args(int argc, char **argv, struct ufill_opts *o)
{
	enum { OPT_PATH = 256, OPT_ABSTRACT, OPT_SEQPACKET, OPT_BACKLOG, OPT_COUNT,
	       OPT_CHDIR, OPT_READY };
	static const struct option longopts[] = {
		{ "path", required_argument, NULL, OPT_PATH },
		{ "abstract", required_argument, NULL, OPT_ABSTRACT },
		{ "seqpacket", no_argument, NULL, OPT_SEQPACKET },
		{ "backlog", required_argument, NULL, OPT_BACKLOG },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "chdir", required_argument, NULL, OPT_CHDIR },
		{ "ready-file", required_argument, NULL, OPT_READY },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	long v;
	int c, r;

	*o = (struct ufill_opts){ .type = SOCK_STREAM, .backlog = 128, .count = -1 };
	if (argc < 2)
		return -EINVAL;
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return 1;
	if (strcmp(argv[1], "listen") == 0)
		o->listen = true;
	else if (strcmp(argv[1], "connect") != 0)
		return -EINVAL;
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PATH:
		case OPT_ABSTRACT:
			r = ufill_add_name(o, optarg, c == OPT_ABSTRACT);
			if (r < 0)
				return r;
			break;
		case OPT_SEQPACKET:
			o->type = SOCK_SEQPACKET;
			break;
		case OPT_BACKLOG:
			if (!o->listen || ufill_parse_long(optarg, 0, 1 << 20, &v) < 0)
				return -EINVAL;
			o->backlog = (int)v;
			break;
		case OPT_COUNT:
			if (o->listen ||
			    ufill_parse_long(optarg, 1, UFILL_MAX_SOCKETS, &o->count) < 0)
				return -EINVAL;
			break;
		case OPT_CHDIR:
			o->chdir = optarg;
			break;
		case OPT_READY:
			o->ready_file = optarg;
			break;
		case 'h':
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc || o->n_names == 0)
		return -EINVAL;
	if (!o->listen && (o->n_names != 1 || o->count < 0))
		return -EINVAL;
	return 0;
}

/* Empties every listener's accept queue: accept and close until EAGAIN. */
static void ufill_drain(const int *fds, long n)
{
	for (long i = 0; i < n; i++) {
		int fl = fcntl(fds[i], F_GETFL);

		if (fl >= 0)
			fcntl(fds[i], F_SETFL, fl | O_NONBLOCK);
		for (;;) {
			int c = accept4(fds[i], NULL, NULL, SOCK_CLOEXEC);

			if (c < 0)
				break;
			close(c);
		}
	}
}

int main(int argc, char **argv)
{
	struct ufill_opts o;
	sigset_t mask;
	int *fds = NULL;
	long n = 0, want, i;
	int r, sig;

	r = ufill_parse_args(argc, argv, &o);
	if (r != 0) {
		free(o.names);
		ufill_usage(r > 0 ? stdout : stderr);
		return r > 0 ? 0 : 2;
	}
	/* Block the stop signals before making anything, so one that arrives
	 * early is held for sigwait() instead of killing us half-way. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		perror("ufill: sigprocmask");
		free(o.names);
		return 1;
	}
	if (o.chdir && chdir(o.chdir) < 0) {
		fprintf(stderr, "ufill: chdir %s: %s\n", o.chdir, strerror(errno));
		free(o.names);
		return 1;
	}
	want = o.listen ? o.n_names : o.count;
	r = ufill_raise_nofile(want);
	if (r < 0) {
		fprintf(stderr, "ufill: cannot hold %ld sockets: %s\n", want, strerror(-r));
		free(o.names);
		return 1;
	}
	fds = calloc((size_t)want, sizeof(*fds));
	if (!fds) {
		fputs("ufill: out of memory\n", stderr);
		free(o.names);
		return 1;
	}
	r = o.listen ? ufill_listen(&o, fds, &n) : ufill_connect(&o, fds, &n);
	if (r >= 0 && o.ready_file) {
		r = ufill_write_ready(o.ready_file, n);
		if (r < 0)
			fprintf(stderr, "ufill: writing %s: %s\n", o.ready_file, strerror(-r));
	}
	while (r >= 0) {
		if (sigwait(&mask, &sig) != 0) {
			r = -EINTR;
			break;
		}
		if (sig != SIGUSR1)
			break;
		if (o.listen)
			ufill_drain(fds, n);
	}
	for (i = 0; i < n; i++) {
		close(fds[i]);
		/* Only the files this run bound: n counts the listeners made. */
		if (o.listen && !o.names[i].abstract)
			unlink(o.names[i].name);
	}
	free(fds);
	free(o.names);
	return r < 0 ? 1 : 0;
}
