/* helper: the answers the privileged helper gives, from a prepared /proc
 * tree and from the real /proc (a pid that is gone, a pid whose start time
 * is another process's), and a real helper process: spawned, asked, killed.
 * Network namespaces (as root): a real listing sees the own namespace and
 * one a child made, and one only a bind mount holds; opening one gives its
 * collectors, made inside it; a helper that sends other fds than it says
 * is broken; the cost of a listing at 1000 processes. Without root those
 * cases are skipped (exit 77, a failure under CI=true). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkrun.h"
#include "helper.h"
#include "helper_ns.h"
#include "nsdisc.h"
#include "privsep.h"
#include "procsrc.h"
#include "util.h"

#ifndef NS_GET_ID
#define NS_GET_ID _IOR(0xb7, 0xd, uint64_t)
#endif

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void link_fd(int pid, int fd, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%d/fd/%d", root, pid, fd);
	ck_assert_int_eq(symlink(target, path), 0);
}

/* 812: nginx, fds 0-4 and 10 (sockets 1001, 1002, 1003); 813: a zombie;
 * 814: stat only, no fd directory; 900..: many pids. */
static void make_tree(void)
{
	snprintf(root, sizeof(root), "/tmp/check-helper.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	dir("812");
	dir("812/fd");
	put("812/stat", "812 (nginx: worker) S 811 812 812 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 "
		       "4242 1000 10 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n");
	put("812/cgroup", "0::/system.slice/nginx.service\n");
	link_fd(812, 0, "/dev/null");
	link_fd(812, 1, "socket:[1001]");
	link_fd(812, 2, "pipe:[77]");
	link_fd(812, 3, "socket:[1002]");
	link_fd(812, 4, "socket:[notanumber]");
	link_fd(812, 10, "socket:[1003]");
	dir("813");
	put("813/stat", "813 (defunct) Z 1 813 813 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0\n");
	dir("814");
	put("814/stat", "814 (sleep) S 1 814 814 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n");
	dir("notapid");
	for (int p = 900; p < 900 + PS_MAX_PIDS + 5; p++) {
		char rel[16];

		snprintf(rel, sizeof(rel), "%d", p);
		dir(rel);
	}
}

static void remove_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* One request through helper_answer, its reply checked by ps_reply_parse
 * exactly as the monitor does. */
static int ask(struct sw_procsrc *src, struct ps_request *req, struct ps_reply_header *h,
	       const void **pl)
{
	static unsigned char reply[PS_REPLY_MAX];
	struct helper_out out;
	const char *why;

	helper_answer(src, NULL, req, sizeof(*req), reply, &out);
	ck_assert_msg(out.refused == NULL, "refused: %s", out.refused);
	ck_assert_ptr_null(out.fatal);
	ck_assert_uint_eq(out.n_fds, 0);
	ck_assert_int_eq(ps_reply_parse(req, reply, out.len, h, pl, &why), 0);
	return h->err;
}

START_TEST(test_prepared_tree)
{
	struct sw_procsrc *src;
	struct ps_request req;
	struct ps_reply_header h;
	const void *pl;
	uint32_t inodes[8];

	make_tree();
	ck_assert_int_eq(procsrc_new_local(root, &src), 0);

	/* Every fd, from the start: three sockets, the bad link skipped. */
	ps_request_fds(&req, 1, 812, 0, -1, 100);
	ck_assert_int_eq(ask(src, &req, &h, &pl), 0);
	ck_assert_uint_eq(h.n, 3);
	ck_assert_uint_eq(h.examined, 6);
	ck_assert_int_eq(h.next, 10);
	ck_assert_uint_eq(h.flags, 0);
	ck_assert_uint_eq(h.starttime, 4242);
	memcpy(inodes, pl, 3 * sizeof(*inodes));
	ck_assert_uint_eq(inodes[0], 1001);
	ck_assert_uint_eq(inodes[1], 1002);
	ck_assert_uint_eq(inodes[2], 1003);

	/* A budget of 2, resumed: the cursor walks the fds in order. */
	ps_request_fds(&req, 2, 812, 4242, -1, 2);
	ck_assert_int_eq(ask(src, &req, &h, &pl), 0);
	ck_assert_uint_eq(h.examined, 2);
	ck_assert_int_eq(h.next, 1);
	ck_assert_uint_eq(h.flags, PS_MORE);
	ck_assert_uint_eq(h.n, 1);
	ps_request_fds(&req, 3, 812, 4242, 3, 2);
	ck_assert_int_eq(ask(src, &req, &h, &pl), 0);
	ck_assert_int_eq(h.next, 10);
	ck_assert_uint_eq(h.n, 1);                 /* fd 4 is no socket, 10 is */
	ps_request_fds(&req, 4, 812, 4242, 10, 2);
	ck_assert_int_eq(ask(src, &req, &h, &pl), 0);
	ck_assert_uint_eq(h.examined, 0);
	ck_assert_uint_eq(h.flags, 0);

	/* Another start time: another process now holds the pid. */
	ps_request_fds(&req, 5, 812, 4241, -1, 100);
	ck_assert_int_eq(ask(src, &req, &h, &pl), -ESRCH);
	/* A zombie holds no fds; a missing fd directory; a missing pid. */
	ps_request_fds(&req, 6, 813, 0, -1, 100);
	ck_assert_int_eq(ask(src, &req, &h, &pl), -ESRCH);
	ps_request_fds(&req, 7, 814, 0, -1, 100);
	ck_assert_int_eq(ask(src, &req, &h, &pl), -ESRCH);
	ps_request_fds(&req, 8, 4000000, 0, -1, 100);
	ck_assert_int_eq(ask(src, &req, &h, &pl), -ESRCH);

	/* Files: the text as it is, for the monitor to parse. */
	ps_request_file(&req, 9, PS_CGROUP, 812);
	ck_assert_int_eq(ask(src, &req, &h, &pl), 0);
	ck_assert_uint_eq(h.n, strlen("0::/system.slice/nginx.service\n"));
	ck_assert(memcmp(pl, "0::/system.slice/nginx.service\n", h.n) == 0);
	ps_request_file(&req, 10, PS_CGROUP, 814);
	ck_assert_int_eq(ask(src, &req, &h, &pl), -ESRCH);
	struct procfs_stat st;
	ck_assert_int_eq(procsrc_read_stat(src, 812, &st), 0);
	ck_assert_str_eq(st.comm, "nginx: worker");

	/* Pids: ascending, in pages, the non-numeric entry left out. */
	ps_request_pids(&req, 11, 0);
	ck_assert_int_eq(ask(src, &req, &h, &pl), 0);
	ck_assert_uint_eq(h.n, PS_MAX_PIDS);
	ck_assert_uint_eq(h.flags, PS_MORE);
	int32_t first[3];
	memcpy(first, pl, sizeof(first));
	ck_assert_int_eq(first[0], 812);
	ck_assert_int_eq(first[1], 813);
	ck_assert_int_eq(first[2], 814);
	ps_request_pids(&req, 12, h.next);
	ck_assert_int_eq(ask(src, &req, &h, &pl), 0);
	ck_assert_uint_eq(h.n, 8);                 /* 3 + PS_MAX_PIDS + 5 in all */
	ck_assert_uint_eq(h.flags, 0);

	int32_t *pids;
	size_t n;
	ck_assert_int_eq(procsrc_list_pids(src, 1 << 20, &pids, &n), 0);
	ck_assert_uint_eq(n, PS_MAX_PIDS + 8);
	free(pids);

	procsrc_free(src);
	remove_tree();
}
END_TEST

/* A refused request is answered -EBADMSG and says why. */
START_TEST(test_refused)
{
	static unsigned char reply[PS_REPLY_MAX];
	struct sw_procsrc *src;
	struct ps_request req;
	struct ps_reply_header h;
	struct helper_out out;

	ck_assert_int_eq(procsrc_new_local("/proc", &src), 0);
	ps_request_fds(&req, 1, 1, 0, -1, 0);          /* budget 0 */
	helper_answer(src, NULL, &req, sizeof(req), reply, &out);
	ck_assert_ptr_nonnull(out.refused);
	ck_assert_uint_eq(out.len, sizeof(h));
	memcpy(&h, reply, sizeof(h));
	ck_assert_int_eq(h.err, -EBADMSG);
	helper_answer(src, NULL, "x", 1, reply, &out);
	ck_assert_ptr_nonnull(out.refused);
	memcpy(&h, reply, sizeof(h));
	ck_assert_int_eq(h.err, -EBADMSG);
	procsrc_free(src);
}
END_TEST

/* A child holding a copy of every fd of this process, paused until
 * killed; returns once it runs. */
static pid_t fork_holder(void)
{
	int ready[2];
	pid_t child;
	char c;

	ck_assert_int_eq(pipe(ready), 0);
	child = fork();
	if (child == 0) {
		close(ready[0]);
		(void)!write(ready[1], "r", 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return child;
}

/* The real /proc: a child that holds a socket, then is gone. */
START_TEST(test_real_proc)
{
	struct sw_procsrc *src;
	struct procsrc_fds f;
	struct stat sb;
	uint32_t inodes[PS_MAX_BUDGET];
	size_t n = 0;
	int sv[2];
	pid_t child;
	bool found = false;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(fstat(sv[0], &sb), 0);
	child = fork_holder();
	close(sv[0]);      /* only the child holds it now */

	ck_assert_int_eq(procsrc_new_local("/proc", &src), 0);
	f = (struct procsrc_fds){ .pid = child, .cursor = -1 };
	for (int guard = 0; guard < 100 && !f.done; guard++) {
		ck_assert_int_eq(procsrc_socket_inodes(src, &f, 64, inodes, &n), 0);
		for (size_t i = 0; i < n; i++)
			found = found || inodes[i] == (uint32_t)sb.st_ino;
	}
	ck_assert(f.done);
	ck_assert(found);
	ck_assert_uint_ne(f.starttime, 0);

	/* The same pid with another start time is another process. */
	uint64_t start = f.starttime;
	f = (struct procsrc_fds){ .pid = child, .cursor = -1, .starttime = start + 1 };
	ck_assert_int_eq(procsrc_socket_inodes(src, &f, 64, inodes, &n), -ESRCH);

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	f = (struct procsrc_fds){ .pid = child, .cursor = -1, .starttime = start };
	ck_assert_int_eq(procsrc_socket_inodes(src, &f, 64, inodes, &n), -ESRCH);
	struct procfs_stat st;
	ck_assert_int_eq(procsrc_read_stat(src, child, &st), -ESRCH);
	procsrc_free(src);
	close(sv[1]);
}
END_TEST

/* The real /proc in small steps: a process with 3000 sockets read 97
 * entries at a time finds each socket once, in as many steps as the
 * budget makes (each step resumes where the last stopped). */
START_TEST(test_real_proc_steps)
{
	enum { N = 3000, STEP = 97 };
	static uint32_t inodes[PS_MAX_BUDGET], want[N];
	struct sw_procsrc *src;
	struct procsrc_fds f;
	int fds[N];
	size_t found = 0, steps = 0, n;
	uint32_t examined = 0;
	pid_t child;

	for (int i = 0; i < N; i++) {
		struct stat sb;

		fds[i] = socket(AF_UNIX, SOCK_DGRAM, 0);
		ck_assert_int_ge(fds[i], 0);
		ck_assert_int_eq(fstat(fds[i], &sb), 0);
		want[i] = (uint32_t)sb.st_ino;
	}
	child = fork_holder();
	ck_assert_int_eq(procsrc_new_local("/proc", &src), 0);
	f = (struct procsrc_fds){ .pid = child, .cursor = -1 };
	while (!f.done && steps < 1000) {
		ck_assert_int_eq(procsrc_socket_inodes(src, &f, STEP, inodes, &n), 0);
		steps++;
		examined += f.examined;
		for (size_t i = 0; i < n; i++)
			for (int k = 0; k < N; k++)
				if (inodes[i] == want[k]) {
					found++;
					want[k] = 0;       /* each once */
					break;
				}
	}
	ck_assert(f.done);
	ck_assert_uint_eq(found, N);
	/* Every fd examined once: the 3000 sockets, stdio and the test's own. */
	ck_assert_uint_ge(examined, N);
	ck_assert_uint_le(examined, N + 64);
	ck_assert_uint_eq(steps, (examined + STEP - 1) / STEP);   /* no empty last step */
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	procsrc_free(src);
	for (int i = 0; i < N; i++)
		close(fds[i]);
}
END_TEST

/* A helper process: answers through the socketpair, then, killed, breaks
 * every later call with a reason that names the signal. */
START_TEST(test_spawned)
{
	struct sw_helper *h;
	struct sw_procsrc *src;
	struct procfs_stat st;
	int32_t *pids;
	size_t n;
	int fd, r;
	bool self = false;

	r = helper_spawn(&h, &fd);
	ck_assert_int_ge(r, 0);
	if (r == 1)
		_exit(helper_serve(fd));
	ck_assert_int_eq(procsrc_new_helper(h, &src), 0);
	ck_assert_int_eq(procsrc_list_pids(src, 1 << 20, &pids, &n), 0);
	for (size_t i = 0; i < n; i++)
		self = self || pids[i] == getpid();
	free(pids);
	ck_assert(self);
	ck_assert_int_eq(procsrc_read_stat(src, getpid(), &st), 0);
	ck_assert_int_eq(st.ppid, getppid());
	ck_assert_int_eq(procsrc_read_stat(src, helper_pid(h), &st), 0);
	ck_assert_str_eq(st.comm, "sockwatchd-priv");
	ck_assert_ptr_null(helper_broken(h));

	kill(helper_pid(h), SIGKILL);
	for (int i = 0; i < 200 && !helper_reap(h); i++)
		usleep(10000);
	r = procsrc_read_stat(src, getpid(), &st);
	ck_assert(procsrc_fatal(r));
	ck_assert_ptr_nonnull(helper_broken(h));
	ck_assert_msg(strstr(helper_broken(h), "signal 9"), "%s", helper_broken(h));
	procsrc_free(src);
	helper_free(h);
}
END_TEST

/* A monitor that goes away leaves no helper behind: EOF ends it, by
 * itself (status 0), not by a kill. */
START_TEST(test_eof_ends_helper)
{
	struct sw_helper *h;
	int fd, r;
	pid_t pid;

	r = helper_spawn(&h, &fd);
	ck_assert_int_ge(r, 0);
	if (r == 1)
		_exit(helper_serve(fd));
	pid = helper_pid(h);
	ck_assert_int_eq(shutdown(helper_fd(h), SHUT_WR), 0);
	ck_assert(helper_reap_exiting(h));
	ck_assert_ptr_nonnull(helper_broken(h));
	ck_assert_str_eq(helper_broken(h), "exited with status 0");
	helper_free(h);
	ck_assert_int_eq(kill(pid, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

/* A helper that answers garbage, or the wrong question, or nothing: the
 * monitor's call fails, and the helper is broken for good, saying why. */
START_TEST(test_garbage)
{
	static const struct {
		const char *what;
		int r;
		const char *why;
	} rows[] = {
		{ "short", -EBADMSG, "answered garbage: reply too short" },
		{ "wrong seq", -EBADMSG, "answered garbage: reply to another request" },
		{ "too many pids", -EBADMSG, "answered garbage: too many elements" },
		{ "eof", -EPIPE, "closed its socket" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sw_helper *h;
		struct sw_procsrc *src;
		struct ps_request req;
		unsigned char buf[PS_REPLY_MAX];
		struct ps_reply_header rh;
		int32_t *pids;
		size_t n;
		int sv[2], r;

		pid_t dummy;
		int life[2];
		char c;

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
		ck_assert_int_eq(pipe(life), 0);
		/* The "helper" is this test; helper_free reaps a stand-in child,
		 * which holds neither end and leaves when life closes. */
		dummy = fork();
		if (dummy == 0) {
			close(sv[0]);
			close(sv[1]);
			close(life[1]);
			(void)!read(life[0], &c, 1);
			_exit(0);
		}
		close(life[0]);
		ck_assert_int_eq(helper_attach(sv[0], dummy, &h), 0);
		ck_assert_int_eq(procsrc_new_helper(h, &src), 0);
		/* Play the helper: the answer goes out before the question. */
		ps_request_pids(&req, 1, 0);
		ps_reply_init(&rh, &req);
		if (i == 0) {
			ck_assert_int_eq(send(sv[1], "xx", 2, 0), 2);
		} else if (i == 1) {
			rh.seq = 99;
			ck_assert_int_eq(send(sv[1], &rh, sizeof(rh), 0), (ssize_t)sizeof(rh));
		} else if (i == 2) {
			rh.n = PS_MAX_PIDS + 1;
			memset(buf, 0, sizeof(buf));
			memcpy(buf, &rh, sizeof(rh));
			ck_assert_int_eq(send(sv[1], buf, sizeof(rh) + 4 * (PS_MAX_PIDS + 1) < sizeof(buf)
					      ? sizeof(rh) + 4 * (PS_MAX_PIDS + 1) : sizeof(buf), 0) > 0, 1);
		} else {
			close(sv[1]);
			sv[1] = -1;
		}
		r = procsrc_list_pids(src, 100, &pids, &n);
		ck_assert_msg(r == rows[i].r, "%s: %d", rows[i].what, r);
		ck_assert(procsrc_fatal(r));
		ck_assert_ptr_nonnull(helper_broken(h));
		/* A peer already gone may refuse the request or give EOF. */
		ck_assert_msg(strcmp(helper_broken(h), rows[i].why) == 0 ||
			      (r == -EPIPE && strcmp(helper_broken(h), "stopped taking requests") == 0),
			      "%s: %s", rows[i].what, helper_broken(h));
		/* Broken for good: the next call fails at once. */
		ck_assert(procsrc_fatal(procsrc_list_pids(src, 100, &pids, &n)));
		procsrc_free(src);
		if (sv[1] >= 0)
			close(sv[1]);
		close(life[1]);
		helper_free(h);         /* reaps the stand-in */
	}
}
END_TEST

/* A malformed request is refused once and ends the helper: the monitor
 * never sends one unless it is broken or taken over. */
START_TEST(test_refusal_ends_helper)
{
	unsigned char reply[PS_REPLY_MAX];
	struct ps_reply_header rh;
	struct sw_helper *h;
	int fd, r;
	ssize_t n;

	r = helper_spawn(&h, &fd);
	ck_assert_int_ge(r, 0);
	if (r == 1)
		_exit(helper_serve(fd));
	ck_assert_int_eq(send(helper_fd(h), "garbage", 7, 0), 7);
	n = recv(helper_fd(h), reply, sizeof(reply), 0);
	ck_assert_int_eq(n, (ssize_t)sizeof(rh));
	memcpy(&rh, reply, sizeof(rh));
	ck_assert_int_eq(rh.err, -EBADMSG);
	ck_assert_int_eq(recv(helper_fd(h), reply, sizeof(reply), 0), 0);    /* then EOF */
	ck_assert(helper_reap_exiting(h));
	ck_assert_str_eq(helper_broken(h), "exited with status 1");
	helper_free(h);
}
END_TEST

/* ---- network namespaces ------------------------------------------------ */

START_TEST(test_mountinfo_lines)
{
	static const struct {
		const char *line;
		int r;
		const char *mount;
		uint64_t inode;
		enum ps_mount_dir dir;
	} rows[] = {
		{ "46 45 0:4 net:[4026532178] /run/netns/blue rw shared:2 - nsfs nsfs rw\n", 1,
		  "/run/netns/blue", 4026532178u, PS_MOUNT_RUN },
		{ "46 45 0:4 net:[4026532178] /run/netns/blue rw - nsfs nsfs rw", 1,
		  "/run/netns/blue", 4026532178u, PS_MOUNT_RUN },
		{ "46 45 0:4 net:[7] /run/netns/blue rw shared:2 master:3 - nsfs nsfs rw", 1,
		  "/run/netns/blue", 7, PS_MOUNT_RUN },
		{ "46 45 0:4 net:[9] /run/netns/a\\040b rw - nsfs nsfs rw", 1, "/run/netns/a b", 9,
		  PS_MOUNT_RUN },
		{ "46 45 0:4 net:[9] /run/netns/a\\134b rw - nsfs nsfs rw", 1, "/run/netns/a\\b", 9,
		  PS_MOUNT_RUN },
		{ "46 45 0:4 net:[9] /run/netns/a\\9b rw - nsfs nsfs rw", 1, "/run/netns/a\\9b", 9,
		  PS_MOUNT_RUN },
		{ "46 45 0:4 net:[9] /run/docker/netns/3f2a9c1b0e4d rw - nsfs nsfs rw", 1,
		  "/run/docker/netns/3f2a9c1b0e4d", 9, PS_MOUNT_DOCKER },
		{ "46 45 0:4 net:[9] /var/run/docker/netns/default rw - nsfs nsfs rw", 1,
		  "/var/run/docker/netns/default", 9, PS_MOUNT_DOCKER },
		{ "46 45 0:4 net:[9] /run/netns/a\\012b rw - nsfs nsfs rw", 0, NULL, 0, 0 },
		{ "46 45 0:4 net:[9] /run/netns/a\\057b rw - nsfs nsfs rw", 0, NULL, 0, 0 },
		{ "46 45 0:4 net:[9] /run/netns/a\\000b rw - nsfs nsfs rw", 0, NULL, 0, 0 },
		{ "46 45 0:4 mnt:[4026531841] /run/netns/blue rw - nsfs nsfs rw", 0, NULL, 0, 0 },
		{ "46 45 0:4 net:[] /run/netns/blue rw - nsfs nsfs rw", 0, NULL, 0, 0 },
		{ "46 45 0:4 net:[0] /run/netns/blue rw - nsfs nsfs rw", 0, NULL, 0, 0 },
		{ "46 45 0:4 net:[12x] /run/netns/blue rw - nsfs nsfs rw", 0, NULL, 0, 0 },
		{ "46 45 0:4 net:[9] /tmp/blue rw - nsfs nsfs rw", 0, NULL, 0, 0 },
		{ "46 45 0:4 net:[9] /run/netns/blue rw - tmpfs tmpfs rw", 0, NULL, 0, 0 },
		{ "46 45 0:4 net:[9] /run/netns/blue rw - nsfsx nsfs rw", 0, NULL, 0, 0 },
		{ "22 1 0:21 / /run rw,nosuid shared:5 - tmpfs tmpfs rw", 0, NULL, 0, 0 },
		{ "46 45 0:4 net:[9] /run/netns/blue rw shared:2", 0, NULL, 0, 0 },
		{ "46 45 0:4", 0, NULL, 0, 0 },
		{ "", 0, NULL, 0, 0 },
		{ "46 45 0:4 net:[9] /run/netns/0123456789012345678901234567890123456789012345678901"
		  "234567890123456789012345678901234 rw - nsfs nsfs rw", 0, NULL, 0, 0 },
		{ "46 45 0:4 net:[9] /run/netns/0123456789012345678901234567890123456789012345678901"
		  "23456789012345678901234567890123 rw - nsfs nsfs rw", 1,
		  "/run/netns/0123456789012345678901234567890123456789012345678901"
		  "23456789012345678901234567890123", 9, PS_MOUNT_RUN },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char mount[PS_NETNS_MOUNT_MAX] = "";
		uint64_t inode = 0;
		enum ps_mount_dir dir = PS_MOUNT_NONE;
		int r = helper_ns_parse_mountinfo(rows[i].line, mount, &inode, &dir);

		ck_assert_msg(r == rows[i].r, "row %zu: %d", i, r);
		if (r == 1) {
			ck_assert_str_eq(mount, rows[i].mount);
			ck_assert_uint_eq(inode, rows[i].inode);
			ck_assert_int_eq(dir, rows[i].dir);
		}
	}
}
END_TEST

static bool need_root(void)
{
	const char *ci = getenv("CI");

	return geteuid() == 0 || (ci && strcmp(ci, "true") == 0);
}

static uint64_t id_of(const char *path)
{
	uint64_t id = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ioctl(fd, NS_GET_ID, &id), 0);
	close(fd);
	return id;
}

/* A child in a network namespace of its own, somaxconn set there, waiting
 * until *release closes. */
static pid_t fork_netns_child(int somaxconn, int *release)
{
	int ready[2], rel[2];
	pid_t child;
	char c;

	ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(rel, O_CLOEXEC), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		char v[16];
		int fd, n;

		close(ready[0]);
		close(rel[1]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(2);
		fd = open("/proc/sys/net/core/somaxconn", O_WRONLY | O_CLOEXEC);
		n = snprintf(v, sizeof(v), "%d\n", somaxconn);
		if (fd < 0 || write(fd, v, (size_t)n) != n)
			_exit(3);
		close(fd);
		(void)!write(ready[1], "r", 1);
		(void)!read(rel[0], &c, 1);
		_exit(0);
	}
	close(ready[1]);
	close(rel[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*release = rel[1];
	return child;
}

static const struct nsdisc_entry *find_ns(const struct nsdisc_list *l, uint64_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].id == id)
			return &l->v[i];
	return NULL;
}

static void read_fd(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	ck_assert_int_gt(n, 0);
	buf[n] = 0;
}

static size_t count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The real thing: a helper process lists the own namespace, a child's and
 * one held only by a bind mount (in a private mount namespace of this
 * test, so the host's /run is untouched), and opens them. */
START_TEST(test_netns_real)
{
	struct nsdisc_list l = { 0 };
	struct nsdisc_fds f = NSDISC_FDS_CLOSED;
	const struct nsdisc_entry *e, *own = NULL;
	struct sw_helper *h;
	char buf[4096], path[64];
	uint64_t own_id, child_id, mounted_id;
	int release, release2, fd, r;
	pid_t child, child2;

	/* Its own mount namespace, with a /run/netns of its own. */
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	ck_assert_int_eq(mount("swcheck", "/run", "tmpfs", 0, "mode=0755"), 0);
	ck_assert_int_eq(mkdir("/run/netns", 0755), 0);
	fd = open("/run/netns/swcheck", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);

	child = fork_netns_child(123, &release);
	child2 = fork_netns_child(321, &release2);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child);
	child_id = id_of(path);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child2);
	mounted_id = id_of(path);
	ck_assert_int_eq(mount(path, "/run/netns/swcheck", NULL, MS_BIND, NULL), 0);
	/* The second child goes: only the mount holds its namespace now. */
	close(release2);
	ck_assert_int_eq(waitpid(child2, NULL, 0), child2);

	r = helper_spawn(&h, &fd);
	ck_assert_int_ge(r, 0);
	if (r == 1)
		_exit(helper_serve(fd));
	ck_assert_int_eq(nsdisc_own_id(&own_id), 0);
	ck_assert_uint_eq(own_id, id_of("/proc/self/ns/net"));

	ck_assert_int_eq(nsdisc_list(h, &l), 0);
	ck_assert_msg(!l.truncated, "truncated at %zu", l.n);
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].own) {
			ck_assert_ptr_null(own);
			own = &l.v[i];
		}
	ck_assert_ptr_nonnull(own);
	ck_assert_uint_eq(own->id, own_id);
	ck_assert_uint_ge(own->members, 2);            /* this test and the helper at least */
	ck_assert_int_gt(own->oldest_pid, 0);
	e = find_ns(&l, child_id);
	ck_assert_ptr_nonnull(e);
	ck_assert(!e->own);
	ck_assert_int_eq(e->oldest_pid, child);
	ck_assert_uint_eq(e->members, 1);
	ck_assert_str_eq(e->run_mount, "");
	ck_assert_str_eq(e->docker_mount, "");
	e = find_ns(&l, mounted_id);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->oldest_pid, 0);
	ck_assert_uint_eq(e->members, 0);
	ck_assert_str_eq(e->run_mount, "/run/netns/swcheck");

	/* Opened inside: the socket's cookie is the id, somaxconn the value
	 * set in there, netstat that namespace's TcpExt. */
	ck_assert_int_eq(nsdisc_open(h, child_id, &f), 0);
	{
		uint64_t cookie = 0;
		socklen_t len = sizeof(cookie);

		ck_assert_int_eq(getsockopt(f.diag, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len), 0);
		ck_assert_uint_eq(cookie, child_id);
	}
	read_fd(f.somaxconn, buf, sizeof(buf));
	ck_assert_str_eq(buf, "123\n");
	read_fd(f.max_syn_backlog, buf, sizeof(buf));
	read_fd(f.syncookies, buf, sizeof(buf));
	read_fd(f.netstat, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "TcpExt:", 7) == 0, "%.40s", buf);
	for (int *p = &f.diag; p <= &f.netstat; p++)
		ck_assert_int_eq(fcntl(*p, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	nsdisc_fds_close(&f);
	ck_assert_int_eq(f.diag, -1);
	ck_assert_int_eq(f.netstat, -1);
	nsdisc_fds_close(NULL);

	/* Through the mount; and the own one, whose somaxconn is this one's. */
	ck_assert_int_eq(nsdisc_open(h, mounted_id, &f), 0);
	read_fd(f.somaxconn, buf, sizeof(buf));
	ck_assert_str_eq(buf, "321\n");
	nsdisc_fds_close(&f);
	ck_assert_int_eq(nsdisc_open(h, own_id, &f), 0);
	read_fd(f.somaxconn, buf, sizeof(buf));
	fd = open("/proc/sys/net/core/somaxconn", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	{
		char mine[64];

		read_fd(fd, mine, sizeof(mine));
		ck_assert_str_eq(buf, mine);
	}
	close(fd);
	nsdisc_fds_close(&f);

	/* Not listed: refused, and the helper is still fine. */
	ck_assert_int_eq(nsdisc_open(h, UINT64_MAX - 1, &f), -ESRCH);
	ck_assert_int_eq(f.diag, -1);
	ck_assert_ptr_null(helper_broken(h));

	/* Both gone: the child exited, the mount undone. */
	close(release);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	ck_assert_int_eq(umount2("/run/netns/swcheck", MNT_DETACH), 0);
	ck_assert_int_eq(nsdisc_list(h, &l), 0);
	ck_assert_ptr_null(find_ns(&l, child_id));
	ck_assert_ptr_null(find_ns(&l, mounted_id));
	ck_assert_ptr_nonnull(find_ns(&l, own_id));
	/* ... and so no longer to be opened, though the helper listed it. */
	ck_assert_int_eq(nsdisc_open(h, child_id, &f), -ESRCH);
	ck_assert_ptr_null(helper_broken(h));
	nsdisc_list_free(&l);
	helper_free(h);
}
END_TEST

/* The cost of one listing at 1000 processes (most in the own namespace,
 * 20 in namespaces of their own), CPU time of the listing process. */
START_TEST(test_netns_list_cost)
{
	enum { N = 1000, N_NS = 20, ROUNDS = 5 };
	static pid_t kids[N];
	struct helper_ns *ns;
	uint64_t best = UINT64_MAX;
	size_t pids = 0, found_ns = 0;
	int ready[2];
	char c;

	ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0) {
			if (i < N_NS && unshare(CLONE_NEWNET) < 0)
				_exit(2);
			(void)!write(ready[1], "r", 1);
			pause();             /* until killed */
			_exit(0);
		}
	}
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	close(ready[1]);

	ck_assert_int_eq(helper_ns_new("/proc", &ns), 0);
	for (int k = 0; k < ROUNDS; k++) {
		uint64_t t0 = util_cpu_usec(), t;

		ck_assert_int_eq(helper_ns_list(ns), 0);
		t = util_cpu_usec() - t0;
		best = t < best ? t : best;
	}
	for (size_t i = 0; i < helper_ns_count(ns); i++) {
		pids += helper_ns_entry(ns, i)->members;
		found_ns++;
	}
	printf("netns listing: %zu pids, %zu namespaces, %llu us CPU (best of %d)\n", pids,
	       found_ns, (unsigned long long)best, ROUNDS);
	ck_assert_uint_ge(pids, N);
	ck_assert_uint_ge(found_ns, N_NS + 1);
	/* The target is 20 ms at 1000 processes; this host may run more, so
	 * the bound scales with what was listed (sanitizers get slack). */
	ck_assert_msg(best < 20000 * (pids / 1000 + 1) * 3, "%llu us for %zu pids",
		      (unsigned long long)best, pids);
	helper_ns_free(ns);
	for (int i = 0; i < N; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < N; i++)
		waitpid(kids[i], NULL, 0);
}
END_TEST

/* Plays a helper whose open answer comes with other fds than it says:
 * the call fails, what came is closed, and the helper is broken. */
START_TEST(test_netns_fds_garbage)
{
	enum { OK, FOUR, SIX, EIGHT, ERR_WITH_FDS, NOT_A_SOCKET, OTHER_NS, LIST_WITH_FDS, N_ROWS };
	static const char *const why[N_ROWS] = {
		[OK] = NULL,
		[FOUR] = "answered garbage: fds other than announced",
		[SIX] = "answered garbage: fds other than announced",
		[EIGHT] = "answered garbage: its fds were cut",
		[ERR_WITH_FDS] = "answered garbage: fds other than announced",
		[NOT_A_SOCKET] = "answered garbage: its diag fd is no socket",
		[OTHER_NS] = "opened another network namespace than asked",
		[LIST_WITH_FDS] = "answered garbage: fds other than announced",
	};
	uint64_t own_id;

	ck_assert_int_eq(nsdisc_own_id(&own_id), 0);
	for (int row = 0; row < N_ROWS; row++) {
		struct ps_request req;
		struct ps_reply_header rh;
		struct nsdisc_fds f = NSDISC_FDS_CLOSED;
		struct nsdisc_list l = { 0 };
		struct sw_helper *h;
		int sv[2], life[2], fds[8], n_fds, r;
		size_t before;
		pid_t dummy;
		char c;

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
		ck_assert_int_eq(pipe2(life, O_CLOEXEC), 0);
		dummy = fork();
		if (dummy == 0) {
			close(sv[0]);
			close(sv[1]);
			close(life[1]);
			(void)!read(life[0], &c, 1);
			_exit(0);
		}
		close(life[0]);
		before = count_fds();
		ck_assert_int_eq(helper_attach(sv[0], dummy, &h), 0);
		n_fds = row == FOUR ? 4 : row == SIX ? 6 : row == EIGHT ? 8 : 5;
		for (int i = 0; i < n_fds; i++) {
			fds[i] = i == 0 && row != NOT_A_SOCKET ?
				socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) :
				open("/dev/null", O_RDONLY | O_CLOEXEC);
			ck_assert_int_ge(fds[i], 0);
		}
		/* The answer to the first request (seq 1), sent ahead. */
		if (row == LIST_WITH_FDS)
			ps_request_netns_list(&req, 1, 0);
		else
			ps_request_netns_open(&req, 1, row == OTHER_NS ? own_id + 1 : own_id);
		ps_reply_init(&rh, &req);
		if (row == ERR_WITH_FDS)
			rh.err = -ESRCH;
		else if (row != LIST_WITH_FDS)
			rh.n = PS_NETNS_FDS;
		{
			union {
				struct cmsghdr align;
				char buf[CMSG_SPACE(sizeof(int) * 8)];
			} control = { 0 };
			struct iovec iov = { .iov_base = &rh, .iov_len = sizeof(rh) };
			struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
					      .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n_fds) };
			struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n_fds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n_fds);
			ck_assert_int_eq(sendmsg(sv[1], &msg, 0), (ssize_t)sizeof(rh));
		}
		for (int i = 0; i < n_fds; i++)
			close(fds[i]);
		if (row == LIST_WITH_FDS)
			r = nsdisc_list(h, &l);
		else
			r = nsdisc_open(h, row == OTHER_NS ? own_id + 1 : own_id, &f);
		if (row == OK) {
			ck_assert_int_eq(r, 0);
			ck_assert_int_ge(f.netstat, 0);
			ck_assert_ptr_null(helper_broken(h));
			nsdisc_fds_close(&f);
		} else {
			ck_assert_msg(r == -EBADMSG, "row %d: %d", row, r);
			ck_assert_int_eq(f.diag, -1);
			ck_assert_ptr_nonnull(helper_broken(h));
			ck_assert_msg(strcmp(helper_broken(h), why[row]) == 0, "row %d: %s", row,
				      helper_broken(h));
		}
		/* Nothing that came stays open in the monitor. */
		ck_assert_uint_eq(count_fds(), before);
		nsdisc_list_free(&l);
		close(sv[1]);
		close(life[1]);
		helper_free(h);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("helper");
	TCase *tc = tcase_create("core");
	int r;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_prepared_tree);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_real_proc);
	tcase_add_test(tc, test_real_proc_steps);
	tcase_add_test(tc, test_spawned);
	tcase_add_test(tc, test_eof_ends_helper);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_refusal_ends_helper);
	tcase_add_test(tc, test_mountinfo_lines);
	tcase_add_test(tc, test_netns_fds_garbage);
	suite_add_tcase(s, tc);
	if (need_root()) {
		TCase *tc_ns = tcase_create("netns");

		tcase_set_timeout(tc_ns, 60);
		tcase_add_test(tc_ns, test_netns_real);
		tcase_add_test(tc_ns, test_netns_list_cost);
		suite_add_tcase(s, tc_ns);
	}
	r = sw_check_run(s);
	if (r == EXIT_SUCCESS && !need_root()) {
		printf("skip: the network namespace cases need root\n");
		return 77;
	}
	return r;
}
