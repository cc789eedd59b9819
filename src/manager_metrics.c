/* The manager's metrics outputs: the HTTP endpoint on a socket systemd
 * passed (named "metrics", sockwatchd-metrics.socket) or on [metrics]
 * listen, and the textfile for node_exporter. Both serve one exposition,
 * built at its first use after each poll (metrics.c over the status
 * inputs, its label sets kept in a cache between builds) and shared until
 * the next. */
#include "manager_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <dirent.h>
#include <syslog.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "journal.h"
#include "metrics.h"
#include "metrics_http.h"
#include "status.h"
#include "util.h"

#define METRICS_FD_NAME "metrics"

/* Wall clock of a monotonic instant in the past. */
static uint64_t realtime_of(uint64_t mono)
{
	uint64_t now = util_now_usec(), wall = util_realtime_usec();

	return mono && mono <= now && now - mono < wall ? wall - (now - mono) : 0;
}

static int body_get(void *userdata, struct sw_metrics_body **ret)
{
	struct sw_manager *m = userdata;
	_cleanup_free_ struct sw_status_ns *ns = NULL;
	struct sw_status_daemon d;
	struct sw_status_inputs in;
	struct sw_metrics_opts o;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!m->metrics_body) {
		r = manager_status_inputs(m, &d, &ns, &in);
		if (r < 0)
			return r;
		o = (struct sw_metrics_opts){
			.max_listeners = m->cfg->metrics_max_listeners,
			.version = SW_VERSION,
			.last_poll_realtime_usec = realtime_of(m->last_poll_ok_usec),
		};
		if (!m->metrics_cache) {
			r = metrics_cache_new(&m->metrics_cache);
			if (r < 0)
				return r;
		}
		r = metrics_format_cached(&in, &o, m->metrics_cache, &text, &len);
		if (r < 0)
			return r;
		m->metrics_body = metrics_body_new(text, len);
		if (!m->metrics_body)
			return -ENOMEM;
	}
	*ret = metrics_body_ref(m->metrics_body);
	return 0;
}

static uint64_t count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	uint64_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n ? n - 1 : 0;   /* not the directory's own fd */
}

