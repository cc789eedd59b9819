/* helper: the answers the privileged helper gives, from a prepared /proc
 * tree and from the real /proc (a pid that is gone, a pid whose start time
 * is another process's), and a real helper process: spawned, asked, killed. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkrun.h"
#include "helper.h"
#include "privsep.h"
#include "procsrc.h"

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

int main(void)
{
	Suite *s = suite_create("helper");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_prepared_tree);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_real_proc);
	tcase_add_test(tc, test_real_proc_steps);
	tcase_add_test(tc, test_spawned);
	tcase_add_test(tc, test_eof_ends_helper);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_refusal_ends_helper);
	suite_add_tcase(s, tc);
	return sw_check_run(s);
}
