/* nsid: prints the 64-bit id of network namespaces, as sockwatchd reports
 * it (SOCKWATCH_NETNS_ID, status "id"/"netns_id"), for the namespace
 * integration tests: the shell has no other way to ask NS_GET_ID.
 *
 *   nsid PATH...
 *
 * PATH is an nsfs file: /proc/PID/ns/net, /run/netns/NAME. For each one,
 * a line "<id> <inode> <path>" (id decimal, from ioctl(NS_GET_ID); inode of
 * the nsfs file, which the kernel reuses at once and so is no key).
 * Exit status: 0 when every PATH was answered, 1 when any failed (one line
 * on stderr says which and why), 2 on bad usage. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NS_GET_ID
/* linux/nsfs.h: _IOR(NSIO, 0xd, __u64), NSIO 0xb7 (Linux 6.11) */
#define NS_GET_ID _IOR(0xb7, 0xd, uint64_t)
#endif

static int nsid_one(const char *path)
{
	struct stat st;
	uint64_t id = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "nsid: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || ioctl(fd, NS_GET_ID, &id) < 0) {
		fprintf(stderr, "nsid: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	printf("%" PRIu64 " %ju %s\n", id, (uintmax_t)st.st_ino, path);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || argv[1][0] == '-') {
		fputs("usage: nsid PATH...\n", argc < 2 || argv[1][0] == '-' ? stderr : stdout);
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	for (int i = 1; i < argc; i++)
		if (nsid_one(argv[i]) < 0)
			rc = 1;
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}
