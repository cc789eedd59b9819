/* The daemon: owns the config, the collector, the tracker, the journal, the
 * owner cache and the control socket, and runs them on one sd-event loop. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

struct sw_manager;

struct sw_manager_options {
	const char *config_path;       /* file the config came from (for reload) */
	bool config_explicit;          /* given with -c: a missing file is an error on reload */
	const char *control_socket;    /* --control-socket, or NULL */
	int log_target;                /* --log-target (enum sw_log_target), -1 unset */
	int log_level;                 /* --log-level (LOG_*), -1 unset */
	bool once;                     /* --once: with log target auto, diagnostics go to stderr */
	/* The privileged helper (helper.h), forked by main before anything
	 * else; the manager owns it. NULL: none (started without the
	 * capabilities it would keep), and no_helper_reason says why. */
	struct sw_helper *helper;
	const char *no_helper_reason;
};

/* These log every failure themselves (to stderr until the journal is
 * open) and return a negative errno: callers only choose the exit status. */

/* Takes ownership of cfg (also on failure). */
int manager_new(const struct sw_manager_options *opts, struct sw_config *cfg,
		struct sw_manager **ret);
void manager_free(struct sw_manager *m);

static inline void manager_freep(struct sw_manager **m)
{
	manager_free(*m);
}
#define _cleanup_manager_ __attribute__((cleanup(manager_freep)))

/* Runs the daemon until SIGTERM/SIGINT: 0 on a clean stop, a negative
 * errno when it could not start or its loop failed. Once the loop ran,
 * every way out sends STOPPING=1 and a "stopping" entry. */
int manager_run(struct sw_manager *m);

/* One full poll, SYN scan included, then the status document on out. */
int manager_once(struct sw_manager *m, FILE *out);