/* The process families, read fresh for each HTTP answer. */
static int tail_get(void *userdata, char *buf, size_t size)
{
	struct sw_manager *m = userdata;
	struct sw_metrics_process p = {
		.cpu_seconds = (double)util_cpu_usec() / USEC_PER_SEC,
		.open_fds = count_fds(),
		.start_time_seconds = (double)m->start_realtime_usec / USEC_PER_SEC,
	};
	_cleanup_free_ char *statm = NULL;
	unsigned long long vsz, rss;
	long page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	size_t len;

	if (util_read_file("/proc/self/statm", 256, &statm, &len) == 0 &&
	    sscanf(statm, "%llu %llu", &vsz, &rss) == 2 && page > 0) {
		p.virtual_bytes = vsz * (uint64_t)page;
		p.resident_bytes = rss * (uint64_t)page;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		p.max_fds = rl.rlim_cur;
	return metrics_format_process(&p, buf, size);
}

/* The socket systemd passed as "metrics", or -1; any other passed fd is
 * not ours and is closed. */
static int passed_socket(struct sw_manager *m)
{
	char **names = NULL;
	int n, fd = -1;

	n = sd_listen_fds_with_names(1, &names);
	if (n <= 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int f = SD_LISTEN_FDS_START + i;
		const char *name = names && names[i] ? names[i] : "unknown";

		if (fd < 0 && strcmp(name, METRICS_FD_NAME) == 0 &&
		    sd_is_socket(f, AF_UNSPEC, SOCK_STREAM, 1) > 0) {
			fd = f;
			continue;
		}
		journal_log(m->journal, LOG_WARNING,
			    "Closing file descriptor %d passed as '%s': only one listening stream "
			    "socket named '" METRICS_FD_NAME "' is used", f, name);
		close(f);
	}
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	return fd;
}

static int open_endpoint(struct sw_manager *m)
{
	const struct sw_config *c = m->cfg;
	struct sw_metrics_http_limits lim = {
		.max_connections = c->metrics_max_connections,
		.max_per_ip = c->metrics_max_connections_per_ip,
		.timeout_usec = c->metrics_timeout_usec,
	};
	struct sw_metrics_source src = { .body = body_get, .tail = tail_get, .userdata = m };
	struct sockaddr_storage ss;
	unsigned len;
	int fd, r;

	fd = passed_socket(m);
	if (fd >= 0) {
		if (c->metrics_listen)
			journal_log(m->journal, LOG_INFO,
				    "Serving metrics on the socket the service manager passed; "
				    "[metrics] listen = %s is not used", c->metrics_listen);
		m->metrics_listen = "socket activation";
	} else if (c->metrics_listen) {
		if (config_metrics_listen_addr(c->metrics_listen, &ss, &len) < 0)
			return -EINVAL;   /* the parser let it through: never */
		r = metrics_http_listen((struct sockaddr *)&ss, len, &fd);
		if (r < 0) {
			journal_log(m->journal, LOG_ERR, "Failed to open the metrics endpoint %s: %s%s",
				    c->metrics_listen, strerror(-r),
				    r == -EAFNOSUPPORT || r == -EPERM || r == -EACCES
					    ? " (under systemd the unit allows no inet socket of its own: "
					      "enable sockwatchd-metrics.socket, or widen "
					      "RestrictAddressFamilies= and IPAddressAllow= in a drop-in)"
					    : "");
			return r;
		}
		m->metrics_listen_copy = strdup(c->metrics_listen);
		m->metrics_listen = m->metrics_listen_copy;
	} else {
		return 0;
	}
	r = metrics_http_new(m->event, fd, &lim, c->metrics_allow, c->n_metrics_allow, &src,
			     &m->metrics);
	if (r < 0) {
		m->metrics_listen = NULL;
		journal_log(m->journal, LOG_ERR, "Failed to start the metrics endpoint: %s",
			    strerror(-r));
		return r;
	}
	return 0;
}

static void textfile_write(struct sw_manager *m)
{
	struct sw_metrics_body *b = NULL;
	const char *path = m->cfg->metrics_textfile;
	int r;

	if (!path || !m->polls)
		return;
	r = body_get(m, &b);
	if (r >= 0)
		r = util_write_file_atomic(path, b->data, b->len, 0644);
	metrics_body_unref(b);
	/* Said when it starts failing, or fails otherwise, and when it works
	 * again: not at every interval. */
	if (r < 0 && r != m->textfile_last_error)
		journal_log(m->journal, LOG_WARNING, "Failed to write the metrics textfile %s: %s",
			    path, strerror(-r));
	else if (r >= 0 && m->textfile_last_error < 0)
		journal_log(m->journal, LOG_INFO, "Metrics textfile %s written again", path);
	m->textfile_last_error = r < 0 ? r : 0;
	if (r < 0) {
		m->textfile_errors++;
		return;
	}
	m->textfile_writes++;
	if (!m->textfile_written || strcmp(m->textfile_written, path) != 0) {
		free(m->textfile_written);
		m->textfile_written = strdup(path);   /* NULL: it is simply not removed later */
	}
}

static int textfile_arm(struct sw_manager *m, uint64_t delay)
{
	int r;

	if (!m->cfg->metrics_textfile)
		return sd_event_source_set_enabled(m->textfile_timer, SD_EVENT_OFF);
	r = sd_event_source_set_time_relative(m->textfile_timer, delay);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(m->textfile_timer, SD_EVENT_ONESHOT);
}

static int on_textfile(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct sw_manager *m = userdata;
	int r;

	textfile_write(m);
	r = textfile_arm(m, m->cfg->metrics_textfile_interval_usec);
	if (r < 0)
		journal_log(m->journal, LOG_ERR, "Failed to arm the metrics textfile timer: %s",
			    strerror(-r));
	return 0;
}

int manager_metrics_start(struct sw_manager *m)
{
	int r;

	m->start_realtime_usec = realtime_of(m->start_usec);
	r = open_endpoint(m);
	if (r < 0)
		return r;
	r = sd_event_add_time(m->event, &m->textfile_timer, CLOCK_MONOTONIC, UINT64_MAX,
			      10 * USEC_PER_MSEC, on_textfile, m);
	if (r >= 0)
		r = sd_event_source_set_priority(m->textfile_timer, SD_EVENT_PRIORITY_IDLE);
	/* The first write follows the first poll (textfile_write waits for one). */
	if (r >= 0)
		r = textfile_arm(m, m->cfg->interval_usec + USEC_PER_SEC);
	if (r < 0)
		journal_log(m->journal, LOG_ERR, "Failed to set up the metrics textfile timer: %s",
			    strerror(-r));
	return r;
}

void manager_metrics_polled(struct sw_manager *m)
{
	metrics_body_unref(m->metrics_body);
	m->metrics_body = NULL;
}

void manager_metrics_reloaded(struct sw_manager *m, const struct sw_config *old)
{
	const struct sw_config *c = m->cfg;
	bool same_listen = (!c->metrics_listen && !old->metrics_listen) ||
			   (c->metrics_listen && old->metrics_listen &&
			    strcmp(c->metrics_listen, old->metrics_listen) == 0);
	int r;

	manager_metrics_polled(m);    /* max_listeners may have changed */
	/* A textfile no longer configured would be served by node_exporter
	 * as ever older figures: the one this daemon wrote goes. */
	if (m->textfile_written &&
	    (!c->metrics_textfile || strcmp(c->metrics_textfile, m->textfile_written) != 0)) {
		if (unlink(m->textfile_written) == 0)
			journal_log(m->journal, LOG_INFO, "Removed the old metrics textfile %s",
				    m->textfile_written);
		else if (errno != ENOENT)
			journal_log(m->journal, LOG_WARNING,
				    "Failed to remove the old metrics textfile %s: %s",
				    m->textfile_written, strerror(errno));
		free(m->textfile_written);
		m->textfile_written = NULL;
	}
	if (!same_listen || c->metrics_max_connections != old->metrics_max_connections ||
	    c->metrics_max_connections_per_ip != old->metrics_max_connections_per_ip ||
	    c->metrics_timeout_usec != old->metrics_timeout_usec)
		journal_log(m->journal, LOG_WARNING,
			    "[metrics] listen, max_connections, max_connections_per_ip and timeout "
			    "take effect at the next start");
	if (m->metrics && metrics_http_set_allow(m->metrics, c->metrics_allow, c->n_metrics_allow) < 0)
		journal_log(m->journal, LOG_ERR, "[metrics] allow: out of memory; the previous list stays");
	if (m->textfile_timer) {
		m->textfile_last_error = 0;
		r = textfile_arm(m, c->metrics_textfile_interval_usec);
		if (r < 0)
			journal_log(m->journal, LOG_ERR, "Failed to arm the metrics textfile timer: %s",
				    strerror(-r));
	}
}

void manager_metrics_stop(struct sw_manager *m)
{
	metrics_http_free(m->metrics);
	m->metrics = NULL;
	m->metrics_listen = NULL;
	free(m->metrics_listen_copy);
	m->metrics_listen_copy = NULL;
	free(m->textfile_written);
	m->textfile_written = NULL;
	m->textfile_timer = sd_event_source_disable_unref(m->textfile_timer);
	manager_metrics_polled(m);
	metrics_cache_free(m->metrics_cache);
	m->metrics_cache = NULL;
}
