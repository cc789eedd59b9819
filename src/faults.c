/* The test seams: the environment parsed once, and the netlink receive
 * hook that makes chosen dumps fail (see faults.h). */
#include "faults.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "diag.h"
#include "journal.h"
#include "text.h"
#include "macro.h"

#define ENV_PROC_ROOT  "SOCKWATCHD_PROC_ROOT"
#define ENV_TEST_FAULT "SOCKWATCHD_TEST_FAULT"

static int faults_number(const char *s, const char *end, uint64_t max, uint64_t *ret)
{
	return text_parse_u64(s, (size_t)(end - s), max, ret) < 0 ? -EINVAL : 0;
}

/* "FROM[-TO]" of poll attempts, from 1. */
static int faults_range(const char *s, const char *end, uint64_t *from, uint64_t *to)
{
	const char *dash = memchr(s, '-', (size_t)(end - s));

	if (faults_number(s, dash ? dash : end, UINT64_MAX, from) < 0)
		return -EINVAL;
	if (!dash)
		*to = *from;
	else if (faults_number(dash + 1, end, UINT64_MAX, to) < 0)
		return -EINVAL;
	return *from == 0 || *to < *from ? -EINVAL : 0;
}

static int faults_rcvbuf(struct sw_faults *f, const char *s, const char *end)
{
	int got, r;
	socklen_t gl = sizeof(got);
	uint64_t v;

	if (faults_number(s, end, SIZE_MAX, &v) < 0)
		return -EINVAL;
	r = diag_set_rcvbuf(f->diag, (size_t)v);
	if (r < 0)
		return r;
	/* What the kernel made of it (it doubles the value, and has a
	 * floor), for the status document. */
	if (getsockopt(diag_fd(f->diag), SOL_SOCKET, SO_RCVBUF, &got, &gl) < 0)
		return -errno;
	f->rcvbuf = (uint64_t)got;
	return 0;
}

/* One "NAME=VALUE" item of SOCKWATCHD_TEST_FAULT. */
static int faults_item(struct sw_faults *f, const char *item, const char *end)
{
	static const struct {
		const char *name;
		enum sw_fault_dump dump;
		int err;
	} kinds[] = {
		{ "listeners-intr",    SW_FAULT_LISTENERS, -EINTR },
		{ "listeners-enobufs", SW_FAULT_LISTENERS, -ENOBUFS },
		{ "listeners-eperm",   SW_FAULT_LISTENERS, -EPERM },
		{ "synrecv-intr",      SW_FAULT_SYNRECV,   -EINTR },
		{ "synrecv-enobufs",   SW_FAULT_SYNRECV,   -ENOBUFS },
		{ "synrecv-eperm",     SW_FAULT_SYNRECV,   -EPERM },
		{ "unix-intr",         SW_FAULT_UNIX,      -EINTR },
		{ "unix-enobufs",      SW_FAULT_UNIX,      -ENOBUFS },
		{ "unix-eperm",        SW_FAULT_UNIX,      -EPERM },
	};
	const char *eq = memchr(item, '=', (size_t)(end - item)), *val;
	size_t nlen;

	if (!eq)
		return -EINVAL;
	nlen = (size_t)(eq - item);
	val = eq + 1;
#define ITEM_IS(s) (nlen == strlen(s) && memcmp(item, s, nlen) == 0)
	if (ITEM_IS("rcvbuf"))
		return faults_rcvbuf(f, val, end);
	if (ITEM_IS("poll-stop"))
		return faults_number(val, end, UINT64_MAX, &f->stop_after) < 0 || !f->stop_after
		       ? -EINVAL : 0;
	if (ITEM_IS("poll-hang"))
		return faults_number(val, end, UINT64_MAX, &f->hang_at) < 0 || !f->hang_at
		       ? -EINVAL : 0;
	for (size_t i = 0; i < SW_ARRAY_SIZE(kinds); i++) {
		struct sw_fault *x;

		if (!ITEM_IS(kinds[i].name))
			continue;
		if (f->n >= SW_FAULTS_MAX)
			return -E2BIG;
		x = &f->v[f->n];
		x->dump = kinds[i].dump;
		x->err = kinds[i].err;
		if (faults_range(val, end, &x->from, &x->to) < 0)
			return -EINVAL;
		f->n++;
		return 0;
	}
#undef ITEM_IS
	return -EINVAL;
}

int faults_init(struct sw_faults *f, struct sw_diag *diag, struct sw_journal *j)
{
	const char *root = getenv(ENV_PROC_ROOT), *spec = getenv(ENV_TEST_FAULT);

	f->diag = diag;
	if (root && *root) {
		if (root[0] != '/') {
			journal_log(j, LOG_ERR, "%s must be an absolute path: %s", ENV_PROC_ROOT, root);
			return -EINVAL;
		}
		journal_log(j, LOG_WARNING, "Test seam: reading sysctls and counters "
			    "below %s instead of /proc", root);
	} else {
		root = "/proc";
	}
	f->proc_root = strdup(root);
	if (!f->proc_root || asprintf(&f->netstat_path, "%s/net/netstat", root) < 0) {
		f->netstat_path = NULL;
		journal_log(j, LOG_ERR, "Out of memory");
		return -ENOMEM;
	}
	if (!spec || !*spec)
		return 0;
	f->spec = strdup(spec);
	if (!f->spec) {
		journal_log(j, LOG_ERR, "Out of memory");
		return -ENOMEM;
	}
	for (const char *p = spec; *p;) {
		const char *end = strchrnul(p, ',');

		if (faults_item(f, p, end) < 0) {
			journal_log(j, LOG_ERR, "%s: cannot use '%.*s' (of '%s')",
				    ENV_TEST_FAULT, (int)(end - p), p, spec);
			return -EINVAL;
		}
		p = *end ? end + 1 : end;
	}
	journal_log(j, LOG_WARNING, "Test seam: injecting faults: %s", spec);
	return 0;
}

void faults_clear(struct sw_faults *f)
{
	free(f->proc_root);
	free(f->netstat_path);
	free(f->spec);
	*f = (struct sw_faults){ 0 };
}

static ssize_t faults_recv_hook(void *userdata, int family, uint32_t states, uint32_t seq,
				uint32_t portid, void *buf, size_t len)
{
	struct sw_faults *f = userdata;

	f->injected++;
	return f->err;
}

void faults_arm(struct sw_faults *f, enum sw_fault_dump k, uint64_t attempt)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct sw_fault *x = &f->v[i];

		if (x->dump == k && attempt >= x->from && attempt <= x->to) {
			f->err = x->err;
			diag_set_recv_hook(f->diag, faults_recv_hook, f);
			return;
		}
	}
}

void faults_disarm(struct sw_faults *f)
{
	if (f->n)
		diag_set_recv_hook(f->diag, NULL, NULL);
}

bool faults_stop_polling(const struct sw_faults *f, uint64_t attempt)
{
	return f->stop_after && attempt >= f->stop_after;
}

void faults_hang(const struct sw_faults *f, uint64_t attempt)
{
	if (!f->hang_at || attempt != f->hang_at)
		return;
	/* SIGTERM is blocked for the signalfd: only SIGKILL ends this, as it
	 * would a poll stuck in the kernel. */
	for (;;)
		sleep(3600);
}
