/* Pure decisions of the manager (decide.h). */
#include "decide.h"

#include "macro.h"

/* How much counter c grew since prev; 0 when either side lacks it or it
 * went backwards (a namespace's counters never do; a reset says nothing). */
static uint64_t decide_delta(const struct sw_netstat *prev, const struct sw_netstat *now,
			     enum sw_counter c)
{
	if (!prev || !netstat_has(prev, c) || !netstat_has(now, c) ||
	    now->value[c] <= prev->value[c])
		return 0;
	return now->value[c] - prev->value[c];
}

bool decide_syn_scan(size_t syn_at_warn, const struct sw_netstat *prev,
		     const struct sw_netstat *now, int32_t syncookies)
{
	uint64_t drops = decide_delta(prev, now, SW_CTR_LISTEN_DROPS);

	if (syn_at_warn > 0 || decide_delta(prev, now, SW_CTR_REQQ_FULL_DROP) > 0)
		return true;
	/* ListenDrops counts every accept-queue overflow too. */
	if (drops > 0 && netstat_has(now, SW_CTR_LISTEN_OVERFLOWS) && prev &&
	    netstat_has(prev, SW_CTR_LISTEN_OVERFLOWS) &&
	    drops > decide_delta(prev, now, SW_CTR_LISTEN_OVERFLOWS))
		return true;
	return syncookies != 2 && (decide_delta(prev, now, SW_CTR_REQQ_FULL_COOKIES) > 0 ||
				   decide_delta(prev, now, SW_CTR_SYNCOOKIES_SENT) > 0);
}

uint64_t decide_interval(bool any_at_warn, uint64_t interval_usec, uint64_t fast_interval_usec)
{
	return any_at_warn ? fast_interval_usec : interval_usec;
}

uint64_t decide_late_threshold(uint64_t current_usec, uint64_t interval_usec)
{
	uint64_t iv = current_usec ? current_usec : interval_usec;

	return SW_MIN(SW_MAX(iv / 2, DECIDE_LATE_MIN_USEC), DECIDE_LATE_MAX_USEC);
}

void decide_note_lateness(struct sw_lateness *l, uint64_t due_usec, uint64_t start_usec,
			  uint64_t threshold_usec)
{
	uint64_t late;

	if (due_usec == 0)
		return;
	late = start_usec > due_usec ? start_usec - due_usec : 0;
	l->last_usec = late;
	if (late > l->max_usec)
		l->max_usec = late;
	if (late > threshold_usec)
		l->late_polls++;
}

uint64_t decide_keepalive_usec(uint64_t watchdog_usec, uint64_t interval_usec)
{
	return watchdog_usec && interval_usec > watchdog_usec / 2 ? watchdog_usec / 2 : 0;
}

uint64_t decide_poll_budget_usec(uint64_t watchdog_usec)
{
	if (watchdog_usec == 0)
		return DECIDE_POLL_BUDGET_USEC;
	return SW_MIN(DECIDE_POLL_BUDGET_USEC, watchdog_usec / 3);
}

bool decide_keepalive_ok(bool armed, uint64_t due_usec, uint64_t now_usec, uint64_t grace_usec,
			 bool last_poll_ok)
{
	return armed && last_poll_ok && now_usec <= due_usec + grace_usec;
}
