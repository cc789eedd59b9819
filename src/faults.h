/* The daemon's test seams, read once at start from the environment
 * (sockwatchd(8), ENVIRONMENT). They can only make the daemon see less or
 * poll less, never more, and the status document names them.
 *
 * SOCKWATCHD_PROC_ROOT: where sysctls and TcpExt counters are read instead
 * of /proc.
 * SOCKWATCHD_TEST_FAULT: comma-separated items,
 *   rcvbuf=BYTES            a real, tiny netlink receive buffer;
 *   {listeners,synrecv,unix}-{intr,enobufs,eperm}=FROM[-TO]
 *                           the dumps of those poll attempts (numbered from
 *                           1) fail as an interrupted dump, an overrun socket
 *                           or an EPERM error reply would;
 *   poll-stop=N             the poll timer is not re-armed after attempt N:
 *                           the loop lives on, polling stops;
 *   poll-hang=N             attempt N blocks the loop (until killed). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sw_diag;
struct sw_journal;

#define SW_FAULTS_MAX 16

enum sw_fault_dump { SW_FAULT_LISTENERS, SW_FAULT_SYNRECV, SW_FAULT_UNIX };

struct sw_fault {
	enum sw_fault_dump dump;
	int err;                     /* negative errno the dump's receive gets */
	uint64_t from, to;           /* poll attempts, inclusive */
};

struct sw_faults {
	char *proc_root;             /* "/proc", or SOCKWATCHD_PROC_ROOT */
	char *netstat_path;
	char *spec;                  /* SOCKWATCHD_TEST_FAULT as given, or NULL */
	struct sw_fault v[SW_FAULTS_MAX];
	size_t n;
	uint64_t stop_after;         /* poll-stop; 0: none */
	uint64_t hang_at;            /* poll-hang; 0: none */
	uint64_t rcvbuf;             /* netlink receive buffer set by the seam, 0: none */
	uint64_t injected;           /* receives the hook failed */

	struct sw_diag *diag;
	int err;                     /* what the recv hook returns now */
};

/* Reads the environment; logs what it uses and what it refuses to j, so
 * the caller need not. Returns 0, -EINVAL for a bad seam, -ENOMEM. */
int faults_init(struct sw_faults *f, struct sw_diag *diag, struct sw_journal *j);
void faults_clear(struct sw_faults *f);

/* Arms the receive hook for poll attempt's dump of kind k, if a fault is
 * planned for it; faults_disarm() after the dump. */
void faults_arm(struct sw_faults *f, enum sw_fault_dump k, uint64_t attempt);
void faults_disarm(struct sw_faults *f);

/* poll-stop: whether the timer stays unarmed after this attempt. */
bool faults_stop_polling(const struct sw_faults *f, uint64_t attempt);
/* poll-hang: blocks here for good when this attempt is the one. */
void faults_hang(const struct sw_faults *f, uint64_t attempt);
