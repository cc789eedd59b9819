/* netns_name: the name, container id and pod uid of a network namespace
 * from real-looking cgroup paths and nsfs bind mounts, and from garbage. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkrun.h"
#include "netns_name.h"

#define ID1 "3f2a9c1b0e4d5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
#define ID2 "9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c"
#define ID3 "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define UID "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"
#define UID_ "1f2e3d4c_5b6a_4978_8a9b_0c1d2e3f4a5b"
/* A static pod's uid: the hash of its manifest, no dashes. */
#define SUID "6d3f1e0c2b9a48576e5d4c3b2a190817"

#define KSYS "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/"

static const struct {
	const char *path;
	int r;
	const char *runtime, *container, *pod;
} cgroups[] = {
	/* systemd driver */
	{ "/system.slice/docker-" ID1 ".scope", 0, "docker", ID1, "" },
	{ "/system.slice/docker-" ID1 ".scope\n", 0, "docker", ID1, "" },
	{ "/system.slice/docker-" ID1 ".scope (deleted)", 0, "docker", ID1, "" },
	{ "/system.slice/containerd.service/cri-containerd-" ID2 ".scope", 0, "containerd", ID2, "" },
	{ "/machine.slice/libpod-" ID3 ".scope", 0, "podman", ID3, "" },
	{ "/machine.slice/libpod-" ID3 ".scope/container", 0, "podman", ID3, "" },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID3 ".scope",
	  0, "podman", ID3, "" },
	{ "/machine.slice/libpod-conmon-" ID3 ".scope", -ENOENT, NULL, "", "" },
	{ "/system.slice/crio-" ID2 ".scope", 0, "crio", ID2, "" },
	{ "/system.slice/crio-conmon-" ID2 ".scope", -ENOENT, NULL, "", "" },
	{ KSYS "cri-containerd-" ID2 ".scope", 0, "containerd", ID2, UID },
	{ KSYS "crio-" ID2 ".scope", 0, "crio", ID2, UID },
	{ KSYS "crio-conmon-" ID2 ".scope", 0, NULL, "", UID },
	{ KSYS, 0, NULL, "", UID },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID1 ".scope", 0,
	  "containerd", ID1, UID },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" SUID ".slice", 0,
	  NULL, "", SUID },
	/* kind: a kubelet inside a docker container, --cgroup-root=/kubelet;
	 * the innermost container is the one. */
	{ "/system.slice/docker-" ID1 ".scope/kubelet.slice/kubelet-kubepods.slice/"
	  "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_ ".slice/"
	  "cri-containerd-" ID2 ".scope", 0, "containerd", ID2, UID },
	/* cgroupfs driver */
	{ "/docker/" ID1, 0, "docker", ID1, "" },
	{ "/docker/" ID1 "/docker/" ID2, 0, "docker", ID2, "" },
	{ "/kubepods/burstable/pod" UID "/" ID2, 0, NULL, ID2, UID },
	{ "/kubepods/pod" UID "/" ID2, 0, NULL, ID2, UID },
	{ "/kubepods/besteffort/pod" UID "/crio-" ID2, 0, "crio", ID2, UID },
	{ "/libpod_parent/libpod-" ID3, 0, "podman", ID3, "" },
	/* not containers */
	{ "/", -ENOENT, NULL, "", "" },
	{ "", -ENOENT, NULL, "", "" },
	{ "/init.scope", -ENOENT, NULL, "", "" },
	{ "/system.slice/docker.service", -ENOENT, NULL, "", "" },
	{ "/user.slice/user-1000.slice/session-2.scope", -ENOENT, NULL, "", "" },
	{ "system.slice/docker-" ID1 ".scope", -ENOENT, NULL, "", "" },
	{ "0::/system.slice/docker-" ID1 ".scope", -ENOENT, NULL, "", "" },
	{ "/" ID1, -ENOENT, NULL, "", "" },
	{ "/system.slice/" ID1, -ENOENT, NULL, "", "" },
	/* wrong length, wrong case, not hex */
	{ "/system.slice/docker-3f2a9c1b0e4d.scope", -ENOENT, NULL, "", "" },
	{ "/system.slice/docker-" ID1 "0.scope", -ENOENT, NULL, "", "" },
	{ "/system.slice/docker-3F2A9C1B0E4D5A6B7C8D9E0F1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D.scope",
	  -ENOENT, NULL, "", "" },
	{ "/system.slice/docker-3f2a9c1b0e4d5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4g.scope",
	  -ENOENT, NULL, "", "" },
	{ "/system.slice/docker-" ID1 ".scopex", -ENOENT, NULL, "", "" },
	{ "/docker/3f2a9c1b0e4d", -ENOENT, NULL, "", "" },
	/* bad pods */
	{ "/kubepods.slice/kubepods-burstable.slice", -ENOENT, NULL, "", "" },
	{ "/kubepods.slice/kubepods-burstable-pod1f2e.slice", -ENOENT, NULL, "", "" },
	{ "/kubepods.slice/kubepods-burstable-pod" UID ".slice", -ENOENT, NULL, "", "" },
	{ "/kubepods.slice/kubepods-burstable-pod1f2e3d4c_xyz.slice", -ENOENT, NULL, "", "" },
	{ "/kube.slice/kube-burstable-pod" UID_ ".slice", -ENOENT, NULL, "", "" },
	{ "/kubepods/burstable/pod" UID_ "/" ID2, -ENOENT, NULL, "", "" },
	{ "/other/burstable/pod" UID "/" ID2, -ENOENT, NULL, "", "" },
	{ "/kubepods/a/b/pod" UID, -ENOENT, NULL, "", "" },
	{ "/kubepods/pod--------", -ENOENT, NULL, "", "" },
	{ "/kubepods/pod-" SUID, -ENOENT, NULL, "", "" },
	{ "/kubepods.slice/kubepods-pod" SUID "_.slice", -ENOENT, NULL, "", "" },
	{ "/kubepods/pod" SUID, 0, NULL, "", SUID },
	{ "/kubepods.slice/kubepods-burstable-pod" UID_ UID_ UID_ ".slice", -ENOENT, NULL, "", "" },
	{ "/kubepods.slice/kubepods-burstable-pod" UID_ ".slice/bad\x01/" ID2, 0, NULL, "", UID },
	/* slashes and separators everywhere */
	{ "//system.slice//docker-" ID1 ".scope//", 0, "docker", ID1, "" },
	{ "/docker-.scope/-.slice/.slice/pod/kubepods/pod", -ENOENT, NULL, "", "" },
};

