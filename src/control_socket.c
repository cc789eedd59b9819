/* The control socket file: created, replaced when stale, removed; see
 * control_socket.h. */
#include "control_socket.h"

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"

/* Bound on the group database buffer getgrnam_r may ask for. */
#define CONTROL_SOCKET_GRBUF_MAX (1u << 20)

int control_socket_group(const char *group, gid_t *ret)
{
	struct group grp, *res = NULL;
	size_t size = 1024;
	int r;

	/* A name only: the config accepts no number (config_key.c). */
	for (;;) {
		_cleanup_free_ char *buf = malloc(size);

		if (!buf)
			return -ENOMEM;
		r = getgrnam_r(group, &grp, buf, size, &res);
		if (r == ERANGE && size < CONTROL_SOCKET_GRBUF_MAX) {
			size *= 2;
			continue;
		}
		if (r != 0)
			return -r;
		if (!res)
			return -EINVAL;
		*ret = grp.gr_gid;
		return 0;
	}
}

/* Whether something listens on the socket at path. Never waits: a live
 * daemon with a full backlog answers EAGAIN, which counts as live. */
static int control_socket_probe(const struct sockaddr_un *sa)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return 1;
	if (errno == EAGAIN || errno == EINPROGRESS)
		return 1;
	if (errno == ECONNREFUSED)
		return 0;
	return -errno;
}

static int control_socket_make_parent(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	const char *dir;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Binds, then sets mode and group and listens. Returns 0 or -errno; the
 * caller closes fd. *ret_id is filled in once the file exists. */
static int control_socket_bind(int fd, const char *path, gid_t gid, bool has_group,
			       struct control_socket_id *ret_id)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int r;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* The socket file must never exist with a wider mode than 0660, even
	 * for the instant before chmod. */
	old = umask(0117);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return -errno;
	if (stat(path, &st) < 0)
		return -errno;
	ret_id->dev = st.st_dev;
	ret_id->ino = st.st_ino;
	if (chmod(path, 0660) < 0)
		return -errno;
	if (has_group && chown(path, (uid_t)-1, gid) < 0)
		return -errno;
	if (listen(fd, SOMAXCONN) < 0)
		return -errno;
	return 0;
}

/* Clears the way for bind: a stale socket goes, anything else stays. */
static int control_socket_replace_stale(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int r;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	r = control_socket_probe(&sa);
	if (r < 0)
		return r;
	if (r > 0)
		return -EADDRINUSE;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int control_socket_open(const char *path, gid_t gid, bool has_group,
			struct control_socket_id *ret_id)
{
	struct control_socket_id id = { 0 };
	int fd, r;

	r = control_socket_make_parent(path);
	if (r < 0)
		return r;
	r = control_socket_replace_stale(path);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = control_socket_bind(fd, path, gid, has_group, &id);
	if (r < 0) {
		close(fd);
		control_socket_unlink(path, &id);
		return r;
	}
	*ret_id = id;
	return fd;
}

void control_socket_unlink(const char *path, const struct control_socket_id *id)
{
	struct stat st;

	if (id->ino && stat(path, &st) == 0 && st.st_dev == id->dev && st.st_ino == id->ino)
		unlink(path);
}
