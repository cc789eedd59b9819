/* Pure: network namespace names from cgroup paths and bind mounts; see
 * netns_name.h. */
#include "netns_name.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"

#define NETNS_ID_LEN 64
#define NETNS_POD_UID_MIN 8

/* The systemd cgroup driver's container scopes: "<prefix><64 hex>.scope".
 * cgroupfs drivers use the same names without ".scope" (podman's
 * "/libpod_parent/libpod-<id>", crio's "/kubepods/.../crio-<id>").
 * "crio-conmon-<id>" and "libpod-conmon-<id>" hold the runtime monitor,
 * not the container: the hex check refuses them. */
static const struct {
	const char *prefix, *runtime;
} netns_scopes[] = {
	{ "docker-", "docker" },
	{ "cri-containerd-", "containerd" },
	{ "crio-", "crio" },
	{ "libpod-", "podman" },
};

/* Where nsfs bind mounts get their names; /var/run is /run on current
 * systems, but mountinfo shows whatever path was mounted on. */
static const struct {
	const char *dir;
	enum netns_kind kind;
} netns_mount_dirs[] = {
	{ "/run/netns/", NETNS_KIND_NETNS },
	{ "/var/run/netns/", NETNS_KIND_NETNS },
	{ "/run/docker/netns/", NETNS_KIND_DOCKER_NETNS },
	{ "/var/run/docker/netns/", NETNS_KIND_DOCKER_NETNS },
};

struct netns_comp {
	const char *s;
	size_t len;
};

static bool netns_comp_is(struct netns_comp c, const char *word)
{
	return c.len == strlen(word) && memcmp(c.s, word, c.len) == 0;
}

static bool netns_starts(const char *s, size_t len, const char *prefix)
{
	size_t pl = strlen(prefix);

	return len >= pl && memcmp(s, prefix, pl) == 0;
}

static bool netns_ends(const char *s, size_t len, const char *suffix)
{
	size_t sl = strlen(suffix);

	return len >= sl && memcmp(s + len - sl, suffix, sl) == 0;
}

/* Runtimes write ids in lowercase; anything else is not one of theirs. */
static bool netns_is_id(const char *s, size_t len)
{
	if (len != NETNS_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Copies a pod uid, with '_' read as '-' when underscores is set (systemd
 * slice names use '-' for nesting, so the kubelet writes '_'). */
static bool netns_take_uid(const char *s, size_t len, bool underscores, char out[NETNS_POD_UID_MAX])
{
	char uid[NETNS_POD_UID_MAX];

	if (len < NETNS_POD_UID_MIN || len >= NETNS_POD_UID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == (underscores ? '_' : '-'))
			c = '-';
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		uid[i] = c;
	}
	if (uid[0] == '-' || uid[len - 1] == '-')
		return false;
	uid[len] = 0;
	memcpy(out, uid, len + 1);
	return true;
}

/* systemd driver: "kubepods-pod<uid>.slice", "kubepods-<qos>-pod<uid>.slice",
 * also under a kubelet --cgroup-root ("kubelet-kubepods-besteffort-pod..."):
 * the last '-' part is "pod<uid>" and an earlier one is "kubepods". */
static bool netns_systemd_pod(struct netns_comp c, char out[NETNS_POD_UID_MAX])
{
	const char *last = NULL, *p, *end;
	bool kubepods = false;
	size_t len;

	if (!netns_ends(c.s, c.len, ".slice"))
		return false;
	len = c.len - strlen(".slice");
	end = c.s + len;
	for (p = c.s; p < end;) {
		const char *dash = memchr(p, '-', (size_t)(end - p));
		struct netns_comp part = { p, (size_t)((dash ? dash : end) - p) };

		if (!dash) {
			last = p;
			break;
		}
		if (netns_comp_is(part, "kubepods"))
			kubepods = true;
		p = dash + 1;
	}
	if (!kubepods || !last || !netns_starts(last, (size_t)(end - last), "pod"))
		return false;
	return netns_take_uid(last + 3, (size_t)(end - last) - 3, true, out);
}

/* A container scope of a known runtime: its runtime, or NULL. */
static const char *netns_scope(struct netns_comp c, char out[NETNS_CONTAINER_MAX])
{
	size_t len = c.len;

	if (netns_ends(c.s, len, ".scope"))
		len -= strlen(".scope");
	for (size_t i = 0; i < SW_ARRAY_SIZE(netns_scopes); i++) {
		size_t pl = strlen(netns_scopes[i].prefix);

		if (netns_starts(c.s, len, netns_scopes[i].prefix) && netns_is_id(c.s + pl, len - pl)) {
			memcpy(out, c.s + pl, NETNS_ID_LEN);
			out[NETNS_ID_LEN] = 0;
			return netns_scopes[i].runtime;
		}
	}
	return NULL;
}

int netns_name_cgroup(const char *path, struct netns_cgroup *ret)
{
	struct netns_cgroup cg = { 0 };
	/* The two components before this one, for cgroupfs layouts:
	 * "/docker/<id>", "/kubepods[/<qos>]/pod<uid>/<id>". */
	struct netns_comp prev = { "", 0 }, prev2 = { "", 0 };
	bool prev_is_pod = false;
	const char *p, *end;
	size_t len;

	if (!path || !ret)
		return -EINVAL;
	if (path[0] != '/')
		return -ENOENT;
	len = strlen(path);
	if (len > 0 && path[len - 1] == '\n')
		len--;
	/* A cgroup removed while a process still sits in it still says which
	 * container it was. */
	if (netns_ends(path, len, " (deleted)"))
		len -= strlen(" (deleted)");
	end = path + len;
	for (p = path; p < end;) {
		struct netns_comp c;
		const char *slash, *runtime;
		char id[NETNS_CONTAINER_MAX];
		bool is_pod = false, found;

		while (p < end && *p == '/')
			p++;
		if (p == end)
			break;
		slash = memchr(p, '/', (size_t)(end - p));
		c.s = p;
		c.len = (size_t)((slash ? slash : end) - p);
		p += c.len;
		if (!cg.pod_uid[0]) {
			if (netns_systemd_pod(c, cg.pod_uid))
				is_pod = true;
			else if (netns_starts(c.s, c.len, "pod") &&
				 (netns_comp_is(prev, "kubepods") || netns_comp_is(prev2, "kubepods")) &&
				 netns_take_uid(c.s + 3, c.len - 3, false, cg.pod_uid))
				is_pod = true;
		}
		runtime = netns_scope(c, id);
		/* A bare id is a container only where a cgroupfs driver puts
		 * one; under a pod the path does not say which runtime. */
		found = runtime != NULL;
		if (!found && netns_is_id(c.s, c.len) && (prev_is_pod || netns_comp_is(prev, "docker"))) {
			found = true;
			runtime = prev_is_pod ? NULL : "docker";
			memcpy(id, c.s, NETNS_ID_LEN);
			id[NETNS_ID_LEN] = 0;
		}
		if (found) {
			cg.runtime = runtime;
			memcpy(cg.container, id, sizeof(cg.container));
		}
		prev2 = prev;
		prev = c;
		prev_is_pod = is_pod;
	}
	if (!cg.container[0] && !cg.pod_uid[0])
		return -ENOENT;
	*ret = cg;
	return 0;
}

/* The usable name of a mount point, and its kind; NULL when it has none. */
static const char *netns_mount_name(const char *mount, enum netns_kind *ret_kind)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(netns_mount_dirs); i++) {
		const char *n;
		size_t len;

		if (!netns_starts(mount, strlen(mount), netns_mount_dirs[i].dir))
			continue;
		n = mount + strlen(netns_mount_dirs[i].dir);
		len = strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
		/* Anything else, a '/', a control character, mountinfo's
		 * "\040(deleted)" or " (deleted)" of a name already removed,
		 * would land in journal text or name what no longer exists. */
		if (len == 0 || n[len] || len > NETNS_MOUNT_NAME_MAX)
			return NULL;
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			return NULL;
		/* "host" is the daemon's own; another one must not look like it. */
		if (netns_mount_dirs[i].kind == NETNS_KIND_NETNS && strcmp(n, "host") == 0)
			return NULL;
		*ret_kind = netns_mount_dirs[i].kind;
		return n;
	}
	return NULL;
}

