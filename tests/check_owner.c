/* Unit tests for owner: the cgroup-path -> unit table, holder selection and
 * scan policy on fake /proc and cgroup trees made at run time, and live
 * tests against the real /proc with processes this test forks. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkrun.h"
#include "owner_int.h"
#include "owners.h"
#include "util.h"

#define SEC USEC_PER_SEC

/* ------------------------------------------------------------------ */
/* owner_unit_from_cgroup_path                                          */

static const struct unit_case {
	const char *path;
	int ret;
	const char *unit;
} unit_cases[] = {
	{ "/system.slice/nginx.service", 0, "nginx.service" },
	{ "/system.slice/system-getty.slice/getty@tty1.service", 0, "getty@tty1.service" },
	{ "/system.slice/foo\\x2dbar.service", 0, "foo-bar.service" },
	{ "/system.slice/system-systemd\\x2dfsck.slice/systemd-fsck@dev-disk-by\\x2duuid-12.service",
	  0, "systemd-fsck@dev-disk-by-uuid-12.service" },
	{ "/system.slice/a\\x0ab.service", 0, "a\\x0ab.service" },    /* control char stays escaped */
	{ "/system.slice/a\\x2.service", 0, "a\\x2.service" },        /* short escape left alone */
	{ "/system.slice/_cpu.service", 0, "cpu.service" },            /* systemd's cg_escape */
	{ "/a.slice/a-b.slice/a-b-c.slice/deep.service", 0, "deep.service" },
	{ "/user.slice/user-1000.slice/session-3.scope", 0, "session-3.scope" },
	{ "/user.slice/user-1000.slice/user@1000.service", 0, "user@1000.service" },
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.scope", 0,
	  "user@1000.service/foo.scope" },
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome\\x2dterminal-99.scope",
	  0, "user@1000.service/app-gnome-terminal-99.scope" },
	{ "/user.slice/user-1000.slice/user@1000.service/init.scope", 0,
	  "user@1000.service/init.scope" },
	{ "/machine.slice/machine-foo.scope", 0, "machine-foo.scope" },
	{ "/machine.slice/machine-foo.scope/payload/system.slice/nginx.service", 0,
	  "machine-foo.scope/nginx.service" },
	{ "/machine.slice/systemd-nspawn@web.service/payload", 0, "systemd-nspawn@web.service" },
	{ "/system.slice/docker-0123abcd.scope", 0, "docker-0123abcd.scope" },
	{ "/system.slice/foo.service/worker/sub", 0, "foo.service" },   /* delegated subtree */
	{ "/system.slice/foo.service/", 0, "foo.service" },
	{ "//system.slice//foo.service", 0, "foo.service" },
	{ "/init.scope", 0, "init.scope" },
	{ "/", -ENOENT, "" },
	{ "/user.slice", -ENOENT, "" },
	{ "/user.slice/user-1000.slice", -ENOENT, "" },
	{ "/docker/0123abcd", -ENOENT, "" },
	{ "/system.slice/.service", -ENOENT, "" },
	{ "/system.slice/foo bar.service", -ENOENT, "" },
	{ "/system.slice/foo.target", -ENOENT, "" },
	{ "system.slice/foo.service", -EINVAL, "" },
	{ "", -EINVAL, "" },
};

START_TEST(test_unit_table)
{
	const struct unit_case *c = &unit_cases[_i];
	char unit[SW_UNIT_MAX];
	int r;

	memset(unit, 'x', sizeof(unit));
	r = owner_unit_from_cgroup_path(c->path, unit, sizeof(unit));
	ck_assert_msg(r == c->ret, "%s: returned %d, expected %d", c->path, r, c->ret);
	if (r == 0)
		ck_assert_str_eq(unit, c->unit);
}
END_TEST

START_TEST(test_unit_small_buffer)
{
	char unit[SW_UNIT_MAX];

	/* "nginx.service" needs 14 bytes with the NUL. */
	ck_assert_int_eq(owner_unit_from_cgroup_path("/system.slice/nginx.service", unit, 14), 0);
	ck_assert_str_eq(unit, "nginx.service");
	ck_assert_int_eq(owner_unit_from_cgroup_path("/system.slice/nginx.service", unit, 13), -ENOBUFS);
	ck_assert_str_eq(unit, "");
	ck_assert_int_eq(owner_unit_from_cgroup_path(
		"/user.slice/user-1000.slice/user@1000.service/app.slice/foo.scope", unit, 20), -ENOBUFS);
	ck_assert_int_eq(owner_unit_from_cgroup_path(NULL, unit, sizeof(unit)), -EINVAL);
}
END_TEST

static const struct manager_case {
	const char *path;
	bool manager;
} manager_cases[] = {
	{ "/init.scope", true },
	{ "/init.scope/", true },
	{ "/user.slice/user-1000.slice/user@1000.service/init.scope", true },
	{ "/machine.slice/machine-foo.scope/payload/init.scope", true },
	{ "/system.slice/nginx.service", false },
	{ "/system.slice/init.scope.d", false },
	{ "/xinit.scope", false },
	{ "init.scope", false },
	{ "/init.scope/child", false },
	{ "/", false },
	{ "", false },
};

START_TEST(test_path_is_manager)
{
	const struct manager_case *c = &manager_cases[_i];

	ck_assert_msg(owner_path_is_manager(c->path) == c->manager, "%s", c->path);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Fake /proc and cgroup trees                                          */

static char top[256], procdir[300], cgdir[300];

static void fk_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void fk_stat(int pid, int ppid, char state, unsigned long long start, const char *comm)
{
	char path[400], text[512];

	snprintf(path, sizeof(path), "%s/%d/stat", procdir, pid);
	/* Fields 5..21 are zero; starttime is field 22. */
	snprintf(text, sizeof(text),
		 "%d (%s) %c %d 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu 0 0 0\n",
		 pid, comm, state, ppid, start);
	fk_write(path, text);
}

/* A process: /proc/PID/{stat,comm,cgroup,fd/}. cgroup may be a full file
 * text (containing '\n') or a v2 path. */
static void fk_proc(int pid, int ppid, const char *comm, const char *cgroup)
{
	char path[400], text[4096];

	snprintf(path, sizeof(path), "%s/%d", procdir, pid);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%d/fd", procdir, pid);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	fk_stat(pid, ppid, 'S', 1000 + (unsigned)pid, comm);
	snprintf(path, sizeof(path), "%s/%d/comm", procdir, pid);
	snprintf(text, sizeof(text), "%s\n", comm);
	fk_write(path, text);
	snprintf(path, sizeof(path), "%s/%d/cgroup", procdir, pid);
	if (strchr(cgroup, '\n'))
		snprintf(text, sizeof(text), "%s", cgroup);
	else
		snprintf(text, sizeof(text), "0::%s\n", cgroup);
	fk_write(path, text);
}

static void fk_fd(int pid, int fd, const char *target)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/%d/fd/%d", procdir, pid, fd);
	ck_assert_msg(symlink(target, path) == 0, "symlink %s: %s", path, strerror(errno));
}

static void fk_sock(int pid, int fd, uint32_t inode)
{
	char target[64];

	snprintf(target, sizeof(target), "socket:[%u]", inode);
	fk_fd(pid, fd, target);
}

