/* The name of a network namespace, the way an on-call engineer knows it
 * (DESIGN.md "Network namespaces"), from facts the discovery gathered:
 * its members' cgroup paths and its nsfs bind mounts. Pure: no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A name is at most 77 bytes: "docker-netns:" and a 64-byte docker handle
 * is the longest ("pod:" and a 64-byte uid is 68). Room for it and a NUL. */
#define NETNS_NAME_MAX 80
/* The daemon's own namespace's name. */
#define NETNS_HOST_NAME "host"
/* A mount's name (the file under /run/netns or docker's netns directory)
 * longer than this is unusable rather than cut, so two never collide. */
#define NETNS_MOUNT_NAME_MAX 64
/* A container id is 64 lowercase hex digits; a pod uid 8 to 64 of
 * [0-9a-f-], hex at both ends (a UUID, or the 32-hex hash of a static
 * pod). With their NUL. */
#define NETNS_CONTAINER_MAX 65
#define NETNS_POD_UID_MAX 65
/* How many hex digits of the container id a name shows. */
#define NETNS_SHORT_ID 12

enum netns_kind {
	NETNS_KIND_HOST,	/* "host": the daemon's own */
	NETNS_KIND_POD,		/* "pod:<uid>" */
	NETNS_KIND_CONTAINER,	/* "docker:<12 hex>", "containerd:", "crio:", "podman:" */
	NETNS_KIND_NETNS,	/* "blue": `ip netns add blue`, CNI's "cni-<uuid>" */
	NETNS_KIND_DOCKER_NETNS, /* "docker-netns:<handle>": docker's own file, no container */
	NETNS_KIND_PID,		/* "pid:<pid>" of the oldest member */
};

/* What the discovery knows of one namespace. Strings need not be valid in
 * any sense: whatever does not parse is ignored. */
struct netns_facts {
	bool own;			/* the daemon's own namespace */
	/* Members' cgroup v2 paths (the "0::" line without "0::"), oldest
	 * first. */
	const char *const *cgroups;
	size_t n_cgroups;
	const char *const *mounts;	/* its nsfs bind mount points, as mountinfo lists them */
	size_t n_mounts;
	int oldest_pid;			/* 0 (or less) when it has no member */
};

struct netns_name {
	enum netns_kind kind;
	char name[NETNS_NAME_MAX];
	/* For the journal's container and pod uid fields; "" when none, and
	 * always "" for the host (a --network=host container is not it). */
	char container[NETNS_CONTAINER_MAX];
	char pod_uid[NETNS_POD_UID_MAX];
};

/* What one cgroup path says. runtime is "docker", "containerd", "crio",
 * "podman", or NULL (no container, or a bare id under a cgroupfs pod). */
struct netns_cgroup {
	const char *runtime;
	char container[NETNS_CONTAINER_MAX];
	char pod_uid[NETNS_POD_UID_MAX];
};

/* Fills *ret from one cgroup v2 path ("/system.slice/docker-<id>.scope",
 * a trailing " (deleted)" allowed). The innermost container scope wins
 * (docker in docker, kind), the outermost pod. Returns 0 when it names a
 * container or a pod, -ENOENT when neither, -EINVAL for a NULL argument;
 * *ret is written only on 0. */
int netns_name_cgroup(const char *path, struct netns_cgroup *ret);

/* Names a namespace, first rule that applies: host; pod (any member in a
 * pod; the oldest one names it); container (the oldest member in a
 * container scope; in a pod, the oldest in that pod's); the smallest
 * (byte order) usable /run/netns name; the smallest usable docker netns
 * handle; pid of the oldest member. A usable mount name is 1 to
 * NETNS_MOUNT_NAME_MAX of [A-Za-z0-9._-], not "." or "..", and under
 * /run/netns not "host". Returns 0, -ENOENT when no rule applies (no
 * member, no usable name: the caller names it by its id), -EINVAL for a
 * NULL argument; *ret is written only on 0. */
int netns_name_make(const struct netns_facts *facts, struct netns_name *ret);