/* The smallest usable name of that kind, so the name does not depend on
 * the order of mountinfo. */
static const char *netns_pick_mount(const struct netns_facts *f, enum netns_kind kind)
{
	const char *best = NULL;

	for (size_t i = 0; i < f->n_mounts; i++) {
		enum netns_kind k;
		const char *n = f->mounts[i] ? netns_mount_name(f->mounts[i], &k) : NULL;

		if (n && k == kind && (!best || strcmp(n, best) < 0))
			best = n;
	}
	return best;
}

int netns_name_make(const struct netns_facts *facts, struct netns_name *ret)
{
	struct netns_name out = { 0 };
	const char *runtime = NULL, *n;

	if (!facts || !ret || (facts->n_cgroups && !facts->cgroups) ||
	    (facts->n_mounts && !facts->mounts))
		return -EINVAL;
	if (facts->own) {
		out.kind = NETNS_KIND_HOST;
		strcpy(out.name, "host");
		*ret = out;
		return 0;
	}
	/* The pod first: its container is then one of its own, not that of
	 * an older member outside it. */
	for (size_t pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < facts->n_cgroups && !out.container[0]; i++) {
			struct netns_cgroup cg;

			if (!facts->cgroups[i] || netns_name_cgroup(facts->cgroups[i], &cg) < 0)
				continue;
			if (pass == 0) {
				if (!out.pod_uid[0] && cg.pod_uid[0])
					memcpy(out.pod_uid, cg.pod_uid, sizeof(out.pod_uid));
			} else if (cg.container[0] && strcmp(cg.pod_uid, out.pod_uid) == 0) {
				memcpy(out.container, cg.container, sizeof(out.container));
				runtime = cg.runtime;
			}
		}
	if (out.pod_uid[0]) {
		out.kind = NETNS_KIND_POD;
		snprintf(out.name, sizeof(out.name), "pod:%s", out.pod_uid);
	} else if (out.container[0] && runtime) {
		out.kind = NETNS_KIND_CONTAINER;
		snprintf(out.name, sizeof(out.name), "%s:%.*s", runtime, NETNS_SHORT_ID, out.container);
	} else if ((n = netns_pick_mount(facts, NETNS_KIND_NETNS))) {
		out.kind = NETNS_KIND_NETNS;
		snprintf(out.name, sizeof(out.name), "%s", n);
	} else if ((n = netns_pick_mount(facts, NETNS_KIND_DOCKER_NETNS))) {
		out.kind = NETNS_KIND_DOCKER_NETNS;
		snprintf(out.name, sizeof(out.name), "docker-netns:%s", n);
	} else if (facts->oldest_pid > 0) {
		out.kind = NETNS_KIND_PID;
		snprintf(out.name, sizeof(out.name), "pid:%d", facts->oldest_pid);
	} else {
		return -ENOENT;
	}
	*ret = out;
	return 0;
}