static int fk_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void fk_rm(const char *path)
{
	nftw(path, fk_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void fk_rm_proc(int pid)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/%d", procdir, pid);
	fk_rm(path);
}

/* mkdir -p under the fake cgroup root; returns the directory's inode
 * number, which is what the kernel reports as the cgroup id. */
static uint64_t fk_cgroup(const char *rel)
{
	char path[1024], *p;
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", cgdir, rel);
	/* Past rel's leading '/'; "" (the root itself) has none to skip. */
	p = path + strlen(cgdir);
	if (*p)
		p++;
	for (; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		(void)mkdir(path, 0755);
		*p = '/';
	}
	(void)mkdir(path, 0755);
	ck_assert_int_eq(stat(path, &st), 0);
	return (uint64_t)st.st_ino;
}

/* Check's fork mode ends a test's process on a failed assertion without
 * running its teardown, so each test's tree lives in a directory that the
 * runner process (unchecked fixture) makes and removes. */
static char base[128];

static void fk_base_setup(void)
{
	snprintf(base, sizeof(base), "/tmp/swowner.XXXXXX");
	if (!mkdtemp(base) || chmod(base, 0755) < 0) {
		perror("mkdtemp");
		abort();
	}
}

static void fk_base_teardown(void)
{
	if (base[0])
		fk_rm(base);
	base[0] = 0;
}

static void fk_setup(void)
{
	char path[400];

	snprintf(top, sizeof(top), "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(top));
	ck_assert_int_eq(chmod(top, 0755), 0);
	snprintf(procdir, sizeof(procdir), "%s/proc", top);
	snprintf(cgdir, sizeof(cgdir), "%s/cg", top);
	ck_assert_int_eq(mkdir(procdir, 0755), 0);
	ck_assert_int_eq(mkdir(cgdir, 0755), 0);
	snprintf(path, sizeof(path), "%s/cgroup.controllers", cgdir);
	fk_write(path, "cpu memory pids\n");
	/* Entries that are not processes must be ignored. */
	snprintf(path, sizeof(path), "%s/self", procdir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/net", procdir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void fk_teardown(void)
{
	if (top[0])
		fk_rm(top);
	top[0] = 0;
}

static struct sw_owners *fk_owners(void)
{
	struct sw_owners *o = NULL;

	ck_assert_int_eq(owners_new(procdir, cgdir, &o), 0);
	ck_assert_ptr_nonnull(o);
	return o;
}

/* Live tests share the machine with whatever else runs (benchmarks may
 * hold 200k fds): a scan of the real /proc may need many budgets. 1000
 * rounds of 20000 entries cover far more than any host here holds. */
#define LIVE_MAX_ROUNDS 1000

static int refresh_all(struct sw_owners *o, uint32_t inode, uint64_t cgid, uint64_t now)
{
	return owners_refresh_complete(o, &inode, &cgid, 1, now, LIVE_MAX_ROUNDS);
}

static struct sw_owner lookup_ok(struct sw_owners *o, uint32_t inode, uint64_t cgid)
{
	struct sw_owner w;
	int r;

	memset(&w, 0x55, sizeof(w));
	r = owners_lookup(o, inode, cgid, &w);
	ck_assert_msg(r == 0, "lookup %u: %d", inode, r);
	return w;
}

static void lookup_none(struct sw_owners *o, uint32_t inode)
{
	struct sw_owner w;

	ck_assert_int_eq(owners_lookup(o, inode, 0, &w), -ENOENT);
}

static struct sw_owners_stats stats_of(struct sw_owners *o)
{
	struct sw_owners_stats st;

	owners_get_stats(o, &st);
	return st;
}

/* A pre-fork server: master 100 and workers 101, 102 hold socket 5000;
 * unrelated processes hold other sockets, pipes, files. */
static void fk_prefork(void)
{
	fk_proc(1, 0, "systemd", "/init.scope");
	fk_sock(1, 3, 4444);
	fk_proc(100, 1, "nginx", "/system.slice/nginx.service");
	fk_proc(101, 100, "nginx", "/system.slice/nginx.service");
	fk_proc(102, 100, "nginx", "/system.slice/nginx.service");
	fk_fd(100, 0, "/dev/null");
	fk_fd(100, 1, "pipe:[77]");
	fk_sock(100, 6, 5000);
	fk_sock(100, 7, 5000);    /* dup()ed: still one holder */
	fk_sock(101, 6, 5000);
	fk_sock(102, 6, 5000);
	fk_sock(101, 8, 5001);    /* a worker's own socket, not wanted */
	fk_proc(200, 1, "sshd", "/system.slice/ssh.service");
	fk_sock(200, 3, 6000);
	fk_fd(200, 4, "socket:[notanumber]");
	fk_fd(200, 5, "socket:[99999999999]");
}

START_TEST(test_fake_prefork)
{
	struct sw_owners *o = fk_owners();
	uint32_t inodes[] = { 5000, 6000, 7777 };
	uint64_t cgids[] = { fk_cgroup("/system.slice/nginx.service"), 0, 0 };
	struct sw_owner w;

	fk_prefork();
	ck_assert_int_eq(owners_refresh(o, inodes, cgids, 3, 10 * SEC), 0);
	w = lookup_ok(o, 5000, cgids[0]);
	ck_assert_int_eq(w.pid, 100);
	ck_assert_str_eq(w.comm, "nginx");
	ck_assert_str_eq(w.unit, "nginx.service");
	ck_assert_uint_eq(w.holders, 3);
	w = lookup_ok(o, 6000, 0);
	ck_assert_int_eq(w.pid, 200);
	ck_assert_str_eq(w.comm, "sshd");
	ck_assert_str_eq(w.unit, "ssh.service");
	ck_assert_uint_eq(w.holders, 1);
	lookup_none(o, 7777);           /* nobody holds it */
	lookup_none(o, 5001);           /* held, but never asked for */
	lookup_none(o, 4444);
	ck_assert_ptr_null(owners_unknown_reason(o));
	ck_assert_uint_eq(stats_of(o).full_scans, 1);
	ck_assert_uint_eq(stats_of(o).pids_scanned, 5);
	owners_free(o);
}
END_TEST

/* Selection rules beyond the plain master + workers case. */
START_TEST(test_fake_selection)
{
	struct sw_owners *o = fk_owners();
	uint64_t cg_a = fk_cgroup("/system.slice/a.service");
	uint64_t cg_init = fk_cgroup("/init.scope");
	uint32_t inodes[] = { 1100, 1200, 1300, 1400, 1500 };
	uint64_t cgids[] = { cg_a, cg_init, 0, 0, 0 };
	struct sw_owner w;

	fk_proc(1, 0, "systemd", "/init.scope");
	/* 1100: a parent in another cgroup, and its child in the socket's own
	 * cgroup: the cgroup wins over ancestry. */
	fk_proc(300, 1, "launcher", "/system.slice/b.service");
	fk_proc(301, 300, "daemon", "/system.slice/a.service");
	fk_sock(300, 3, 1100);
	fk_sock(301, 3, 1100);
	/* 1200: socket activation: systemd made it in init.scope and passed
	 * it to the service, a master with a worker. */
	fk_sock(1, 40, 1200);
	fk_proc(400, 1, "httpd", "/system.slice/httpd.service");
	fk_proc(401, 400, "httpd", "/system.slice/httpd.service");
	fk_sock(400, 3, 1200);
	fk_sock(401, 3, 1200);
	/* 1300: workers whose master is gone (reparented): lowest pid. */
	fk_proc(502, 1, "worker", "/system.slice/w.service");
	fk_proc(501, 1, "worker", "/system.slice/w.service");
	fk_sock(502, 3, 1300);
	fk_sock(501, 3, 1300);
	/* 1400: master -> non-holding shell -> worker. */
	fk_proc(600, 1, "master", "/system.slice/m.service");
	fk_proc(601, 600, "sh", "/system.slice/m.service");
	fk_proc(602, 601, "worker", "/system.slice/m.service");
	fk_sock(602, 3, 1400);
	fk_sock(600, 3, 1400);
	/* 1500: only the service manager holds it (an idle socket unit). */
	fk_sock(1, 41, 1500);

	ck_assert_int_eq(owners_refresh(o, inodes, cgids, 5, SEC), 0);
	w = lookup_ok(o, 1100, cg_a);
	ck_assert_int_eq(w.pid, 301);
	ck_assert_str_eq(w.unit, "a.service");
	ck_assert_uint_eq(w.holders, 2);

	w = lookup_ok(o, 1200, cg_init);
	ck_assert_int_eq(w.pid, 400);
	ck_assert_str_eq(w.comm, "httpd");
	ck_assert_str_eq(w.unit, "httpd.service");
	ck_assert_uint_eq(w.holders, 3);

	w = lookup_ok(o, 1300, 0);
	ck_assert_int_eq(w.pid, 501);
	ck_assert_uint_eq(w.holders, 2);

	w = lookup_ok(o, 1400, 0);
	ck_assert_int_eq(w.pid, 600);
	ck_assert_str_eq(w.unit, "m.service");

	w = lookup_ok(o, 1500, 0);
	ck_assert_int_eq(w.pid, 1);
	ck_assert_str_eq(w.unit, "init.scope");
	ck_assert_uint_eq(w.holders, 1);

	/* Without the cgroup id, ancestry alone picks the launcher. */
	cgids[0] = 0;
	ck_assert_int_eq(owners_refresh(o, inodes, cgids, 5, 2 * SEC), 0);
	w = lookup_ok(o, 1100, 0);
	ck_assert_int_eq(w.pid, 300);
	ck_assert_str_eq(w.unit, "b.service");
	owners_free(o);
}
END_TEST

/* Odd but legal /proc contents: comm with ")" and spaces or control
 * characters, a hybrid cgroup file, a " (deleted)" cgroup. */
START_TEST(test_fake_proc_parsing)
{
	struct sw_owners *o = fk_owners();
	uint32_t inodes[] = { 10, 11, 12, 13 };
	struct sw_owner w;

	fk_proc(700, 1, "a) (b c", "0::/\n1:name=systemd:/system.slice/legacy.service\n");
	fk_sock(700, 3, 10);
	fk_proc(701, 1, "t\001b", "/system.slice/gone.service (deleted)");
	fk_sock(701, 3, 11);
	fk_proc(702, 1, "y", "12:pids:/\n0::/system.slice/v2.service\n1:name=systemd:/system.slice/v1.service\n");
	fk_sock(702, 3, 12);
	/* Kernel threads' names in stat may exceed TASK_COMM_LEN. */
	fk_proc(703, 1, "kworker/u8:3-events_unbound", "/");
	fk_sock(703, 3, 13);

	ck_assert_int_eq(owners_refresh(o, inodes, NULL, 4, SEC), 0);
	w = lookup_ok(o, 10, 0);
	ck_assert_int_eq(w.pid, 700);
	ck_assert_str_eq(w.comm, "a) (b c");
	ck_assert_str_eq(w.unit, "legacy.service");
	w = lookup_ok(o, 11, 0);
	ck_assert_str_eq(w.comm, "t?b");
	ck_assert_str_eq(w.unit, "gone.service");
	w = lookup_ok(o, 12, 0);
	ck_assert_str_eq(w.unit, "v2.service");
	ck_assert_str_eq(lookup_ok(o, 13, 0).comm, "kworker/u8:3-ev");
	owners_free(o);
}
END_TEST

/* Processes that vanish between the listing and the reads, or are
 * zombies, are skipped without error. */
START_TEST(test_fake_vanished)
{
	struct sw_owners *o = fk_owners();
	uint32_t inodes[] = { 800, 801, 802, 803 };
	struct sw_owner w;
	char path[400];

	/* fd dir readable but stat gone: exited after its fds were read. */
	fk_proc(800, 1, "gone", "/");
	fk_sock(800, 3, 800);
	snprintf(path, sizeof(path), "%s/800/stat", procdir);
	ck_assert_int_eq(unlink(path), 0);
	/* listed, but no fd directory any more */
	fk_proc(801, 1, "gone2", "/");
	snprintf(path, sizeof(path), "%s/801/fd", procdir);
	fk_rm(path);
	/* a zombie still listed: holds nothing */
	fk_proc(802, 1, "zombie", "/");
	fk_sock(802, 3, 802);
	fk_stat(802, 1, 'Z', 1802, "zombie");
	/* a healthy one next to them */
	fk_proc(803, 1, "ok", "/system.slice/ok.service");
	fk_sock(803, 3, 803);

	ck_assert_int_eq(owners_refresh(o, inodes, NULL, 4, SEC), 0);
	lookup_none(o, 800);
	lookup_none(o, 801);
	lookup_none(o, 802);
	w = lookup_ok(o, 803, 0);
	ck_assert_int_eq(w.pid, 803);
	ck_assert_uint_ge(stats_of(o).vanished, 3);
	ck_assert_ptr_null(owners_unknown_reason(o));
	owners_free(o);
}
END_TEST

/* Only new pids are read by an incremental scan; full scans are rate
 * limited; an inode nobody holds stops triggering scans. */
START_TEST(test_fake_incremental_and_rate_limit)
{
	struct sw_owners *o = fk_owners();
	struct sw_owners_params p = {
		.min_rescan_usec = 10 * SEC, .min_incr_usec = SEC, .recheck_usec = SEC,
		.scan_budget = 100000,
	};
	uint32_t in1[] = { 5000, 6000 };
	uint32_t in2[] = { 5000, 6000, 8000 };
	uint32_t in3[] = { 5000, 6000, 8000, 9000 };
	uint32_t in4[] = { 5000, 6000, 8000, 9000, 9999 };
	struct sw_owners_stats s0, s1;
	struct sw_owner w;

	owners_set_params(o, &p);
	fk_prefork();
	ck_assert_int_eq(owners_refresh(o, in1, NULL, 2, 100 * SEC), 0);
	s0 = stats_of(o);
	ck_assert_uint_eq(s0.full_scans, 1);
	ck_assert_uint_eq(s0.incr_scans, 0);
	ck_assert_uint_eq(s0.pids_scanned, 5);

	/* Everything known: polls cost no scan. */
	ck_assert_int_eq(owners_refresh(o, in1, NULL, 2, 101 * SEC), 0);
	ck_assert_uint_eq(stats_of(o).pids_scanned, 5);
	ck_assert_uint_eq(stats_of(o).full_scans + stats_of(o).incr_scans, 1);

	/* A new process with a new listener: one incremental scan of one pid. */
	fk_proc(800, 1, "new", "/system.slice/new.service");
	fk_sock(800, 3, 8000);
	ck_assert_int_eq(owners_refresh(o, in2, NULL, 3, 102 * SEC), 0);
	s1 = stats_of(o);
	ck_assert_uint_eq(s1.incr_scans, 1);
	ck_assert_uint_eq(s1.full_scans, 1);
	ck_assert_uint_eq(s1.pids_scanned, 6);
	w = lookup_ok(o, 8000, 0);
	ck_assert_int_eq(w.pid, 800);

	/* An old process opens a new listener: the incremental scan does not
	 * read old pids, and a full scan must wait for min_rescan. */
	fk_sock(200, 9, 9000);
	ck_assert_int_eq(owners_refresh(o, in3, NULL, 4, 104 * SEC), 0);
	s1 = stats_of(o);
	ck_assert_uint_eq(s1.incr_scans, 2);
	ck_assert_uint_eq(s1.full_scans, 1);
	ck_assert_uint_eq(s1.pids_scanned, 6);
	lookup_none(o, 9000);
	ck_assert_int_eq(owners_refresh(o, in3, NULL, 4, 105 * SEC), 0);
	ck_assert_int_eq(owners_refresh(o, in3, NULL, 4, 109 * SEC), 0);
	s1 = stats_of(o);
	ck_assert_uint_eq(s1.incr_scans, 2);
	ck_assert_uint_eq(s1.full_scans, 1);
	lookup_none(o, 9000);
	/* 10 s after the last full scan: one full scan finds it. */
	ck_assert_int_eq(owners_refresh(o, in3, NULL, 4, 110 * SEC), 0);
	s1 = stats_of(o);
	ck_assert_uint_eq(s1.full_scans, 2);
	ck_assert_uint_eq(s1.pids_scanned, 12);
	w = lookup_ok(o, 9000, 0);
	ck_assert_int_eq(w.pid, 200);
	ck_assert_uint_eq(w.holders, 1);

	/* Nobody holds 9999: one incremental, one full scan (when allowed),
	 * then it is given up and triggers nothing, however long we wait. */
	ck_assert_int_eq(owners_refresh(o, in4, NULL, 5, 111 * SEC), 0);
	ck_assert_uint_eq(stats_of(o).incr_scans, 3);
	ck_assert_int_eq(owners_refresh(o, in4, NULL, 5, 120 * SEC), 0);
	ck_assert_uint_eq(stats_of(o).full_scans, 3);
	s1 = stats_of(o);
	for (uint64_t t = 121; t < 200; t += 7)
		ck_assert_int_eq(owners_refresh(o, in4, NULL, 5, t * SEC), 0);
	ck_assert_uint_eq(stats_of(o).full_scans, s1.full_scans);
	ck_assert_uint_eq(stats_of(o).incr_scans, s1.incr_scans);
	ck_assert_uint_eq(stats_of(o).pids_scanned, s1.pids_scanned);
	lookup_none(o, 9999);
	/* Forgotten and asked for again: it is new again. */
	ck_assert_int_eq(owners_refresh(o, in3, NULL, 4, 200 * SEC), 0);
	ck_assert_int_eq(owners_refresh(o, in4, NULL, 5, 201 * SEC), 0);
	ck_assert_uint_eq(stats_of(o).incr_scans, s1.incr_scans + 1);
	owners_free(o);
}
END_TEST

/* The owner exits (or its pid is reused, or it becomes a zombie):
 * attribution moves to the remaining holders without a scan; when none
 * is left, a scan finds holders forked after the last one. */
START_TEST(test_fake_owner_exits)
{
	struct sw_owners *o = fk_owners();
	uint32_t in[] = { 5000, 6000 };
	uint64_t full0;
	struct sw_owner w;

	fk_prefork();
	ck_assert_int_eq(owners_refresh(o, in, NULL, 2, 100 * SEC), 0);
	ck_assert_int_eq(lookup_ok(o, 5000, 0).pid, 100);
	full0 = stats_of(o).full_scans + stats_of(o).incr_scans;

	/* Master gone; workers reparented to 1. */
	fk_rm_proc(100);
	fk_stat(101, 1, 'S', 1101, "nginx");
	fk_stat(102, 1, 'S', 1102, "nginx");
	/* Within the recheck period nothing is re-read. */
	ck_assert_int_eq(owners_refresh(o, in, NULL, 2, 100 * SEC + 1), 0);
	ck_assert_int_eq(lookup_ok(o, 5000, 0).pid, 100);
	ck_assert_int_eq(owners_refresh(o, in, NULL, 2, 102 * SEC), 0);
	w = lookup_ok(o, 5000, 0);
	ck_assert_int_eq(w.pid, 101);
	ck_assert_uint_eq(w.holders, 2);
	ck_assert_uint_eq(stats_of(o).full_scans + stats_of(o).incr_scans, full0);

	/* 101's pid is reused by another process; 102 turns zombie. */
	fk_stat(101, 1, 'S', 999999, "other");
	fk_stat(102, 1, 'Z', 1102, "nginx");
	/* ... and a process forked after the last scan holds it now. */
	fk_proc(103, 1, "nginx", "/system.slice/nginx.service");
	fk_sock(103, 5, 5000);
	ck_assert_int_eq(owners_refresh(o, in, NULL, 2, 104 * SEC), 0);
	w = lookup_ok(o, 5000, 0);
	ck_assert_int_eq(w.pid, 103);
	ck_assert_uint_eq(w.holders, 1);
	ck_assert_uint_eq(stats_of(o).incr_scans, 1);
	owners_free(o);
}
END_TEST

/* A small budget spreads a scan over several refreshes, resuming inside a
 * process's fd directory; the result is the same. */
START_TEST(test_fake_budget)
{
	struct sw_owners *o = fk_owners();
	struct sw_owners_params p = { .scan_budget = 7 };
	uint32_t in[] = { 42, 43 };
	struct sw_owner w;
	int calls = 0;

	owners_set_params(o, &p);
	fk_proc(10, 1, "a", "/");
	fk_proc(11, 10, "b", "/");
	for (int fd = 0; fd < 40; fd++)
		fk_fd(10, fd, "/dev/null");
	fk_sock(10, 40, 42);
	for (int fd = 0; fd < 20; fd++)
		fk_fd(11, fd, "pipe:[1]");
	fk_sock(11, 20, 42);
	fk_sock(11, 21, 43);
	do {
		ck_assert_int_eq(owners_refresh(o, in, NULL, 2, (uint64_t)(calls + 1) * SEC), 0);
		calls++;
	} while (stats_of(o).scan_in_progress && calls < 100);
	ck_assert_int_gt(calls, 5);
	ck_assert_int_lt(calls, 100);
	ck_assert_uint_eq(stats_of(o).full_scans, 1);
	ck_assert_uint_eq(stats_of(o).fds_examined, 40 + 1 + 20 + 2);
	w = lookup_ok(o, 42, 0);
	ck_assert_int_eq(w.pid, 10);
	ck_assert_uint_eq(w.holders, 2);
	ck_assert_int_eq(lookup_ok(o, 43, 0).pid, 11);
	owners_free(o);
}
END_TEST

/* A holder renames itself after it was first read (a worker forked under
 * its master's name names itself a moment later): the recheck, which
 * reads its stat anyway, shows the new name, sanitised and cut like the
 * first one; nothing is re-read within the recheck period, and no scan
 * runs for it. */
START_TEST(test_fake_comm_renamed)
{
	struct sw_owners *o = fk_owners();
	uint32_t in[] = { 5000 };
	uint64_t scans;

	fk_prefork();
	ck_assert_int_eq(owners_refresh(o, in, NULL, 1, 100 * SEC), 0);
	ck_assert_str_eq(lookup_ok(o, 5000, 0).comm, "nginx");
	scans = stats_of(o).full_scans + stats_of(o).incr_scans;

	fk_stat(100, 1, 'S', 1100, "nginx: master");
	ck_assert_int_eq(owners_refresh(o, in, NULL, 1, 100 * SEC + 1), 0);
	ck_assert_str_eq(lookup_ok(o, 5000, 0).comm, "nginx");
	ck_assert_int_eq(owners_refresh(o, in, NULL, 1, 102 * SEC), 0);
	ck_assert_str_eq(lookup_ok(o, 5000, 0).comm, "nginx: master");
	ck_assert_int_eq(lookup_ok(o, 5000, 0).pid, 100);

	fk_stat(100, 1, 'S', 1100, "evil\033[2Jname-that-is-long");
	ck_assert_int_eq(owners_refresh(o, in, NULL, 1, 104 * SEC), 0);
	ck_assert_str_eq(lookup_ok(o, 5000, 0).comm, "evil?[2Jname-th");
	ck_assert_uint_eq(stats_of(o).full_scans + stats_of(o).incr_scans, scans);
	owners_free(o);
}
END_TEST

/* 100 filler processes with 3 fds each; the listener 4242 is held by
 * 5000 and its child 5001 in web.service, and by filler 1050 outside it.
 * cgroup.procs lists the cgroup's pids first, then more pids (not
 * running) than the module reads, the last one cut. */
static uint64_t fk_cgroup_first_tree(void)
{
	uint64_t cg = fk_cgroup("/system.slice/web.service");
	char path[512];
	FILE *f;

	for (int pid = 1000; pid < 1100; pid++) {
		fk_proc(pid, 1, "filler", "/system.slice/other.service");
		for (int fd = 0; fd < 3; fd++)
			fk_fd(pid, fd, "/dev/null");
	}
	fk_sock(1050, 9, 4242);
	fk_proc(5000, 1, "web", "/system.slice/web.service");
	fk_sock(5000, 3, 4242);
	fk_proc(5001, 5000, "web", "/system.slice/web.service");
	fk_sock(5001, 3, 4242);
	snprintf(path, sizeof(path), "%s/system.slice/web.service/cgroup.procs", cgdir);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	fputs("5001\n5000\n", f);
	for (int i = 0; i < 6000; i++)
		fprintf(f, "%d\n", 3000000 + i);
	fputs("30", f);
	ck_assert_int_eq(fclose(f), 0);
	return cg;
}

/* A scan of many pids reads the sought listener's cgroup first: with a
 * budget far too small for the whole scan (60 units, ~8 pids here), the
 * first refresh finds the owner although its pid comes last; further
 * refreshes at the same instant continue the scan (no rate limit applies)
 * and owners_refresh_complete finishes it, finding the holder outside
 * the cgroup too. */
START_TEST(test_fake_cgroup_first)
{
	struct sw_owners *o = fk_owners();
	struct sw_owners_params p = { .scan_budget = 60 };
	uint64_t cg = fk_cgroup_first_tree();
	uint32_t in = 4242;
	struct sw_owners_stats s0, s1;
	struct sw_owner w;

	owners_set_params(o, &p);
	ck_assert_int_eq(owners_refresh(o, &in, &cg, 1, SEC), 0);
	ck_assert(owners_scanning(o));
	s0 = stats_of(o);
	ck_assert(s0.scan_in_progress);
	ck_assert_uint_eq(s0.cgroup_first, 2);
	ck_assert_uint_eq(s0.cgroup_walks, 1);
	ck_assert_uint_le(s0.pids_scanned, 10);
	w = lookup_ok(o, 4242, cg);
	ck_assert_int_eq(w.pid, 5000);
	ck_assert_str_eq(w.comm, "web");
	ck_assert_str_eq(w.unit, "web.service");
	ck_assert_uint_eq(w.holders, 2);

	/* Same instant: continued, not a new scan, not rate-limited. */
	ck_assert_int_eq(owners_refresh(o, &in, &cg, 1, SEC), 0);
	s1 = stats_of(o);
	ck_assert_uint_gt(s1.pids_scanned, s0.pids_scanned);
	ck_assert_uint_gt(s1.fds_examined, s0.fds_examined);
	ck_assert_uint_eq(s1.full_scans, 1);
	ck_assert_uint_eq(s1.incr_scans, 0);
	ck_assert(owners_scanning(o));

	/* Too few rounds: 1, with what was found so far; 0 counts as 1. */
	ck_assert_int_eq(owners_refresh_complete(o, &in, &cg, 1, SEC, 2), 1);
	s0 = stats_of(o);
	ck_assert_uint_gt(s0.pids_scanned, s1.pids_scanned);
	ck_assert_int_eq(owners_refresh_complete(o, &in, &cg, 1, SEC, 0), 1);
	ck_assert_uint_gt(stats_of(o).pids_scanned, s0.pids_scanned);
	ck_assert(owners_scanning(o));

	ck_assert_int_eq(owners_refresh_complete(o, &in, &cg, 1, SEC, 1000), 0);
	ck_assert(!owners_scanning(o));
	s1 = stats_of(o);
	ck_assert(!s1.scan_in_progress);
	ck_assert_uint_eq(s1.full_scans, 1);
	ck_assert_uint_eq(s1.incr_scans, 0);
	ck_assert_uint_eq(s1.pids_scanned, 102);
	ck_assert_uint_eq(s1.cgroup_first, 2);
	w = lookup_ok(o, 4242, cg);
	ck_assert_int_eq(w.pid, 5000);
	ck_assert_uint_eq(w.holders, 3);
	/* Done: nothing more to do, at once. */
	ck_assert_int_eq(owners_refresh_complete(o, &in, &cg, 1, SEC, 1), 0);
	ck_assert_uint_eq(stats_of(o).pids_scanned, 102);
	owners_free(o);
}
END_TEST

/* The same tree without the cgroup id: the first budget reaches neither
 * the owner nor 1050, and the scan runs in pid order; complete, it gives
 * the same answer. */
START_TEST(test_fake_cgroup_first_without_id)
{
	struct sw_owners *o = fk_owners();
	struct sw_owners_params p = { .scan_budget = 60 };
	uint32_t in = 4242;
	uint64_t none = 0;
	struct sw_owner w;

	(void)fk_cgroup_first_tree();
	owners_set_params(o, &p);
	ck_assert_int_eq(owners_refresh(o, &in, &none, 1, SEC), 0);
	ck_assert(owners_scanning(o));
	lookup_none(o, 4242);
	ck_assert_uint_eq(stats_of(o).cgroup_first, 0);
	ck_assert_int_eq(owners_refresh_complete(o, &in, &none, 1, SEC, 1000), 0);
	w = lookup_ok(o, 4242, 0);
	ck_assert_int_eq(w.pid, 5000);
	ck_assert_uint_eq(w.holders, 3);
	ck_assert_uint_eq(stats_of(o).pids_scanned, 102);
	owners_free(o);
}
END_TEST

/* A scan that ends leaving the next one due is run by
 * owners_refresh_complete too. A new listener of an old process: the
 * incremental scan reads the one new pid, which has just exited, and so
 * spends the whole budget (4 units) and ends without finding it; the full
 * scan that is then due (the rate limit allows it) does, within the same
 * call. */
START_TEST(test_fake_complete_runs_due_scans)
{
	struct sw_owners *o = fk_owners();
	struct sw_owners_params big = { .min_rescan_usec = SEC, .scan_budget = 100000 };
	struct sw_owners_params tiny = { .scan_budget = 4 };
	uint32_t in1[] = { 5000 }, in2[] = { 5000, 9000 };
	char path[400];

	owners_set_params(o, &big);
	fk_prefork();
	ck_assert_int_eq(owners_refresh_complete(o, in1, NULL, 1, 100 * SEC, 10), 0);
	ck_assert_uint_eq(stats_of(o).full_scans, 1);
	owners_set_params(o, &tiny);
	fk_proc(800, 1, "brief", "/");
	snprintf(path, sizeof(path), "%s/800/fd", procdir);
	fk_rm(path);
	fk_sock(200, 9, 9000);
	ck_assert_int_eq(owners_refresh_complete(o, in2, NULL, 2, 110 * SEC, 1000), 0);
	ck_assert_uint_eq(stats_of(o).incr_scans, 1);
	ck_assert_uint_eq(stats_of(o).full_scans, 2);
	ck_assert_int_eq(lookup_ok(o, 9000, 0).pid, 200);
	ck_assert(!owners_scanning(o));
	owners_free(o);
}
END_TEST

/* cgroup id -> unit by walking the tree when no known process lives in
 * the cgroup: escaped names, nested slices, and a walk that is cached and
 * rate-limited. */
START_TEST(test_fake_cgroup_walk)
{
	struct sw_owners *o = fk_owners();
	uint64_t g = fk_cgroup("/system.slice/system-getty.slice/getty@tty1.service");
	uint64_t e = fk_cgroup("/system.slice/foo\\x2dbar.service");
	uint64_t d = fk_cgroup("/a.slice/a-b.slice/a-b-c.slice/deep.service");
	uint64_t u = fk_cgroup("/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope");
	uint64_t r = fk_cgroup("");
	uint32_t in[] = { 1, 2, 3, 4, 5, 6 };
	uint64_t cg[] = { g, e, d, u, r, 987654321 };
	struct sw_owner w;
	struct sw_owners_params p = { .min_rescan_usec = 10 * SEC };

	owners_set_params(o, &p);
	ck_assert_int_eq(owners_refresh(o, in, cg, 6, 50 * SEC), 0);
	ck_assert_uint_eq(stats_of(o).cgroup_walks, 1);
	w = lookup_ok(o, 1, g);
	ck_assert_int_eq(w.pid, 0);           /* process unknown, unit known */
	ck_assert_uint_eq(w.holders, 0);
	ck_assert_str_eq(w.comm, "");
	ck_assert_str_eq(w.unit, "getty@tty1.service");
	ck_assert_str_eq(lookup_ok(o, 2, e).unit, "foo-bar.service");
	ck_assert_str_eq(lookup_ok(o, 3, d).unit, "deep.service");
	ck_assert_str_eq(lookup_ok(o, 4, u).unit, "user@1000.service/x.scope");
	lookup_none(o, 5);                    /* the root cgroup: no unit */
	lookup_none(o, 6);                    /* no such cgroup */

	/* Cached: no second walk, even with the unknown id still asked for
	 * and the rate limit long past. */
	ck_assert_int_eq(owners_refresh(o, in, cg, 6, 51 * SEC), 0);
	ck_assert_int_eq(owners_refresh(o, in, cg, 6, 500 * SEC), 0);
	ck_assert_uint_eq(stats_of(o).cgroup_walks, 1);

	/* A new cgroup: a walk, but not before the rate limit allows. */
	uint64_t n = fk_cgroup("/system.slice/late.service");
	uint32_t in2[] = { 1, 7 };
	uint64_t cg2[] = { g, n };

	ck_assert_int_eq(owners_refresh(o, in2, cg2, 2, 505 * SEC), 0);
	ck_assert_uint_eq(stats_of(o).cgroup_walks, 2);
	ck_assert_str_eq(lookup_ok(o, 7, n).unit, "late.service");
	uint64_t m = fk_cgroup("/system.slice/later.service");
	cg2[1] = m;
	ck_assert_int_eq(owners_refresh(o, in2, cg2, 2, 506 * SEC), 0);
	ck_assert_uint_eq(stats_of(o).cgroup_walks, 2);
	lookup_none(o, 7);
	ck_assert_int_eq(owners_refresh(o, in2, cg2, 2, 515 * SEC), 0);
	ck_assert_uint_eq(stats_of(o).cgroup_walks, 3);
	ck_assert_str_eq(lookup_ok(o, 7, m).unit, "later.service");
	owners_free(o);
}
END_TEST

/* The holder's cgroup id comes from /proc/PID/cgroup + stat: no walk is
 * needed, and a hybrid layout's "unified" directory is found. */
START_TEST(test_fake_cgroup_from_holder_hybrid)
{
	struct sw_owners *o;
	char path[512], uni[400];
	uint32_t in[] = { 55 };
	uint64_t id;
	struct sw_owner w;
	struct stat st;

	/* Move the v2 root to cg/unified, as on a hybrid host. */
	snprintf(path, sizeof(path), "%s/cgroup.controllers", cgdir);
	ck_assert_int_eq(unlink(path), 0);
	snprintf(uni, sizeof(uni), "%s/unified", cgdir);
	ck_assert_int_eq(mkdir(uni, 0755), 0);
	snprintf(path, sizeof(path), "%s/cgroup.controllers", uni);
	fk_write(path, "\n");
	snprintf(path, sizeof(path), "%s/system.slice", uni);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/system.slice/web.service", uni);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	id = (uint64_t)st.st_ino;

	fk_proc(900, 1, "web", "/system.slice/web.service");
	fk_sock(900, 3, 55);
	o = fk_owners();
	ck_assert_int_eq(owners_refresh(o, in, &id, 1, SEC), 0);
	w = lookup_ok(o, 55, id);
	ck_assert_int_eq(w.pid, 900);
	ck_assert_str_eq(w.unit, "web.service");
	ck_assert_uint_eq(stats_of(o).cgroup_walks, 0);
	owners_free(o);
}
END_TEST

/* Missing roots: no proc root is an error, no cgroup root only loses
 * units. */
START_TEST(test_fake_roots)
{
	struct sw_owners *o = NULL;
	char path[400];
	uint32_t in[] = { 5000 };
	uint64_t cg[] = { 12345 };

	snprintf(path, sizeof(path), "%s/nonexistent", top);
	ck_assert_int_eq(owners_new(path, cgdir, &o), -ENOENT);
	ck_assert_int_eq(owners_new(procdir, path, &o), 0);
	fk_prefork();
	ck_assert_int_eq(owners_refresh(o, in, cg, 1, SEC), 0);
	ck_assert_int_eq(lookup_ok(o, 5000, 0).pid, 100);
	ck_assert_str_eq(lookup_ok(o, 5000, 0).unit, "nginx.service");
	ck_assert_uint_eq(stats_of(o).cgroup_walks, 0);
	owners_free(o);
	owners_free(NULL);
}
END_TEST

/* Permission denied is not an error: the owner is unknown and the reason
 * is given once. Runs in a child that drops root if it has it; the child
 * reports by exit code. */
static int denied_child(void)
{
	struct sw_owners *o = NULL;
	uint32_t in[] = { 55, 56 };
	struct sw_owner w;
	struct sw_owners_stats st;
	const char *reason;

	if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
			       setresuid(65534, 65534, 65534) < 0))
		return 10;
	if (owners_new(procdir, cgdir, &o) < 0)
		return 11;
	if (owners_refresh(o, in, NULL, 2, SEC) < 0)
		return 12;
	if (owners_lookup(o, 55, 0, &w) != -ENOENT)
		return 13;
	if (owners_lookup(o, 56, 0, &w) != 0 || w.pid != 951)
		return 14;
	reason = owners_unknown_reason(o);
	if (!reason || !strstr(reason, "permission"))
		return 15;
	owners_get_stats(o, &st);
	if (st.denied != 1)
		return 16;
	/* Later scans keep the same reason (status shows it once). */
	if (owners_refresh(o, in, NULL, 2, 100 * SEC) < 0 || owners_unknown_reason(o) != reason)
		return 17;
	owners_free(o);

	/* The real /proc: pid 1 belongs to root, not to us. */
	if (owners_new("/proc", "/sys/fs/cgroup", &o) < 0)
		return 20;
	if (owners_refresh(o, in, NULL, 1, SEC) < 0)
		return 21;
	if (!owners_unknown_reason(o))
		return 22;
	owners_free(o);
	return 0;
}

START_TEST(test_denied)
{
	char path[400];
	pid_t pid;
	int status;

	fk_proc(950, 1, "secret", "/");
	fk_sock(950, 3, 55);
	snprintf(path, sizeof(path), "%s/950/fd", procdir);
	/* Root's and closed to others; as a plain user the tree is ours,
	 * so close it to ourselves instead. */
	ck_assert_int_eq(chmod(path, geteuid() == 0 ? 0700 : 0), 0);
	fk_proc(951, 1, "open", "/");
	fk_sock(951, 3, 56);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(denied_child());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "denied child failed: status %d", status);
	ck_assert_int_eq(chmod(path, 0755), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Live tests against the real /proc                                    */

/* The helpers of a live test: one process group, killed at the end; and
 * a pipe only this process writes to, so that helpers left behind by a
 * test that died some other way see EOF and exit. */
static pid_t live_pgid, live_hog_pid;
static int live_life = -1;

static void live_teardown(void)
{
	if (live_pgid > 0)
		kill(-live_pgid, SIGKILL);
	live_pgid = 0;
	if (live_hog_pid > 0)
		kill(live_hog_pid, SIGKILL);
	live_hog_pid = 0;
	if (live_life >= 0)
		close(live_life);
	live_life = -1;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void live_setup(void)
{
	static bool registered;

	if (!registered)
		atexit(live_teardown);
	registered = true;
}

/* A helper's idle loop: returns when the test process is gone. */
static void live_idle(int life)
{
	char c;

	for (;;) {
		ssize_t n = read(life, &c, 1);

		if (n == 0 || (n < 0 && errno != EINTR))
			_exit(0);
	}
}

static void xwrite(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		_exit(70);
}

static void xread(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0)
			_exit(71);
		got += (size_t)n;
	}
}

/* A TCP listener on 127.0.0.1, ephemeral port; returns its inode. */
static int live_listen(uint32_t *ret_inode)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct stat st;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0 ||
	    fstat(fd, &st) < 0)
		_exit(72);
	*ret_inode = (uint32_t)st.st_ino;
	return fd;
}

