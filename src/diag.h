/* The sock_diag (NETLINK_SOCK_DIAG: inet_diag, unix_diag) collector: the socket I/O
 * of the dumps, whose replies diag_parse.h parses. The only module that
 * uses libnl; its NLE_* codes never leave it. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "snapshot.h"
#include "usnap.h"

struct sw_diag;

/* Opens the netlink socket (close-on-exec) in the caller's namespace. */
int diag_open(struct sw_diag **ret);
/* Takes over fd, a NETLINK_SOCK_DIAG socket made in another namespace
 * (the helper's nsdisc_open()): its dumps show that namespace. It is never
 * reopened; a dump left half read is drained instead. fd is closed on
 * failure too. */
int diag_adopt(int fd, struct sw_diag **ret);
/* NULL-safe. */
void diag_close(struct sw_diag *d);
/* Receive buffer size in bytes (tests shrink it to provoke ENOBUFS). */
int diag_set_rcvbuf(struct sw_diag *d, size_t bytes);

/* What a dump call is given when its caller has no deadline (0). */
#define SW_DIAG_DUMP_BUDGET_USEC (10 * 1000 * 1000ULL)

/* Dumps TCP_LISTEN sockets of both families with SKMEMINFO (and the cgroup
 * id where the kernel gives it) and appends them to s. Redoes an interrupted
 * (NLM_F_DUMP_INTR) or overrun (ENOBUFS) dump up to 3 times, then fails with
 * -EINTR / -ENOBUFS. NLMSG_ERROR replies become their negative errno.
 * deadline_usec (util_now_usec()'s clock) bounds the whole call, redos
 * included: once it has passed, it fails with -ETIMEDOUT, however slowly
 * the kernel answers. 0: SW_DIAG_DUMP_BUDGET_USEC from now. On failure s
 * is left as it was. */
int diag_dump_listeners(struct sw_diag *d, struct sw_snapshot *s, uint64_t deadline_usec);

/* Dumps TCP_SYN_RECV of both families and tallies each request socket with
 * snapshot_add_request(); s must be indexed. Sets s->syn_scanned. The
 * deadline as above. One walk of the connection table for both families
 * (the TCPDIAG_GETSOCK request, which the test seam sees as family
 * AF_UNSPEC); where the kernel refuses it (EOPNOTSUPP, EINVAL), this scan
 * and every later one on d dump each family in turn instead. */
int diag_dump_synrecv(struct sw_diag *d, struct sw_snapshot *s, uint64_t deadline_usec);
/* Test seam: SYN scans on d dump per family, as after a refused walk. */
void diag_refuse_walk(struct sw_diag *d);

/* Dumps the listening AF_UNIX stream and seqpacket sockets of the socket's
 * namespace (unix_diag: one request, UDIAG_SHOW_NAME | UDIAG_SHOW_RQLEN |
 * UDIAG_SHOW_UID) and appends them to s. Redos, rollback, deadline and
 * errors as diag_dump_listeners(); unix_diag never marks a dump
 * interrupted, so only ENOBUFS and a lost part are redone. Sets
 * s->taken_usec. The test seam sees family AF_UNIX, states
 * 1 << TCP_LISTEN. */
int diag_dump_unix(struct sw_diag *d, struct sw_unix_snapshot *s, uint64_t deadline_usec);

/* The netlink socket's fd (tests check it is close-on-exec); -1 if closed. */
int diag_fd(const struct sw_diag *d);

/* Test seam: while set, dumps send nothing and take each datagram of the
 * reply to request seq (family, states, from port portid) from fn, which
 * copies at most len bytes to buf and returns their number or a negative
 * errno. NULL restores the socket. */
typedef ssize_t (*sw_diag_recv_hook)(void *userdata, int family, uint32_t states,
				     uint32_t seq, uint32_t portid, void *buf, size_t len);
void diag_set_recv_hook(struct sw_diag *d, sw_diag_recv_hook fn, void *userdata);
