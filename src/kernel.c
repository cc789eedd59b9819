#include "kernel.h"

#include <stddef.h>

static const char *const counter_names[_SW_CTR_MAX] = {
	[SW_CTR_LISTEN_OVERFLOWS]   = "ListenOverflows",
	[SW_CTR_LISTEN_DROPS]       = "ListenDrops",
	[SW_CTR_REQQ_FULL_DROP]     = "TCPReqQFullDrop",
	[SW_CTR_REQQ_FULL_COOKIES]  = "TCPReqQFullDoCookies",
	[SW_CTR_SYNCOOKIES_SENT]    = "SyncookiesSent",
	[SW_CTR_SYNCOOKIES_RECV]    = "SyncookiesRecv",
	[SW_CTR_SYNCOOKIES_FAILED]  = "SyncookiesFailed",
};

const char *netstat_counter_name(enum sw_counter c)
{
	if ((unsigned)c >= _SW_CTR_MAX)
		return NULL;
	return counter_names[c];
}