/* What the helper tree reports to the test. */
struct live_report {
	uint32_t inode;
	pid_t master;
	pid_t workers[2];
};

/* In the master: forks a child that keeps the listener under its own
 * name. Returns once the child has named itself (it acks on the ack
 * pipe), so whatever the master reports next is already true of it. */
static pid_t live_fork_named(const char *name, int life, const int ack[2])
{
	pid_t w = fork();
	char c;

	if (w < 0)
		_exit(73);
	if (w == 0) {
		if (prctl(PR_SET_NAME, name) < 0)
			_exit(74);
		xwrite(ack[1], "k", 1);
		live_idle(life);
	}
	xread(ack[0], &c, 1);
	return w;
}

/* Forks the master (in its own process group). It names itself, opens the
 * listener, forks nworkers children that keep it and have named
 * themselves, reports, then waits for one byte on cmd: 'x' exits the
 * master alone, 'f' forks one more worker and reports its pid. Workers
 * sleep until killed. */
static void live_start(int nworkers, struct live_report *rep, int *ret_cmd, int *ret_rep)
{
	int up[2], down[2], life[2], ack[2];
	pid_t pid;

	ck_assert_int_eq(pipe2(up, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(down, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(life, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(ack, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct live_report r = { 0 };
		int lfd;
		char c;

		close(life[1]);
		close(up[0]);
		close(down[1]);
		setpgid(0, 0);
		prctl(PR_SET_NAME, "swo-master");
		lfd = live_listen(&r.inode);
		r.master = getpid();
		for (int i = 0; i < nworkers; i++)
			r.workers[i] = live_fork_named("swo-worker", life[0], ack);
		xwrite(up[1], &r, sizeof(r));
		for (;;) {
			xread(down[0], &c, 1);
			if (c == 'x')
				_exit(0);
			if (c == 'f') {
				pid_t w = live_fork_named("swo-late", life[0], ack);

				xwrite(up[1], &w, sizeof(w));
			}
		}
		(void)lfd;
	}
	live_pgid = pid;
	live_life = life[1];
	setpgid(pid, pid);          /* either side may win the race */
	close(life[0]);
	close(up[1]);
	close(down[0]);
	close(ack[0]);
	close(ack[1]);
	xread(up[0], rep, sizeof(*rep));
	ck_assert_int_eq(rep->master, pid);
	*ret_cmd = down[1];
	*ret_rep = up[0];
}

static struct sw_owners *live_owners(void)
{
	struct sw_owners *o = NULL;
	/* Tests drive time by hand; keep the real rate limits. */
	ck_assert_int_eq(owners_new("/proc", "/sys/fs/cgroup", &o), 0);
	return o;
}

/* A listener opened by a child: its pid and comm; with forked workers
 * holding it too, still the master, with every holder counted. */
static const struct { int workers; uint32_t holders; } live_holder_cases[] = {
	{ 0, 1 },
	{ 2, 3 },
};

START_TEST(test_live_holders)
{
	struct live_report rep;
	struct sw_owners *o = live_owners();
	struct sw_owner w;
	int cmd, up;

	live_start(live_holder_cases[_i].workers, &rep, &cmd, &up);
	ck_assert_int_eq(refresh_all(o, rep.inode, 0, util_now_usec()), 0);
	w = lookup_ok(o, rep.inode, 0);
	ck_assert_int_eq(w.pid, rep.master);
	ck_assert_str_eq(w.comm, "swo-master");
	ck_assert_uint_eq(w.holders, live_holder_cases[_i].holders);
	owners_free(o);
	close(cmd);
	close(up);
}
END_TEST

/* The master exits; a worker it forked before the scan keeps the socket:
 * the next refresh (after the recheck period) names the worker. */
START_TEST(test_live_owner_exits)
{
	struct live_report rep;
	struct sw_owners *o = live_owners();
	struct sw_owner w;
	uint64_t now = util_now_usec();
	int cmd, up;

	live_start(1, &rep, &cmd, &up);
	ck_assert_int_eq(refresh_all(o, rep.inode, 0, now), 0);
	ck_assert_int_eq(lookup_ok(o, rep.inode, 0).pid, rep.master);
	ck_assert_uint_eq(lookup_ok(o, rep.inode, 0).holders, 2);
	xwrite(cmd, "x", 1);
	ck_assert_int_eq(waitpid(rep.master, NULL, 0), rep.master);
	ck_assert_int_eq(refresh_all(o, rep.inode, 0, now + 2 * SEC), 0);
	w = lookup_ok(o, rep.inode, 0);
	ck_assert_int_eq(w.pid, rep.workers[0]);
	ck_assert_str_eq(w.comm, "swo-worker");
	ck_assert_uint_eq(w.holders, 1);
	owners_free(o);
	close(cmd);
	close(up);
}
END_TEST

/* The same, with the surviving child forked after the scan and the master
 * left a zombie (not reaped yet): the lost inode triggers an incremental
 * scan that finds the new pid. */
START_TEST(test_live_owner_exits_late_child)
{
	struct live_report rep;
	struct sw_owners *o = live_owners();
	struct sw_owners_stats st;
	struct sw_owner w;
	uint64_t now = util_now_usec();
	pid_t late;
	int cmd, up;

	live_start(0, &rep, &cmd, &up);
	ck_assert_int_eq(refresh_all(o, rep.inode, 0, now), 0);
	ck_assert_int_eq(lookup_ok(o, rep.inode, 0).pid, rep.master);
	xwrite(cmd, "f", 1);
	xread(up, &late, sizeof(late));
	xwrite(cmd, "x", 1);
	/* Wait for it to exit without reaping it: a zombie holds no fds. */
	siginfo_t si = { 0 };
	ck_assert_int_eq(waitid(P_PID, (id_t)rep.master, &si, WEXITED | WNOWAIT), 0);
	ck_assert_int_eq(si.si_pid, rep.master);
	ck_assert_int_eq(refresh_all(o, rep.inode, 0, now + 2 * SEC), 0);
	w = lookup_ok(o, rep.inode, 0);
	ck_assert_int_eq(w.pid, late);
	ck_assert_str_eq(w.comm, "swo-late");
	ck_assert_uint_eq(w.holders, 1);
	owners_get_stats(o, &st);
	ck_assert_uint_eq(st.full_scans, 1);
	ck_assert_uint_eq(st.incr_scans, 1);
	waitpid(rep.master, NULL, 0);
	owners_free(o);
	close(cmd);
	close(up);
}
END_TEST

/* A process holding n fds (all /dev/null), killed by teardown or when
 * this one dies. Returns how many it holds once it holds them. */
static int live_hog(int n)
{
	int up[2], got = 0;
	pid_t parent = getpid();

	ck_assert_int_eq(pipe2(up, O_CLOEXEC), 0);
	live_hog_pid = fork();
	ck_assert_int_ge(live_hog_pid, 0);
	if (live_hog_pid == 0) {
		int fd, held = 0;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		prctl(PR_SET_NAME, "swo-hog");
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(75);
		for (held = 1; held < n && fcntl(fd, F_DUPFD_CLOEXEC, 0) >= 0; held++)
			;
		xwrite(up[1], &held, sizeof(held));
		for (;;)
			pause();
	}
	close(up[1]);
	xread(up[0], &got, sizeof(got));
	close(up[0]);
	return got;
}

/* Far more fds than one budget covers (a helper holds 19900, the budget
 * is 20000 entries and every pid costs more): one refresh leaves the scan
 * in progress; another at the same instant continues it rather than being
 * rate-limited; owners_refresh_complete finishes it, with the owner found
 * and every fd of the helper read. */
START_TEST(test_live_many_fds)
{
	struct live_report rep;
	struct sw_owners *o = live_owners();
	struct sw_owners_params p = { .scan_budget = 20000 };
	struct sw_owners_stats s0, s1;
	struct sw_owner w;
	uint64_t now, cg = 0;
	int cmd, up;

	owners_set_params(o, &p);
	live_start(0, &rep, &cmd, &up);
	ck_assert_int_ge(live_hog(19900), 19900);
	now = util_now_usec();
	ck_assert_int_eq(owners_refresh(o, &rep.inode, &cg, 1, now), 0);
	ck_assert(owners_scanning(o));
	s0 = stats_of(o);
	ck_assert_int_eq(owners_refresh(o, &rep.inode, &cg, 1, now), 0);
	s1 = stats_of(o);
	ck_assert_uint_gt(s1.fds_examined + s1.pids_scanned + s1.vanished + s1.denied,
			  s0.fds_examined + s0.pids_scanned + s0.vanished + s0.denied);
	ck_assert_uint_eq(s1.full_scans, 1);
	ck_assert_uint_eq(s1.incr_scans, 0);
	ck_assert_int_eq(refresh_all(o, rep.inode, cg, now), 0);
	ck_assert(!owners_scanning(o));
	s1 = stats_of(o);
	ck_assert_uint_eq(s1.full_scans, 1);
	ck_assert_uint_gt(s1.fds_examined, 19900);
	w = lookup_ok(o, rep.inode, 0);
	ck_assert_int_eq(w.pid, rep.master);
	ck_assert_str_eq(w.comm, "swo-master");
	ck_assert_uint_eq(w.holders, 1);
	owners_free(o);
	close(cmd);
	close(up);
}
END_TEST

/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* owner_refresh_plan: what a refresh does past syncing the set         */

static const struct plan_case {
	const char *name;
	struct owner_refresh_facts f;
	struct owner_refresh_plan want;
} plan_cases[] = {
	{ "first refresh starts the period and passes",
	  { .same_set = false, .idle = false, .first = true, .recheck_usec = SEC },
	  { .start_period = true, .recheck = false, .pass = true } },
	{ "first refresh, same (empty) set, not idle yet",
	  { .same_set = true, .idle = false, .first = true, .recheck_usec = SEC },
	  { .start_period = true, .recheck = false, .pass = true } },
	{ "same set, idle, recheck not due: nothing",
	  { .same_set = true, .idle = true, .since_recheck_usec = SEC / 2, .recheck_usec = SEC },
	  { .start_period = false, .recheck = false, .pass = false } },
	{ "same set, idle, recheck due: the recheck only",
	  { .same_set = true, .idle = true, .since_recheck_usec = SEC, .recheck_usec = SEC },
	  { .start_period = false, .recheck = true, .pass = false } },
	{ "same set, idle, recheck long overdue",
	  { .same_set = true, .idle = true, .since_recheck_usec = 60 * SEC, .recheck_usec = SEC },
	  { .start_period = false, .recheck = true, .pass = false } },
	{ "same set, not idle (a scan or a walk pending): passes",
	  { .same_set = true, .idle = false, .since_recheck_usec = 0, .recheck_usec = SEC },
	  { .start_period = false, .recheck = false, .pass = true } },
	{ "changed set, idle before: passes",
	  { .same_set = false, .idle = true, .since_recheck_usec = 0, .recheck_usec = SEC },
	  { .start_period = false, .recheck = false, .pass = true } },
	{ "changed set, recheck due: both",
	  { .same_set = false, .idle = true, .since_recheck_usec = 2 * SEC, .recheck_usec = SEC },
	  { .start_period = false, .recheck = true, .pass = true } },
};

START_TEST(test_refresh_plan_table)
{
	const struct plan_case *c = &plan_cases[_i];
	struct owner_refresh_plan got;

	memset(&got, 0x55, sizeof(got));
	owner_refresh_plan(&c->f, &got);
	ck_assert_msg(got.start_period == c->want.start_period, "%s: start_period", c->name);
	ck_assert_msg(got.recheck == c->want.recheck, "%s: recheck", c->name);
	ck_assert_msg(got.pass == c->want.pass, "%s: pass", c->name);
}
END_TEST

/* A poll whose listeners did not change costs the owner cache nothing
 * beyond the recheck its period allows; a holder lost in the recheck, a
 * new listener or a reordered but equal set are handled as before. */
START_TEST(test_fake_unchanged_set_idle)
{
	struct sw_owners *o = fk_owners();
	struct sw_owners_params p = {
		.min_rescan_usec = 10 * SEC, .min_incr_usec = SEC, .recheck_usec = SEC,
		.scan_budget = 100000,
	};
	uint32_t in1[] = { 5000, 6000, 7777 };    /* 7777: nobody holds it */
	uint32_t in1r[] = { 7777, 5000, 6000 };
	uint32_t in2[] = { 5000, 6000, 7777, 8000 };
	struct sw_owners_stats s0, s;

	owners_set_params(o, &p);
	fk_prefork();
	ck_assert_int_eq(owners_refresh(o, in1, NULL, 3, 100 * SEC), 0);
	s0 = stats_of(o);
	ck_assert_uint_eq(s0.full_scans, 1);
	ck_assert_uint_eq(s0.idle_refreshes, 0);

	/* Same set, recheck not due: nothing at all (7777 was given up). */
	ck_assert_int_eq(owners_refresh(o, in1, NULL, 3, 100 * SEC + SEC / 2), 0);
	s = stats_of(o);
	ck_assert_uint_eq(s.idle_refreshes, 1);
	ck_assert_uint_eq(s.pids_scanned, s0.pids_scanned);
	ck_assert_uint_eq(s.full_scans + s.incr_scans, 1);
	ck_assert_uint_eq(lookup_ok(o, 5000, 0).holders, 3);

	/* The same set in another order: still the same set. */
	ck_assert_int_eq(owners_refresh(o, in1r, NULL, 3, 100 * SEC + SEC / 2), 0);
	ck_assert_uint_eq(stats_of(o).idle_refreshes, 2);

	/* Recheck due, no holder changed: the recheck only. */
	ck_assert_int_eq(owners_refresh(o, in1, NULL, 3, 102 * SEC), 0);
	s = stats_of(o);
	ck_assert_uint_eq(s.idle_refreshes, 3);
	ck_assert_uint_eq(s.full_scans + s.incr_scans, 1);

	/* A worker exits: the recheck sees it and the owners are chosen again. */
	fk_rm_proc(102);
	ck_assert_int_eq(owners_refresh(o, in1, NULL, 3, 104 * SEC), 0);
	s = stats_of(o);
	ck_assert_uint_eq(s.idle_refreshes, 3);
	ck_assert_uint_eq(lookup_ok(o, 5000, 0).holders, 2);
	ck_assert_uint_eq(s.full_scans + s.incr_scans, 1);

	/* Idle again after that. */
	ck_assert_int_eq(owners_refresh(o, in1, NULL, 3, 104 * SEC + 1), 0);
	ck_assert_uint_eq(stats_of(o).idle_refreshes, 4);

	/* A new listener: an incremental scan finds its new process. */
	fk_proc(800, 1, "new", "/system.slice/new.service");
	fk_sock(800, 3, 8000);
	ck_assert_int_eq(owners_refresh(o, in2, NULL, 4, 105 * SEC), 0);
	s = stats_of(o);
	ck_assert_uint_eq(s.idle_refreshes, 4);
	ck_assert_uint_eq(s.incr_scans, 1);
	ck_assert_int_eq(lookup_ok(o, 8000, 0).pid, 800);
	owners_free(o);
}
END_TEST

/* An inode still looked for (its full scan held back by min_rescan) keeps
 * refreshes of the same set working: the scan runs once it is allowed. */
START_TEST(test_fake_unchanged_set_sought)
{
	struct sw_owners *o = fk_owners();
	struct sw_owners_params p = {
		.min_rescan_usec = 10 * SEC, .min_incr_usec = SEC, .recheck_usec = 100 * SEC,
		.scan_budget = 100000,
	};
	uint32_t in1[] = { 5000, 6000 };
	uint32_t in2[] = { 5000, 6000, 9000 };
	struct sw_owners_stats s;

	owners_set_params(o, &p);
	fk_prefork();
	ck_assert_int_eq(owners_refresh(o, in1, NULL, 2, 100 * SEC), 0);
	/* An old process opens a new listener: the incremental scan misses it. */
	fk_sock(200, 9, 9000);
	ck_assert_int_eq(owners_refresh(o, in2, NULL, 3, 102 * SEC), 0);
	lookup_none(o, 9000);
	for (uint64_t t = 103; t < 110; t++) {
		ck_assert_int_eq(owners_refresh(o, in2, NULL, 3, t * SEC), 0);
		ck_assert_uint_eq(stats_of(o).idle_refreshes, 0);
	}
	ck_assert_int_eq(owners_refresh(o, in2, NULL, 3, 110 * SEC), 0);
	s = stats_of(o);
	ck_assert_uint_eq(s.full_scans, 2);
	ck_assert_int_eq(lookup_ok(o, 9000, 0).pid, 200);
	ck_assert_int_eq(owners_refresh(o, in2, NULL, 3, 111 * SEC), 0);
	ck_assert_uint_eq(stats_of(o).idle_refreshes, 1);
	owners_free(o);
}
END_TEST

/* settle (--once): the scan ends once every wanted inode has a holder that
 * is not a service manager; the owner is the one a whole scan names. */
START_TEST(test_fake_settle)
{
	struct sw_owners *o = fk_owners();
	uint32_t in1[] = { 5000, 6000 };
	uint32_t in2[] = { 4444 };
	struct sw_owners_stats s;
	struct sw_owner w;

	fk_prefork();
	owners_set_settle(o, true);
	ck_assert_int_eq(owners_refresh_complete(o, in1, NULL, 2, 100 * SEC, 10), 0);
	w = lookup_ok(o, 5000, 0);
	ck_assert_int_eq(w.pid, 100);
	ck_assert_str_eq(w.comm, "nginx");
	ck_assert_int_eq(lookup_ok(o, 6000, 0).pid, 200);
	s = stats_of(o);
	ck_assert_uint_eq(s.settle_skipped, 0);       /* 200 is the last pid */
	owners_free(o);

	/* Held by the service manager (pid 1, read first) and a service: the
	 * manager does not settle it, the service does; what follows is not
	 * read, so holders counts those read. */
	o = fk_owners();
	fk_sock(100, 9, 4444);
	owners_set_settle(o, true);
	ck_assert_int_eq(owners_refresh_complete(o, in2, NULL, 1, 100 * SEC, 10), 0);
	w = lookup_ok(o, 4444, 0);
	ck_assert_int_eq(w.pid, 100);
	ck_assert_uint_eq(w.holders, 2);
	s = stats_of(o);
	ck_assert_uint_eq(s.pids_scanned, 2);
	ck_assert_uint_eq(s.settle_skipped, 3);
	ck_assert(!owners_scanning(o));
	owners_free(o);

	/* Without settle the same tree is read whole. */
	o = fk_owners();
	ck_assert_int_eq(owners_refresh_complete(o, in2, NULL, 1, 100 * SEC, 10), 0);
	ck_assert_int_eq(lookup_ok(o, 4444, 0).pid, 100);
	ck_assert_uint_eq(stats_of(o).pids_scanned, 5);
	ck_assert_uint_eq(stats_of(o).settle_skipped, 0);
	owners_free(o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("owner");
	TCase *tc;

	tc = tcase_create("unit");
	tcase_add_loop_test(tc, test_unit_table, 0, (int)SW_ARRAY_SIZE(unit_cases));
	tcase_add_test(tc, test_unit_small_buffer);
	tcase_add_loop_test(tc, test_refresh_plan_table, 0, (int)SW_ARRAY_SIZE(plan_cases));
	tcase_add_loop_test(tc, test_path_is_manager, 0, (int)SW_ARRAY_SIZE(manager_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("fake");
	tcase_add_unchecked_fixture(tc, fk_base_setup, fk_base_teardown);
	tcase_add_checked_fixture(tc, fk_setup, fk_teardown);
	tcase_add_test(tc, test_fake_prefork);
	tcase_add_test(tc, test_fake_unchanged_set_idle);
	tcase_add_test(tc, test_fake_unchanged_set_sought);
	tcase_add_test(tc, test_fake_settle);
	tcase_add_test(tc, test_fake_selection);
	tcase_add_test(tc, test_fake_proc_parsing);
	tcase_add_test(tc, test_fake_vanished);
	tcase_add_test(tc, test_fake_incremental_and_rate_limit);
	tcase_add_test(tc, test_fake_owner_exits);
	tcase_add_test(tc, test_fake_budget);
	tcase_add_test(tc, test_fake_comm_renamed);
	tcase_add_test(tc, test_fake_cgroup_first);
	tcase_add_test(tc, test_fake_cgroup_first_without_id);
	tcase_add_test(tc, test_fake_complete_runs_due_scans);
	tcase_add_test(tc, test_fake_cgroup_walk);
	tcase_add_test(tc, test_fake_cgroup_from_holder_hybrid);
	tcase_add_test(tc, test_fake_roots);
	tcase_add_test(tc, test_denied);
	suite_add_tcase(s, tc);

	tc = tcase_create("live");
	tcase_add_checked_fixture(tc, live_setup, live_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_live_holders, 0, (int)SW_ARRAY_SIZE(live_holder_cases));
	tcase_add_test(tc, test_live_owner_exits);
	tcase_add_test(tc, test_live_owner_exits_late_child);
	tcase_add_test(tc, test_live_many_fds);
	suite_add_tcase(s, tc);

	return sw_check_run(s);
}
