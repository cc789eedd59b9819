/* Fuzz target: the privileged helper's request parser and answers
 * (helper_answer), over the bytes of one request as the monitor would send
 * them. The helper reads a small prepared /proc tree made once at start,
 * never the real one, so runs are repeatable.
 *
 * The namespace table lists that tree too: no pid there has an ns/net and
 * it has no self/mountinfo, so a listing is empty and an open is -ESRCH,
 * and the fuzzer never enters a namespace.
 *
 * Besides memory errors it checks the contract of privsep.h: a request the
 * parser refuses is answered -EBADMSG with no payload and a reason; every
 * request it accepts is answered with a reply the monitor's own reply
 * parser accepts as the answer to that request, with fds only for a
 * netns-open answer. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "helper.h"
#include "helper_ns.h"
#include "privsep.h"
#include "procsrc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct sw_procsrc *src;
static struct helper_ns *ns;

static void put(const char *dir, const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/tmp/fuzz-helper.XXXXXX";
	char path[256];

	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/812", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/812/fd", dir);
	mkdir(path, 0755);
	put(dir, "812/stat", "812 (nginx) S 1 812 812 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 4242 0 0\n");
	put(dir, "812/cgroup", "0::/system.slice/nginx.service\n");
	for (int fd = 0; fd < 40; fd++) {
		char target[32];

		snprintf(path, sizeof(path), "%s/812/fd/%d", dir, fd);
		snprintf(target, sizeof(target), fd % 3 ? "socket:[%d]" : "/dev/null", 1000 + fd);
		if (symlink(target, path) < 0)
			abort();
	}
	snprintf(path, sizeof(path), "%s/1", dir);
	mkdir(path, 0755);
	if (procsrc_new_local(dir, &src) < 0 || helper_ns_new(dir, &ns) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char reply[PS_REPLY_MAX];
	struct ps_request req;
	struct ps_reply_header h;
	const void *pl;
	const char *why = NULL, *why2 = NULL;
	struct helper_out out;
	int parsed;
	size_t len;

	helper_answer(src, ns, data, size, reply, &out);
	len = out.len;
	parsed = ps_request_parse(data, size, &req, &why2);
	for (size_t i = 0; i < out.n_fds; i++)
		close(out.fds[i]);
	FUZZ_ASSERT(out.fatal == NULL, "fatal: %s", out.fatal);
	FUZZ_ASSERT(len >= sizeof(h) && len <= PS_REPLY_MAX, "reply length %zu", len);
	memcpy(&h, reply, sizeof(h));
	if (parsed < 0) {
		FUZZ_ASSERT(out.refused != NULL, "refused without a reason");
		FUZZ_ASSERT(h.err == -EBADMSG && len == sizeof(h) && out.n_fds == 0,
			    "refused but answered %d", h.err);
		return 0;
	}
	FUZZ_ASSERT(out.refused == NULL, "accepted request refused: %s", out.refused);
	FUZZ_ASSERT(ps_reply_parse(&req, reply, len, &h, &pl, &why) == 0,
		    "the monitor refuses the answer to a %s request: %s", ps_type_name(req.type), why);
	FUZZ_ASSERT(out.n_fds == (req.type == PS_NETNS_OPEN && h.err == 0 ? PS_NETNS_FDS : 0),
		    "%zu fds with a %s answer", out.n_fds, ps_type_name(req.type));
	/* The prepared tree holds no namespace. */
	FUZZ_ASSERT(req.type != PS_NETNS_LIST || h.n == 0, "namespaces in the prepared tree");
	FUZZ_ASSERT(req.type != PS_NETNS_OPEN || h.err == -ESRCH, "open of an unlisted namespace");
	return 0;
}
