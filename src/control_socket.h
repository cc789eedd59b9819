/* Setting up the control socket file (control.h has the contract): the
 * group looked up, a stale socket told from a live one and replaced, the
 * file created 0660 and handed to the group, and removed at exit only while
 * it is still ours. control.c serves the clients. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Which file the socket is, so that control_socket_unlink removes only that
 * one. Zero-initialised: none. */
struct control_socket_id {
	dev_t dev;
	ino_t ino;
};

/* The gid of the group named group (a name: the config takes no number).
 * -EINVAL when there is no such group. */
int control_socket_group(const char *group, gid_t *ret);

/* Binds and listens on a non-blocking AF_UNIX stream socket at path (which
 * fits sun_path), after creating its parent directory (0755) if missing and
 * removing a socket file nobody listens on. The file is 0660, group gid
 * when has_group. Returns the fd (O_CLOEXEC) and fills *ret_id, or
 * -EADDRINUSE (a live socket is there), -ENOTSOCK (path is no socket) or
 * the errno of a failed call; then no fd is left open, and a file it had
 * bound is removed. */
int control_socket_open(const char *path, gid_t gid, bool has_group,
			struct control_socket_id *ret_id);

/* Removes path if it is still the file id names: a second daemon that
 * refused to start, or one that replaced a stale file, must not take away
 * the socket of the one that runs. */
void control_socket_unlink(const char *path, const struct control_socket_id *id);
