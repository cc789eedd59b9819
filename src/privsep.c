/* Encoding and validation of the helper protocol (see privsep.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "privsep.h"

#define BAD(why) do { *ret_why = (why); return -EBADMSG; } while (0)

const char *ps_type_name(uint16_t type)
{
	switch (type) {
	case PS_PIDS:   return "pids";
	case PS_STAT:   return "stat";
	case PS_CGROUP: return "cgroup";
	case PS_FDS:    return "fds";
	case PS_NETNS_LIST: return "netns-list";
	case PS_NETNS_OPEN: return "netns-open";
	default:        return "unknown";
	}
}

int ps_request_parse(const void *buf, size_t len, struct ps_request *ret, const char **ret_why)
{
	struct ps_request r;

	if (len != sizeof(r))
		BAD(len < sizeof(r) ? "request too short" : "request too long");
	memcpy(&r, buf, sizeof(r));
	if (r.magic != PS_MAGIC)
		BAD("bad magic");
	if (r.type == 0 || r.type >= _PS_TYPE_MAX)
		BAD("unknown request type");
	if (r.flags != 0)
		BAD("flags set");
	switch (r.type) {
	case PS_PIDS:
		if (r.pid < 0 || r.pid > PS_PID_MAX)
			BAD("pid out of range");
		break;
	case PS_NETNS_LIST:
		if (r.pid < 0 || r.pid > PS_NETNS_MAX)
			BAD("namespace index out of range");
		break;
	case PS_NETNS_OPEN:
		if (r.pid != 0)
			BAD("field unused by this request is set");
		if (r.starttime == 0)
			BAD("namespace id 0");
		break;
	default:
		if (r.pid <= 0 || r.pid > PS_PID_MAX)
			BAD("pid out of range");
		break;
	}
	if (r.type == PS_FDS) {
		if (r.after_fd < -1)
			BAD("after_fd out of range");
		if (r.budget == 0 || r.budget > PS_MAX_BUDGET)
			BAD("budget out of range");
	} else if ((r.type != PS_NETNS_OPEN && r.starttime != 0) || r.after_fd != 0 ||
		   r.budget != 0) {
		BAD("field unused by this request is set");
	}
	*ret = r;
	return 0;
}

size_t ps_reply_capacity(const struct ps_request *req)
{
	switch (req->type) {
	case PS_PIDS:   return PS_MAX_PIDS;
	case PS_STAT:   return 1;
	case PS_CGROUP: return PS_FILE_MAX;
	case PS_FDS:    return req->budget;
	case PS_NETNS_LIST: return PS_NETNS_PAGE;
	case PS_NETNS_OPEN: return PS_NETNS_FDS;
	default:        return 0;
	}
}

static size_t elem_size(uint16_t type)
{
	switch (type) {
	case PS_PIDS: return sizeof(int32_t);
	case PS_FDS:  return sizeof(uint32_t);
	case PS_STAT: return sizeof(struct ps_stat);
	case PS_NETNS_LIST: return sizeof(struct ps_netns);
	case PS_NETNS_OPEN: return 0;    /* the fds come beside the message */
	default:      return 1;
	}
}

enum ps_mount_dir ps_netns_mount_dir(const char *path, size_t len)
{
	static const struct {
		const char *prefix;
		enum ps_mount_dir dir;
	} dirs[] = {
		{ "/run/netns/", PS_MOUNT_RUN },
		{ "/var/run/docker/netns/", PS_MOUNT_DOCKER },
		{ "/run/docker/netns/", PS_MOUNT_DOCKER },
	};

	if (len >= PS_NETNS_MOUNT_MAX)
		return PS_MOUNT_NONE;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t pl = strlen(dirs[i].prefix);
		const char *name = path + pl;
		size_t nl = len - pl;

		if (len <= pl || memcmp(path, dirs[i].prefix, pl) != 0)
			continue;
		if ((nl == 1 && name[0] == '.') || (nl == 2 && name[0] == '.' && name[1] == '.'))
			return PS_MOUNT_NONE;
		for (size_t k = 0; k < nl; k++) {
			unsigned char c = (unsigned char)name[k];

			if (c == '/' || c < 0x20 || c == 0x7f)
				return PS_MOUNT_NONE;
		}
		return dirs[i].dir;
	}
	return PS_MOUNT_NONE;
}

/* A mount field: "" or a mount point of dir, NUL-padded to the end. */
static bool mount_field_ok(const char *f, enum ps_mount_dir dir)
{
	const char *end = memchr(f, 0, PS_NETNS_MOUNT_MAX);
	size_t len;

	if (!end)
		return false;
	len = (size_t)(end - f);
	for (size_t i = len; i < PS_NETNS_MOUNT_MAX; i++)
		if (f[i] != 0)
			return false;
	return len == 0 || ps_netns_mount_dir(f, len) == dir;
}

static const char *netns_entry_bad(const struct ps_netns *e)
{
	if (e->id == 0 || e->inode == 0)
		return "namespace without an id or inode";
	if (e->reserved != 0 || (e->flags & ~PS_NETNS_OWN))
		return "namespace with reserved bits set";
	if (e->oldest_pid < 0 || e->oldest_pid > PS_PID_MAX || e->members > PS_PID_MAX)
		return "namespace member out of range";
	if ((e->oldest_pid == 0) != (e->members == 0))
		return "namespace members and oldest member disagree";
	if (!mount_field_ok(e->run_mount, PS_MOUNT_RUN) ||
	    !mount_field_ok(e->docker_mount, PS_MOUNT_DOCKER))
		return "malformed namespace mount";
	if (e->members == 0 && !e->run_mount[0] && !e->docker_mount[0])
		return "namespace held by nothing";
	if ((e->flags & PS_NETNS_OWN) && e->members == 0)
		return "own namespace without members";
	return NULL;
}