START_TEST(test_cgroup)
{
	for (size_t i = 0; i < sizeof(cgroups) / sizeof(cgroups[0]); i++) {
		struct netns_cgroup cg = { .runtime = "untouched" };
		int r = netns_name_cgroup(cgroups[i].path, &cg);

		ck_assert_msg(r == cgroups[i].r, "row %zu: r=%d", i, r);
		if (r < 0) {
			ck_assert_str_eq(cg.runtime, "untouched");
			continue;
		}
		ck_assert_msg((cg.runtime == NULL) == (cgroups[i].runtime == NULL), "row %zu", i);
		if (cg.runtime)
			ck_assert_str_eq(cg.runtime, cgroups[i].runtime);
		ck_assert_str_eq(cg.container, cgroups[i].container);
		ck_assert_str_eq(cg.pod_uid, cgroups[i].pod);
	}
}
END_TEST

START_TEST(test_cgroup_long)
{
	/* A path far longer than PATH_MAX, the container scope at its end. */
	size_t n = 100000, pre = n - strlen("/docker-" ID1 ".scope");
	char *path = malloc(n + 1);
	struct netns_cgroup cg;

	ck_assert_ptr_nonnull(path);
	for (size_t i = 0; i < pre; i++)
		path[i] = i % 7 == 0 ? '/' : 'a';
	strcpy(path + pre, "/docker-" ID1 ".scope");
	ck_assert_int_eq(netns_name_cgroup(path, &cg), 0);
	ck_assert_str_eq(cg.container, ID1);
	/* One component of 100000 bytes. */
	memset(path + 1, 'f', n - 1);
	ck_assert_int_eq(netns_name_cgroup(path, &cg), -ENOENT);
	free(path);
	ck_assert_int_eq(netns_name_cgroup(NULL, &cg), -EINVAL);
	ck_assert_int_eq(netns_name_cgroup("/", NULL), -EINVAL);
}
END_TEST

