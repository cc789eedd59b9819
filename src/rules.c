#include "rules.h"

#include <string.h>

void rules_state_init(struct sw_rule_state *st)
{
	memset(st, 0, sizeof(*st));
	st->level = SW_LEVEL_OK;
}

static uint32_t rules_sat_inc(uint32_t v)
{
	return v == UINT32_MAX ? v : v + 1;
}

/* An entry went out at now: the next one's peak starts afresh. */
static void rules_entry_made(struct sw_rule_state *st, uint64_t now_usec)
{
	st->last_entry_usec = now_usec;
	st->has_peak = false;
	st->peak_percent = 0;
}

static bool rules_realert_due(const struct sw_rule_state *st, uint64_t realert_usec,
			      uint64_t now_usec)
{
	/* A clock that went backwards (it should not: callers pass monotonic
	 * time) waits rather than firing at once. */
	return realert_usec > 0 && now_usec >= st->last_entry_usec &&
	       now_usec - st->last_entry_usec >= realert_usec;
}

enum sw_rule_action rules_step(struct sw_rule_state *st, double percent,
			       const struct sw_thresholds *th, unsigned sustain,
			       uint64_t realert_usec, uint64_t now_usec,
			       struct sw_rule_out *ret)
{
	struct sw_rule_out out = { .action = SW_RULE_NONE, .level = st->level };
	bool at_warn = percent >= th->warn;
	bool at_crit = percent >= th->critical;

	if (sustain == 0)
		sustain = 1;
	st->samples++;
	if (!st->has_peak || percent > st->peak_percent) {
		st->peak_percent = percent;
		st->has_peak = true;
	}
	st->n_warn = at_warn ? rules_sat_inc(st->n_warn) : 0;
	st->n_crit = at_crit ? rules_sat_inc(st->n_crit) : 0;

	switch (st->level) {
	case SW_LEVEL_OK:
		/* n_crit <= n_warn always (critical >= warn), so test critical
		 * first: a sustained critical run raises critical directly. */
		if (st->n_crit >= sustain) {
			out.action = SW_RULE_RAISE_CRITICAL;
			out.level = SW_LEVEL_CRITICAL;
		} else if (st->n_warn >= sustain) {
			out.action = SW_RULE_RAISE_WARNING;
			out.level = SW_LEVEL_WARNING;
		}
		if (out.action != SW_RULE_NONE)
			st->raised_usec = now_usec;
		break;
	case SW_LEVEL_WARNING:
		if (percent < th->clear) {
			out.action = SW_RULE_CLEARED;
		} else if (at_crit) {
			out.action = SW_RULE_RAISE_CRITICAL;
			out.level = SW_LEVEL_CRITICAL;
			out.escalated = true;
		} else if (rules_realert_due(st, realert_usec, now_usec)) {
			out.action = SW_RULE_REALERT;
		}
		break;
	case SW_LEVEL_CRITICAL:
		if (percent < th->clear)
			out.action = SW_RULE_CLEARED;
		else if (rules_realert_due(st, realert_usec, now_usec))
			out.action = SW_RULE_REALERT;
		break;
	}

	out.peak_percent = st->peak_percent;
	switch (out.action) {
	case SW_RULE_NONE:
		break;
	case SW_RULE_CLEARED:
		out.level = st->level;
		st->level = SW_LEVEL_OK;
		/* Raising again needs a full sustain run from here. */
		st->n_warn = st->n_crit = 0;
		rules_entry_made(st, now_usec);
		break;
	case SW_RULE_RAISE_WARNING:
	case SW_RULE_RAISE_CRITICAL:
	case SW_RULE_REALERT:
		st->level = out.level;
		rules_entry_made(st, now_usec);
		break;
	}
	if (ret)
		*ret = out;
	return out.action;
}

enum sw_rule_action rules_realert_now(struct sw_rule_state *st, uint64_t now_usec,
				      struct sw_rule_out *ret)
{
	struct sw_rule_out out = { .action = SW_RULE_NONE };

	if (st->level != SW_LEVEL_OK) {
		out.action = SW_RULE_REALERT;
		out.level = st->level;
		out.peak_percent = st->peak_percent;
		rules_entry_made(st, now_usec);
	}
	if (ret)
		*ret = out;
	return out.action;
}

enum sw_rule_action rules_close(struct sw_rule_state *st, struct sw_rule_out *ret)
{
	struct sw_rule_out out = { .action = SW_RULE_NONE, .level = SW_LEVEL_OK };

	if (st->level != SW_LEVEL_OK) {
		out.action = SW_RULE_CLEARED;
		out.level = st->level;
		out.peak_percent = st->peak_percent;
	}
	rules_state_init(st);
	if (ret)
		*ret = out;
	return out.action;
}

