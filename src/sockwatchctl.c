/* sockwatchctl: main() only: options, one request to sockwatchd over the
 * control socket (ctlclient), the rendered reply, exit codes (DESIGN.md).
 * Links protocol, render, config_value and util, never libnl or
 * libsystemd. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "config_value.h"
#include "ctlclient.h"
#include "protocol.h"
#include "render.h"
#include "macro.h"

/* Exit codes of every command but check (which uses enum sw_check_status). */
enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_ERROR = 1,        /* error or usage */
	CTL_EXIT_UNREACHABLE = 3,  /* daemon not running, socket unreachable */
};

#define CTL_TIMEOUT_DEFAULT_USEC (5 * USEC_PER_SEC)
#define CTL_TIMEOUT_MAX_USEC     (3600 * USEC_PER_SEC)

struct ctl_command {
	const char *name;
	enum sw_ctl_cmd cmd;
	const char *args;     /* for usage */
	int min_args, max_args;
};

static const struct ctl_command commands[] = {
	{ "status", SW_CTL_STATUS, "[--json] [--all] [--netns NAME]... [LISTENER...]", 0,
	  SW_CTL_FILTERS_MAX },
	{ "show", SW_CTL_SHOW, "LISTENER [--json] [--netns NAME]...", 1, 1 },
	{ "check", SW_CTL_CHECK, "[--netns NAME]...", 0, 0 },
	{ "reload", SW_CTL_RELOAD, "", 0, 0 },
	{ "version", SW_CTL_VERSION, "", 0, 0 },
};

static const struct option options[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "timeout", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'j' },
	{ "all", no_argument, NULL, 'a' },
	{ "netns", required_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct ctl_args {
	const char *socket;
	uint64_t timeout_usec;
	bool json, all;
	const char *netns[SW_CTL_FILTERS_MAX];   /* --netns, as given */
	int n_netns;
	const struct ctl_command *command;
	char **operands;
	int n_operands;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: sockwatchctl [--socket PATH] [--timeout DURATION] COMMAND [ARGS]\n\n"
		   "Queries sockwatchd, the listen queue monitor.\n\nCommands:\n");
	for (size_t i = 0; i < SW_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %s%s%s\n", commands[i].name, *commands[i].args ? " " : "",
			commands[i].args);
	fprintf(f, "\nOptions:\n"
		   "  --socket PATH       control socket (default %s)\n"
		   "  --timeout DURATION  give up on the daemon after this long (default 5s)\n"
		   "  --json              status, show: print the daemon's JSON document\n"
		   "  --all               status: idle listeners too\n"
		   "  --netns NAME        status, show, check: only namespaces so named (a shell\n"
		   "                      glob such as 'docker:*'; repeat for more)\n"
		   "  -h, --help          this text\n"
		   "  --version           sockwatchctl's version\n\n"
		   "LISTENER is ADDRESS:PORT, [ADDRESS]:PORT, *:PORT, or a UNIX socket's /PATH or @NAME.\n"
		   "Exit status: 0 done, 1 error or usage, 3 sockwatchd not reachable;\n"
		   "check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n",
		SW_CTL_DEFAULT_SOCKET);
}

/* Reports a failure the way the command's caller expects it: check
 * speaks the monitoring-plugins protocol on stdout, the others write to
 * stderr. Returns the exit code to use. */
