/* Pure: the parsers of sock_diag (inet_diag, unix_diag) dump replies, over the bytes
 * of one recv(); diag.c does the socket I/O around them. Fuzzed
 * (tests/fuzz/fuzz_diag_*.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"
#include "usnap.h"

/* Not in the UAPI headers: the state of a request socket. */
#ifndef TCP_NEW_SYN_RECV
#define TCP_NEW_SYN_RECV 12
#endif

/* Each returns 0 when more parts follow, 1 when NLMSG_DONE was seen, -EINTR
 * when a message carried NLM_F_DUMP_INTR, or the negative errno of an
 * NLMSG_ERROR (or of an NLMSG_DONE that ends a dump failed half way).
 * Malformed or truncated messages and attributes are skipped and counted in
 * s->skipped_msgs / s->skipped_attrs. */
int diag_parse_listeners(const void *buf, size_t len, struct sw_snapshot *s);
int diag_parse_synrecv(const void *buf, size_t len, struct sw_snapshot *s);

/* As above, but only messages answering request seq from port portid count:
 * others (stale replies) are skipped and counted in s->skipped_msgs. The
 * dumps use these. Replies are SOCK_DIAG_BY_FAMILY messages, except those
 * of the SYN scan's one-walk request, which the kernel sends as the type
 * of that request (TCPDIAG_GETSOCK): reply_type says which counts. */
int diag_parse_listeners_seq(const void *buf, size_t len, uint32_t seq, uint32_t portid,
			     struct sw_snapshot *s);
int diag_parse_synrecv_seq(const void *buf, size_t len, uint32_t seq, uint32_t portid,
			   uint16_t reply_type, struct sw_snapshot *s);

/* A unix_diag dump reply (UDIAG_SHOW_NAME, _RQLEN, _UID): listening
 * (TCP_LISTEN) SOCK_STREAM and SOCK_SEQPACKET sockets are appended to u
 * (usnap_add()); other messages are skipped and counted in
 * u->skipped_msgs. Malformed attributes (a name usnap_name() refuses, an
 * RQLEN or UID of the wrong size, a second copy of one, a length past the
 * message) are counted in u->skipped_attrs; the listener is kept without
 * them. Returns as the parsers above. */
int diag_parse_unix(const void *buf, size_t len, struct sw_unix_snapshot *u);
int diag_parse_unix_seq(const void *buf, size_t len, uint32_t seq, uint32_t portid,
			struct sw_unix_snapshot *u);
