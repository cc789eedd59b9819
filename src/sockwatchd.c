/* sockwatchd: main() only. Options and exit codes; the daemon's life is in
 * manager.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "config.h"
#include "helper.h"
#include "manager.h"
#include "util.h"

#define EXIT_CONFIG 78   /* EX_CONFIG */
#define DEFAULT_CONFIG SW_SYSCONFDIR "/sockwatchd.conf"

static void help(void)
{
	printf("Usage: sockwatchd [OPTION]...\n"
	       "Watch every listening TCP and UNIX socket's queues and alert in the\n"
	       "systemd journal before and whenever connections are dropped.\n\n"
	       "  -c, --config FILE          configuration file (default %s)\n"
	       "      --check-config         print the effective configuration, or its errors, and exit\n"
	       "      --control-socket PATH  control socket (default from the config)\n"
	       "      --log-target TARGET    auto, journal or stderr (overrides the config)\n"
	       "      --log-level LEVEL      err, warning, notice, info or debug\n"
	       "      --once                 poll once (SYN scan included), print the status\n"
	       "                             document as JSON and exit\n"
	       "      --version              print the version and exit\n"
	       "  -h, --help                 print this help and exit\n\n"
	       "Exit status: 0 clean stop, 1 runtime failure, 78 invalid configuration.\n",
	       DEFAULT_CONFIG);
}

/* Loads the config; prints every error. Returns 0, or -EINVAL with the
 * errors printed. */
static int load_config(const char *path, bool explicit_path, struct sw_config **ret)
{
	struct sw_config_errors errs = { 0 };
	int r;

	r = config_load(path, ret, &errs);
	if (r == -ENOENT && !explicit_path)
		return config_new_default(ret);
	if (r == -EINVAL) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		config_errors_clear(&errs);
		return r;
	}
	config_errors_clear(&errs);
	if (r < 0)
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
	return r;
}