const char *rules_action_name(enum sw_rule_action a)
{
	switch (a) {
	case SW_RULE_NONE:           return "none";
	case SW_RULE_RAISE_WARNING:  return "raise-warning";
	case SW_RULE_RAISE_CRITICAL: return "raise-critical";
	case SW_RULE_REALERT:        return "realert";
	case SW_RULE_CLEARED:        return "cleared";
	}
	return "unknown";
}

static bool rules_interval_passed(bool has_entry, uint64_t last_usec,
				  uint64_t interval_usec, uint64_t now_usec)
{
	return !has_entry || now_usec < last_usec || now_usec - last_usec >= interval_usec;
}

static uint64_t rules_sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t rules_drops_step(struct sw_drops_rule *st, uint64_t delta,
			  uint64_t interval_usec, uint64_t now_usec)
{
	uint64_t n;

	st->unreported = rules_sat_add(st->unreported, delta);
	if (st->unreported == 0 ||
	    !rules_interval_passed(st->has_entry, st->last_entry_usec, interval_usec, now_usec))
		return 0;
	n = st->unreported;
	st->unreported = 0;
	st->last_entry_usec = now_usec;
	st->has_entry = true;
	st->entries++;
	return n;
}

uint64_t rules_drops_flush(struct sw_drops_rule *st, uint64_t now_usec)
{
	uint64_t n = st->unreported;

	if (n == 0)
		return 0;
	st->unreported = 0;
	st->last_entry_usec = now_usec;
	st->has_entry = true;
	st->entries++;
	return n;
}

static bool rules_moved(const uint64_t delta[_SW_CTR_MAX], uint32_t known, enum sw_counter c)
{
	return (known & (1u << c)) && delta[c] > 0;
}

bool rules_ns_step(struct sw_ns_rule *st, const uint64_t delta[_SW_CTR_MAX],
		   uint32_t known, bool cookies_always, uint64_t listener_drops,
		   uint64_t interval_usec, uint64_t now_usec,
		   struct sw_ns_rule_out *ret)
{
	uint64_t lo = (known & (1u << SW_CTR_LISTEN_OVERFLOWS)) ? delta[SW_CTR_LISTEN_OVERFLOWS] : 0;
	uint64_t paid = SW_MIN(st->overflow_debt, listener_drops), unexplained;
	bool now_qualifies, qualifies;

	/* The counters are read right after the listener dump, so a drop
	 * between a listener's sample and that read is in this poll's
	 * ListenOverflows but only in the next poll's listener drops. What
	 * this poll's drops do not explain is held as a debt: it is
	 * unexplained only if the next poll's drops do not pay it either. */
	unexplained = st->overflow_debt - paid;
	listener_drops -= paid;
	st->overflow_debt = lo > listener_drops ? lo - listener_drops : 0;

	now_qualifies = (!cookies_always && (rules_moved(delta, known, SW_CTR_SYNCOOKIES_SENT) ||
					      rules_moved(delta, known, SW_CTR_REQQ_FULL_COOKIES))) ||
			rules_moved(delta, known, SW_CTR_REQQ_FULL_DROP);
	qualifies = now_qualifies || unexplained > 0;
	if (qualifies) {
		for (int c = 0; c < _SW_CTR_MAX; c++) {
			uint64_t d = (known & (1u << c)) ? delta[c] : 0;

			/* An unpaid debt's entry carries the poll it came from. */
			if (unexplained > 0)
				d = rules_sat_add(d, st->held[c]);
			st->pending[c] = rules_sat_add(st->pending[c], d);
		}
		st->pending_any = true;
		if (rules_moved(delta, known, SW_CTR_REQQ_FULL_DROP))
			st->pending_critical = true;
	}
	/* This poll's figures wait with its debt, unless they are pending
	 * already. */
	for (int c = 0; c < _SW_CTR_MAX; c++)
		st->held[c] = st->overflow_debt && !qualifies && (known & (1u << c)) ? delta[c] : 0;
	if (!st->pending_any ||
	    !rules_interval_passed(st->has_entry, st->last_entry_usec, interval_usec, now_usec))
		return false;

	if (ret) {
		ret->level = st->pending_critical ? SW_LEVEL_CRITICAL : SW_LEVEL_WARNING;
		memcpy(ret->counter_delta, st->pending, sizeof(ret->counter_delta));
	}
	memset(st->pending, 0, sizeof(st->pending));
	st->pending_any = false;
	st->pending_critical = false;
	st->last_entry_usec = now_usec;
	st->has_entry = true;
	st->entries++;
	return true;
}