#define MAXN 4

static const struct {
	bool own;
	const char *cg[MAXN];
	const char *mnt[MAXN];
	int pid;
	int r;
	enum netns_kind kind;
	const char *name, *container, *pod;
} names[] = {
	/* host: always, whatever its members or mounts say */
	{ true, { 0 }, { 0 }, 1, 0, NETNS_KIND_HOST, "host", "", "" },
	{ true, { "/system.slice/docker-" ID1 ".scope", KSYS }, { "/run/netns/default" }, 1,
	  0, NETNS_KIND_HOST, "host", "", "" },
	{ true, { 0 }, { 0 }, 0, 0, NETNS_KIND_HOST, "host", "", "" },
	/* containers */
	{ false, { "/system.slice/docker-" ID1 ".scope" }, { "/run/docker/netns/7a1c3e5f9b2d" },
	  4242, 0, NETNS_KIND_CONTAINER, "docker:3f2a9c1b0e4d", ID1, "" },
	{ false, { "/docker/" ID1 }, { 0 }, 4242, 0, NETNS_KIND_CONTAINER, "docker:3f2a9c1b0e4d",
	  ID1, "" },
	{ false, { "/system.slice/containerd.service/cri-containerd-" ID2 ".scope" }, { 0 }, 7,
	  0, NETNS_KIND_CONTAINER, "containerd:9b8c7d6e5f4a", ID2, "" },
	{ false, { "/system.slice/crio-" ID2 ".scope" }, { 0 }, 7, 0, NETNS_KIND_CONTAINER,
	  "crio:9b8c7d6e5f4a", ID2, "" },
	{ false, { "/machine.slice/libpod-" ID3 ".scope/container" }, { 0 }, 7, 0,
	  NETNS_KIND_CONTAINER, "podman:a1b2c3d4e5f6", ID3, "" },
	/* the oldest member's container names it (--network=container:) */
	{ false, { "/system.slice/session-1.scope", "/docker/" ID1, "/docker/" ID2 }, { 0 }, 7,
	  0, NETNS_KIND_CONTAINER, "docker:3f2a9c1b0e4d", ID1, "" },
	/* conmon is not a container: the pid names it */
	{ false, { "/machine.slice/libpod-conmon-" ID3 ".scope" }, { 0 }, 99, 0, NETNS_KIND_PID,
	  "pid:99", "", "" },
	{ false, { "/system.slice/crio-conmon-" ID2 ".scope" }, { 0 }, 99, 0, NETNS_KIND_PID,
	  "pid:99", "", "" },
	/* pods: the pod wins over every container in it, whichever is oldest */
	{ false, { KSYS "cri-containerd-" ID1 ".scope", KSYS "cri-containerd-" ID2 ".scope",
		   KSYS "cri-containerd-" ID3 ".scope" },
	  { "/run/netns/cni-5e9d1a2b-7c3f-4e8d-9a0b-1c2d3e4f5a6b" }, 31, 0, NETNS_KIND_POD,
	  "pod:" UID, ID1, UID },
	{ false, { "/system.slice/docker-" ID3 ".scope", KSYS "crio-" ID2 ".scope" }, { 0 }, 31,
	  0, NETNS_KIND_POD, "pod:" UID, ID2, UID },
	{ false, { "/kubepods/burstable/pod" UID "/" ID2, "/kubepods/burstable/pod" UID "/" ID1 },
	  { 0 }, 31, 0, NETNS_KIND_POD, "pod:" UID, ID2, UID },
	{ false, { KSYS "crio-conmon-" ID2 ".scope" }, { 0 }, 31, 0, NETNS_KIND_POD, "pod:" UID,
	  "", UID },
	/* ip netns, CNI */
	{ false, { 0 }, { "/run/netns/blue" }, 0, 0, NETNS_KIND_NETNS, "blue", "", "" },
	{ false, { "/user.slice/user-0.slice/session-3.scope" }, { "/run/netns/blue" }, 812, 0,
	  NETNS_KIND_NETNS, "blue", "", "" },
	{ false, { 0 }, { "/var/run/netns/blue" }, 0, 0, NETNS_KIND_NETNS, "blue", "", "" },
	{ false, { 0 }, { "/run/netns/cni-5e9d1a2b-7c3f-4e8d-9a0b-1c2d3e4f5a6b" }, 0, 0,
	  NETNS_KIND_NETNS, "cni-5e9d1a2b-7c3f-4e8d-9a0b-1c2d3e4f5a6b", "", "" },
	{ false, { 0 }, { "/run/netns/red", "/run/netns/blue", "/run/netns/green" }, 0, 0,
	  NETNS_KIND_NETNS, "blue", "", "" },
	{ false, { 0 }, { "/run/netns/Lab_2.a-b" }, 0, 0, NETNS_KIND_NETNS, "Lab_2.a-b", "", "" },
	/* a /run/netns name beats docker's handle */
	{ false, { 0 }, { "/run/docker/netns/7a1c3e5f9b2d", "/run/netns/blue" }, 5, 0,
	  NETNS_KIND_NETNS, "blue", "", "" },
	/* docker's handle, when no member names the container */
	{ false, { 0 }, { "/var/run/docker/netns/7a1c3e5f9b2d" }, 0, 0, NETNS_KIND_DOCKER_NETNS,
	  "docker-netns:7a1c3e5f9b2d", "", "" },
	{ false, { 0 }, { "/run/docker/netns/ingress_sbox" }, 0, 0, NETNS_KIND_DOCKER_NETNS,
	  "docker-netns:ingress_sbox", "", "" },
	{ false, { 0 }, { "/run/docker/netns/host" }, 0, 0, NETNS_KIND_DOCKER_NETNS,
	  "docker-netns:host", "", "" },
	/* the longest name */
	{ false, { 0 }, { "/run/docker/netns/"
			  "0123456789012345678901234567890123456789012345678901234567890123" }, 0,
	  0, NETNS_KIND_DOCKER_NETNS,
	  "docker-netns:0123456789012345678901234567890123456789012345678901234567890123", "", "" },
	/* unusable mount names fall through */
	{ false, { 0 }, { "/run/netns/bl\x1b[31mue" }, 17, 0, NETNS_KIND_PID, "pid:17", "", "" },
	{ false, { 0 }, { "/run/netns/blue\n" }, 17, 0, NETNS_KIND_PID, "pid:17", "", "" },
	{ false, { 0 }, { "/run/netns/bl ue" }, 17, 0, NETNS_KIND_PID, "pid:17", "", "" },
	{ false, { 0 }, { "/run/netns/blue (deleted)" }, 17, 0, NETNS_KIND_PID, "pid:17", "", "" },
	{ false, { 0 }, { "/run/netns/blue\\040(deleted)" }, 17, 0, NETNS_KIND_PID, "pid:17", "",
	  "" },
	{ false, { 0 }, { "/run/netns/a/b" }, 17, 0, NETNS_KIND_PID, "pid:17", "", "" },
	{ false, { 0 }, { "/run/netns/" }, 17, 0, NETNS_KIND_PID, "pid:17", "", "" },
	{ false, { 0 }, { "/run/netns/." }, 17, 0, NETNS_KIND_PID, "pid:17", "", "" },
	{ false, { 0 }, { "/run/netns/.." }, 17, 0, NETNS_KIND_PID, "pid:17", "", "" },
	{ false, { 0 }, { "/run/netns/host" }, 17, 0, NETNS_KIND_PID, "pid:17", "", "" },
	{ false, { 0 }, { "/run/netns/blü" }, 17, 0, NETNS_KIND_PID, "pid:17", "", "" },
	{ false, { 0 }, { "/run/netns/pod:x" }, 17, 0, NETNS_KIND_PID, "pid:17", "", "" },
	{ false, { 0 }, { "/run/netns/"
			  "01234567890123456789012345678901234567890123456789012345678901234" }, 17,
	  0, NETNS_KIND_PID, "pid:17", "", "" },
	{ false, { 0 }, { "/run/netnsblue", "/tmp/netns/blue", "/run/user/1000/netns/blue" }, 17,
	  0, NETNS_KIND_PID, "pid:17", "", "" },
	/* an unusable name next to a usable one */
	{ false, { 0 }, { "/run/netns/\x01", "/run/netns/blue" }, 17, 0, NETNS_KIND_NETNS, "blue",
	  "", "" },
	/* bad ids fall through */
	{ false, { "/system.slice/docker-3f2a9c1b0e4d.scope", "/docker/" ID1 "00" },
	  { "/run/netns/blue" }, 17, 0, NETNS_KIND_NETNS, "blue", "", "" },
	{ false, { "/system.slice/docker-3F2A9C1B0E4D5A6B7C8D9E0F1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D.scope" },
	  { 0 }, 2147483647, 0, NETNS_KIND_PID, "pid:2147483647", "", "" },
	/* nothing */
	{ false, { 0 }, { 0 }, 0, -ENOENT, 0, NULL, NULL, NULL },
	{ false, { 0 }, { 0 }, -1, -ENOENT, 0, NULL, NULL, NULL },
	{ false, { "", "/" }, { "", "/run/netns/\x7f" }, 0, -ENOENT, 0, NULL, NULL, NULL },
};