int ps_reply_parse(const struct ps_request *req, const void *buf, size_t len,
		   struct ps_reply_header *ret, const void **ret_payload, const char **ret_why)
{
	struct ps_reply_header h;
	const unsigned char *payload = (const unsigned char *)buf + sizeof(h);

	if (len < sizeof(h))
		BAD("reply too short");
	memcpy(&h, buf, sizeof(h));
	if (h.magic != PS_MAGIC)
		BAD("bad magic");
	if (h.type != req->type || h.seq != req->seq)
		BAD("reply to another request");
	if (h.reserved != 0 ||
	    (h.flags & ~(h.type == PS_NETNS_LIST ? PS_MORE | PS_TRUNCATED :
			 h.type == PS_NETNS_OPEN ? 0u : PS_MORE)))
		BAD("reserved bits set");
	{
		static const int32_t allowed[] = PS_ERRORS;
		bool ok = false;

		for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			ok = ok || h.err == allowed[i];
		if (!ok)
			BAD("error out of range");
	}
	if (h.n > ps_reply_capacity(req))
		BAD("too many elements");
	if (len != sizeof(h) + (size_t)h.n * elem_size(h.type))
		BAD("length disagrees with the element count");
	if (h.err != 0 && (h.n != 0 || h.flags != 0 || h.examined != 0 || h.starttime != 0))
		BAD("error reply with data");
	if (h.type != PS_FDS && (h.examined != 0 || h.starttime != 0))
		BAD("fds fields set outside an fds reply");
	if (h.type == PS_FDS && h.err == 0 && req->starttime != 0 && h.starttime != req->starttime)
		BAD("fds of another process than asked");
	if (h.type == PS_PIDS && h.err == 0) {
		int32_t prev = req->pid, p = 0;

		for (uint32_t i = 0; i < h.n; i++) {
			memcpy(&p, payload + i * sizeof(p), sizeof(p));
			if (p <= prev || p > PS_PID_MAX)
				BAD("pids not ascending or out of range");
			prev = p;
		}
		if (h.n > 0 && h.next != p)
			BAD("next is not the last pid");
	}
	if (h.type == PS_PIDS && h.err == 0 && (h.flags & PS_MORE) && h.n == 0)
		BAD("more pids promised after none");
	if (h.type == PS_FDS && h.err == 0) {
		if (h.examined > req->budget || h.n > h.examined)
			BAD("more fds than the budget allows");
		if (h.examined > 0 && h.next <= req->after_fd)
			BAD("next fd does not advance");
		/* More to come after nothing examined would never end. */
		if ((h.flags & PS_MORE) && h.examined == 0)
			BAD("more fds promised after none");
		if (h.starttime == 0)
			BAD("fds of a process without a start time");
	}
	if (h.type == PS_NETNS_LIST && h.err == 0) {
		if ((int64_t)req->pid + h.n > PS_NETNS_MAX)
			BAD("more namespaces than a listing holds");
		if (h.next != req->pid + (int32_t)h.n)
			BAD("next is not the last namespace's index");
		if ((h.flags & PS_MORE) && h.n == 0)
			BAD("more namespaces promised after none");
		for (uint32_t i = 0; i < h.n; i++) {
			struct ps_netns e;
			const char *bad;

			memcpy(&e, payload + i * sizeof(e), sizeof(e));
			bad = netns_entry_bad(&e);
			if (bad)
				BAD(bad);
		}
	}
	if (h.type == PS_NETNS_OPEN) {
		if (h.next != 0)
			BAD("next set in a netns-open answer");
		if (h.err == 0 && h.n != PS_NETNS_FDS)
			BAD("a netns-open answer is every fd");
	}
	if (h.type == PS_STAT && h.err == 0) {
		struct ps_stat st;

		if (h.n != 1)
			BAD("a stat answer is one struct");
		memcpy(&st, payload, sizeof(st));
		if (st.reserved != 0 || st.ppid < 0 || memchr(st.comm, 0, sizeof(st.comm)) == NULL)
			BAD("malformed stat answer");
	}
	*ret = h;
	*ret_payload = payload;
	return 0;
}

void ps_request_pids(struct ps_request *r, uint32_t seq, int32_t after_pid)
{
	*r = (struct ps_request){ .magic = PS_MAGIC, .type = PS_PIDS, .seq = seq, .pid = after_pid };
}

void ps_request_file(struct ps_request *r, uint32_t seq, enum ps_type type, int32_t pid)
{
	*r = (struct ps_request){ .magic = PS_MAGIC, .type = (uint16_t)type, .seq = seq, .pid = pid };
}

void ps_request_fds(struct ps_request *r, uint32_t seq, int32_t pid, uint64_t starttime,
		    int32_t after_fd, uint32_t budget)
{
	*r = (struct ps_request){
		.magic = PS_MAGIC, .type = PS_FDS, .seq = seq, .pid = pid,
		.starttime = starttime, .after_fd = after_fd, .budget = budget,
	};
}

void ps_request_netns_list(struct ps_request *r, uint32_t seq, int32_t after)
{
	*r = (struct ps_request){ .magic = PS_MAGIC, .type = PS_NETNS_LIST, .seq = seq, .pid = after };
}

void ps_request_netns_open(struct ps_request *r, uint32_t seq, uint64_t id)
{
	*r = (struct ps_request){ .magic = PS_MAGIC, .type = PS_NETNS_OPEN, .seq = seq, .starttime = id };
}

void ps_reply_init(struct ps_reply_header *h, const struct ps_request *req)
{
	*h = (struct ps_reply_header){ .magic = PS_MAGIC, .type = req->type, .seq = req->seq };
}