/* Adds gid to this process's supplementary groups. -errno. */
static int join_group(gid_t gid)
{
	_cleanup_free_ gid_t *groups = NULL;
	int n = getgroups(0, NULL);

	if (n < 0)
		return -errno;
	groups = calloc((size_t)n + 1, sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	n = getgroups(n, groups);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return 0;
	groups[n++] = gid;
	return setgroups((size_t)n, groups) < 0 ? -errno : 0;
}

/* A [control] group that does not exist here is as invalid as a malformed
 * one: said before the daemon would fail to create its socket (-EINVAL).
 * join: a daemon that may (root) joins the group, so that it can hand it
 * the socket once its capabilities are gone (-EPERM when that fails). */
static int control_group_check(const struct sw_config *cfg, const char *path, bool join)
{
	struct group *g;

	if (!cfg->control_group || !cfg->control_group[0])
		return 0;
	g = getgrnam(cfg->control_group);
	if (!g) {
		fprintf(stderr, "%s: [control] group '%s' does not exist\n",
			cfg->path ? cfg->path : path, cfg->control_group);
		return -EINVAL;
	}
	if (join) {
		int r = join_group(g->gr_gid);

		if (r < 0) {
			fprintf(stderr, "sockwatchd: Failed to join group '%s': %s\n",
				cfg->control_group, strerror(-r));
			return -EPERM;
		}
	}
	return 0;
}

/* Started with stdin, stdout or stderr closed, the first sockets would take
 * those numbers and the daemon's messages would go into them. */
static void stdio_open(void)
{
	int fd;

	do
		fd = open("/dev/null", O_RDWR);
	while (fd >= 0 && fd <= STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_SOCKET, OPT_TARGET, OPT_LEVEL, OPT_ONCE, OPT_VERSION };
	static const struct option options[] = {
		{ "config",         required_argument, NULL, 'c' },
		{ "check-config",   no_argument,       NULL, OPT_CHECK },
		{ "control-socket", required_argument, NULL, OPT_SOCKET },
		{ "log-target",     required_argument, NULL, OPT_TARGET },
		{ "log-level",      required_argument, NULL, OPT_LEVEL },
		{ "once",           no_argument,       NULL, OPT_ONCE },
		{ "version",        no_argument,       NULL, OPT_VERSION },
		{ "help",           no_argument,       NULL, 'h' },
		{}
	};
	struct sw_manager_options mo = {
		.config_path = DEFAULT_CONFIG,
		.log_target = -1,
		.log_level = -1,
	};
	_cleanup_manager_ struct sw_manager *m = NULL;
	_cleanup_config_ struct sw_config *cfg = NULL;
	struct sw_config *given;
	enum sw_log_target target;
	bool check = false, once = false;
	int c, r, q;

	stdio_open();
	while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			mo.config_path = optarg;
			mo.config_explicit = true;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_SOCKET:
			if (optarg[0] != '/') {
				fprintf(stderr, "sockwatchd: --control-socket needs an absolute path\n");
				return EXIT_FAILURE;
			}
			mo.control_socket = optarg;
			break;
		case OPT_TARGET:
			if (config_parse_log_target(optarg, &target) < 0) {
				fprintf(stderr, "sockwatchd: --log-target: '%s' is not auto, journal or stderr\n", optarg);
				return EXIT_FAILURE;
			}
			mo.log_target = (int)target;
			break;
		case OPT_LEVEL:
			mo.log_level = config_parse_log_level(optarg);
			if (mo.log_level < 0) {
				fprintf(stderr, "sockwatchd: --log-level: '%s' is not err, warning, notice, info or debug\n", optarg);
				return EXIT_FAILURE;
			}
			break;
		case OPT_ONCE:
			once = true;
			break;
		case OPT_VERSION:
			printf("sockwatchd %s\n", SW_VERSION);
			return EXIT_SUCCESS;
		case 'h':
			help();
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "Try 'sockwatchd --help'.\n");
			return EXIT_FAILURE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sockwatchd: unexpected argument '%s'\nTry 'sockwatchd --help'.\n", argv[optind]);
		return EXIT_FAILURE;
	}

	/* Privilege is split first: a helper keeps what reading other users'
	 * /proc and entering network namespaces need and parses nothing it is not asked for in fixed binary
	 * (helper.h); this process keeps no capability from the end of this
	 * block on, before it opens the kernel's sockets, the control socket
	 * or anything else that brings outside input (DESIGN.md "Process
	 * model"). Only the configuration, which root writes and the daemon
	 * needs to start, is read before that, with CAP_SETGID alone: a daemon
	 * started as root with "[control] group" joins that group here, as the
	 * unit's SupplementaryGroups= does, so that it may still give it the
	 * socket. */
	if (!check && helper_wanted()) {
		int fd;

		r = helper_spawn(&mo.helper, &fd);
		if (r == 1)
			return helper_serve(fd) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		if (r < 0) {
			fprintf(stderr, "sockwatchd: Failed to start the privileged helper: %s\n",
				strerror(-r));
			return EXIT_FAILURE;
		}
	} else if (!check) {
		mo.no_helper_reason = "started without CAP_SYS_ADMIN, CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH";
	}

	/* While the configuration is parsed, only CAP_SETGID is kept (to join
	 * its group), never what the helper holds. */
	{
		const int keep[] = { CAP_SETGID, -1 };
		bool setgid = !check && caps_have(CAP_SETGID);

		q = setgid ? caps_keep_only(keep) : caps_drop_all();
		if (q < 0) {
			fprintf(stderr, "sockwatchd: Failed to drop capabilities: %s\n", strerror(-q));
			helper_free(mo.helper);
			return EXIT_FAILURE;
		}
		r = load_config(mo.config_path, mo.config_explicit, &cfg);
		if (r >= 0)
			r = control_group_check(cfg, mo.config_path, setgid);
	}
	q = caps_drop_all();
	if (q < 0) {
		fprintf(stderr, "sockwatchd: Failed to drop capabilities: %s\n", strerror(-q));
		helper_free(mo.helper);
		return EXIT_FAILURE;
	}
	if (r < 0 || check) {
		helper_free(mo.helper);
		mo.helper = NULL;
	}
	if (check) {
		if (r < 0)
			return EXIT_FAILURE;
		config_print(cfg, stdout);
		return EXIT_SUCCESS;
	}
	if (r == -EPERM)
		return EXIT_FAILURE;     /* could not join the group */
	if (r < 0)
		return EXIT_CONFIG;

	/* The manager reports its own failures: only the exit status here. */
	mo.once = once;
	given = cfg;
	cfg = NULL;              /* manager_new owns it from here, also on failure */
	r = manager_new(&mo, given, &m);
	if (r < 0)
		return EXIT_FAILURE;
	r = once ? manager_once(m, stdout) : manager_run(m);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