static size_t count(const char *const *v)
{
	size_t n = 0;

	while (n < MAXN && v[n])
		n++;
	return n;
}

START_TEST(test_name)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct netns_facts f = {
			.own = names[i].own,
			.cgroups = names[i].cg,
			.n_cgroups = count(names[i].cg),
			.mounts = names[i].mnt,
			.n_mounts = count(names[i].mnt),
			.oldest_pid = names[i].pid,
		};
		struct netns_name n;
		int r;

		memset(&n, 0x5a, sizeof(n));
		r = netns_name_make(&f, &n);
		ck_assert_msg(r == names[i].r, "row %zu: r=%d", i, r);
		if (r < 0) {
			ck_assert_int_eq((unsigned char)n.name[0], 0x5a);
			continue;
		}
		ck_assert_msg(n.kind == names[i].kind, "row %zu: kind %d", i, n.kind);
		ck_assert_str_eq(n.name, names[i].name);
		ck_assert_str_eq(n.container, names[i].container);
		ck_assert_str_eq(n.pod_uid, names[i].pod);
		ck_assert_uint_lt(strlen(n.name), NETNS_NAME_MAX);
	}
}
END_TEST

START_TEST(test_name_args)
{
	const char *with_null[] = { NULL, "/docker/" ID1 };
	struct netns_facts f = { .cgroups = with_null, .n_cgroups = 2, .mounts = with_null,
				 .n_mounts = 1, .oldest_pid = 3 };
	struct netns_name n;

	/* NULL entries are skipped. */
	ck_assert_int_eq(netns_name_make(&f, &n), 0);
	ck_assert_str_eq(n.name, "docker:3f2a9c1b0e4d");
	ck_assert_int_eq(netns_name_make(NULL, &n), -EINVAL);
	ck_assert_int_eq(netns_name_make(&f, NULL), -EINVAL);
	f.cgroups = NULL;
	ck_assert_int_eq(netns_name_make(&f, &n), -EINVAL);
	f.n_cgroups = 0;
	f.mounts = NULL;
	ck_assert_int_eq(netns_name_make(&f, &n), -EINVAL);
	f.n_mounts = 0;
	ck_assert_int_eq(netns_name_make(&f, &n), 0);
	ck_assert_str_eq(n.name, "pid:3");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netns_name");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_cgroup);
	tcase_add_test(tc, test_cgroup_long);
	tcase_add_test(tc, test_name);
	tcase_add_test(tc, test_name_args);
	suite_add_tcase(s, tc);
	return sw_check_run(s);
}
