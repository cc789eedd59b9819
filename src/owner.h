/* A listener's owner as plain data (the process and systemd unit holding
 * it), and the pure rule that names a unit from a cgroup path. No I/O: the
 * cache that finds owners through /proc is owners.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_COMM_MAX   16
#define SW_UNIT_MAX   256

struct sw_owner {
	int32_t pid;                 /* 0: unknown */
	char comm[SW_COMM_MAX];      /* "" when unknown */
	char unit[SW_UNIT_MAX];      /* "" when unknown */
	uint32_t holders;            /* processes holding the socket, 0 if unknown */
};

/* Pure: the systemd unit a cgroup v2 path belongs to.
 *   "/system.slice/nginx.service"            -> "nginx.service"
 *   "/system.slice/foo\x2dbar.service"       -> "foo-bar.service" (\xHH decoded
 *        when it gives a printable character; a leading "_" that systemd adds
 *        to some cgroup names is dropped)
 *   "/user.slice/user-1000.slice/session-3.scope" -> "session-3.scope"
 * Slices are skipped; the first unit found is the outer one. When another
 * unit is nested below it (a user manager, a container running systemd) the
 * first one below is appended after a "/":
 *   ".../user@1000.service/app.slice/foo.scope"    -> "user@1000.service/foo.scope"
 *   "/machine.slice/machine-foo.scope/payload/system.slice/nginx.service"
 *                                              -> "machine-foo.scope/nginx.service"
 * "/init.scope" -> "init.scope" (the service manager itself).
 * Returns 0; -ENOENT when the path names no unit ("/", slices only, or a
 * non-systemd layout such as "/docker/ID"); -ENOBUFS when it does not fit;
 * -EINVAL for a path not starting with "/". */
int owner_unit_from_cgroup_path(const char *path, char *unit, size_t len);

/* Pure: whether the cgroup path's last component is init.scope, the cgroup
 * of a service manager (systemd itself, or a user's systemd --user). */
bool owner_path_is_manager(const char *path);