static int fail(const struct ctl_args *a, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(const struct ctl_args *a, int code, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (a->command && a->command->cmd == SW_CTL_CHECK) {
		render_check_unknown(stdout, "%s", msg ? msg : "out of memory");
		code = SW_CHECK_UNKNOWN;
	} else {
		fprintf(stderr, "sockwatchctl: %s\n", msg ? msg : "out of memory");
	}
	free(msg);
	return code;
}

/* The config file's durations ("5s", "500ms", "2min"), so that the two
 * never disagree; above 0 and at most an hour. */
static int parse_timeout(const char *s, uint64_t *ret)
{
	uint64_t usec;
	int r = config_parse_duration(s, &usec);

	if (r < 0)
		return r;
	if (usec == 0 || usec > CTL_TIMEOUT_MAX_USEC)
		return -ERANGE;
	*ret = usec;
	return 0;
}

/* 0 to go on, or 1 + the exit code to leave with. */
static int parse_args(int argc, char **argv, struct ctl_args *a)
{
	const char *name;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 's':
			a->socket = optarg;
			break;
		case 't':
			r = parse_timeout(optarg, &a->timeout_usec);
			if (r < 0 && config_duration_lacks_unit(optarg)) {
				fprintf(stderr, "sockwatchctl: --timeout '%s' has no unit (use ms, s, "
						"min or h, e.g. %ss)\n", optarg, optarg);
				return 1 + CTL_EXIT_ERROR;
			}
			if (r < 0) {
				fprintf(stderr, "sockwatchctl: --timeout '%s': expected a duration "
						"such as 5s or 500ms, up to 1h\n", optarg);
				return 1 + CTL_EXIT_ERROR;
			}
			break;
		case 'j':
			a->json = true;
			break;
		case 'a':
			a->all = true;
			break;
		case 'n':
			if (!protocol_netns_glob_valid(optarg)) {
				fprintf(stderr, "sockwatchctl: --netns: a name or glob is 1 to %d bytes "
						"without control characters\n", SW_CTL_NETNS_GLOB_MAX);
				return 1 + CTL_EXIT_ERROR;
			}
			if (a->n_netns >= SW_CTL_FILTERS_MAX) {
				fprintf(stderr, "sockwatchctl: --netns: at most %d\n",
					SW_CTL_FILTERS_MAX);
				return 1 + CTL_EXIT_ERROR;
			}
			a->netns[a->n_netns++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1 + CTL_EXIT_OK;
		case 'V':
			printf("sockwatchctl %s\n", SW_VERSION);
			return 1 + CTL_EXIT_OK;
		default:
			/* getopt printed what was wrong. */
			fprintf(stderr, "Try 'sockwatchctl --help'.\n");
			return 1 + CTL_EXIT_ERROR;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1 + CTL_EXIT_ERROR;
	}
	name = argv[optind];
	for (size_t i = 0; i < SW_ARRAY_SIZE(commands); i++)
		if (strcmp(name, commands[i].name) == 0)
			a->command = &commands[i];
	if (!a->command) {
		fprintf(stderr, "sockwatchctl: unknown command '%s'. Try 'sockwatchctl --help'.\n",
			name);
		return 1 + CTL_EXIT_ERROR;
	}
	a->operands = argv + optind + 1;
	a->n_operands = argc - optind - 1;
	if (a->n_operands < a->command->min_args || a->n_operands > a->command->max_args)
		return 1 + fail(a, CTL_EXIT_ERROR, "usage: sockwatchctl %s %s", name,
				a->command->args);
	if (a->json && a->command->cmd != SW_CTL_STATUS && a->command->cmd != SW_CTL_SHOW)
		return 1 + fail(a, CTL_EXIT_ERROR, "--json applies to status and show only");
	if (a->all && a->command->cmd != SW_CTL_STATUS)
		return 1 + fail(a, CTL_EXIT_ERROR, "--all applies to status only");
	if (a->n_netns > 0 && a->command->cmd != SW_CTL_STATUS && a->command->cmd != SW_CTL_SHOW &&
	    a->command->cmd != SW_CTL_CHECK)
		return 1 + fail(a, CTL_EXIT_ERROR, "--netns applies to status, show and check only");
	return 0;
}

static int build_request(const struct ctl_args *a, struct sw_ctl_request *req)
{
	int r;

	req->cmd = a->command->cmd;
	req->all = a->all;
	if (a->n_netns > 0) {
		req->netns = calloc((size_t)a->n_netns, sizeof(char *));
		if (!req->netns)
			return fail(a, CTL_EXIT_ERROR, "out of memory");
		for (int i = 0; i < a->n_netns; i++) {
			req->netns[i] = strdup(a->netns[i]);
			if (!req->netns[i])
				return fail(a, CTL_EXIT_ERROR, "out of memory");
			req->n_netns++;
		}
	}
	if (req->cmd == SW_CTL_SHOW) {
		r = protocol_listener_normalize(a->operands[0], &req->listener);
		if (r < 0)
			return r == -ENOMEM ? fail(a, CTL_EXIT_ERROR, "out of memory")
					    : fail(a, CTL_EXIT_ERROR,
						   "'%s' is not a listener: expected ADDRESS:PORT, "
						   "[ADDRESS]:PORT, *:PORT, /PATH or @NAME", a->operands[0]);
		return 0;
	}
	if (req->cmd != SW_CTL_STATUS || a->n_operands == 0)
		return 0;
	req->listeners = calloc((size_t)a->n_operands, sizeof(char *));
	if (!req->listeners)
		return fail(a, CTL_EXIT_ERROR, "out of memory");
	for (int i = 0; i < a->n_operands; i++) {
		r = protocol_listener_normalize(a->operands[i], &req->listeners[i]);
		if (r < 0)
			return r == -ENOMEM ? fail(a, CTL_EXIT_ERROR, "out of memory")
					    : fail(a, CTL_EXIT_ERROR,
						   "'%s' is not a listener: expected ADDRESS:PORT, "
						   "[ADDRESS]:PORT, *:PORT, /PATH or @NAME", a->operands[i]);
		req->n_listeners++;
	}
	return 0;
}

/* Sends the request and returns the reply line. */
static int ctl_exchange(const struct ctl_args *a, const struct sw_ctl_request *req, char **ret,
			size_t *ret_len)
{
	_cleanup_free_ char *line = NULL;
	struct ctlclient_error err;
	size_t len;
	int r;

	r = protocol_format_request(req, &line, &len);
	if (r < 0)
		return fail(a, CTL_EXIT_ERROR, "cannot encode the request: %s",
			    r == -E2BIG ? "too long" : strerror(-r));
	r = ctlclient_exchange(a->socket, a->timeout_usec, line, len, ret, ret_len, &err);
	if (r < 0) {
		r = fail(a, err.unreachable ? CTL_EXIT_UNREACHABLE : CTL_EXIT_ERROR, "%s",
			 err.msg ? err.msg : "out of memory");
		free(err.msg);
	}
	return r;
}

static unsigned terminal_width(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static int run(const struct ctl_args *a)
{
	struct sw_ctl_request req = { 0 };
	struct json_object *reply = NULL;
	_cleanup_free_ char *line = NULL;
	struct sw_render_opts opts = { 0 };
	bool tty = isatty(STDOUT_FILENO);
	const char *err, *term = getenv("TERM");
	size_t len = 0;
	int r;

	r = build_request(a, &req);
	if (r != 0)
		goto out;
	r = ctl_exchange(a, &req, &line, &len);
	if (r != 0)
		goto out;

	if (protocol_parse_reply(line, len, &reply) < 0) {
		r = fail(a, CTL_EXIT_ERROR, "malformed reply from sockwatchd");
		goto out;
	}
	/* Error texts and versions reach the terminal too (--json prints the
	 * line as received, where JSON escapes every control character). */
	render_sanitize(reply);
	err = protocol_reply_error(reply);
	if (err) {
		r = fail(a, CTL_EXIT_ERROR, "%s: %s", a->command->name, err);
		goto out;
	}

	/* Colour and width only for a person at a terminal; piped output is
	 * plain and stable. NO_COLOR: https://no-color.org */
	opts.colour = tty && !getenv("NO_COLOR") && !(term && strcmp(term, "dumb") == 0);
	opts.width = tty ? terminal_width() : 0;
	/* Listeners asked for by name are shown even when idle. */
	opts.all = a->all || req.n_listeners > 0;

	r = CTL_EXIT_OK;
	switch (a->command->cmd) {
	case SW_CTL_STATUS:
	case SW_CTL_SHOW:
		if (a->json) {
			fwrite(line, 1, len, stdout);
			if (len == 0 || line[len - 1] != '\n')
				fputc('\n', stdout);
		} else if ((a->command->cmd == SW_CTL_STATUS ? render_status(stdout, reply, &opts)
							     : render_show(stdout, reply, &opts)) < 0) {
			r = fail(a, CTL_EXIT_ERROR, "malformed status document from sockwatchd");
		}
		break;
	case SW_CTL_CHECK:
		r = (int)render_check(stdout, reply);
		break;
	case SW_CTL_RELOAD:
		break;
	case SW_CTL_VERSION: {
		struct json_object *v;
		const char *dv = NULL;

		if (json_object_object_get_ex(reply, "sockwatchd", &v))
			dv = json_object_get_string(v);
		printf("sockwatchctl %s\nsockwatchd %s\n", SW_VERSION, dv ? dv : "unknown");
		break;
	}
	default:
		break;
	}
out:
	json_object_put(reply);
	protocol_request_clear(&req);
	return r;
}

int main(int argc, char **argv)
{
	struct ctl_args a = {
		.socket = SW_CTL_DEFAULT_SOCKET,
		.timeout_usec = CTL_TIMEOUT_DEFAULT_USEC,
	};
	int r;

	r = parse_args(argc, argv, &a);
	if (r > 0)
		return r - 1;
	r = run(&a);
	/* Output that did not reach its reader is an error (a full disk, a
	 * closed pipe); for check, the plugin's status stands. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (r == 0)
			r = CTL_EXIT_ERROR;
		fprintf(stderr, "sockwatchctl: writing output: %s\n", strerror(errno));
	}
	return r;
}
