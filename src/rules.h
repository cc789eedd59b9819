/* Pure alert state machine: no I/O, no clock (time is always an argument).
 * The tracker feeds it one sample per queue per poll and turns what it
 * returns into journal events (DESIGN.md "Journal entries"). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "kernel.h"
#include "macro.h"

/* Minimum spacing of listen-drops entries per listener and of syncookies
 * entries per namespace. Drops seen in between are carried to the next entry,
 * never lost. A constant for now; a config key can replace it later. */
#define SW_RULES_DROPS_INTERVAL_USEC (60 * USEC_PER_SEC)

/* Percentages of the queue's limit: where the queue-depth rule raises a
 * warning, a critical alert, and where it clears ([alerts] and [listener]
 * in the config). */
struct sw_thresholds {
	double warn;        /* default 80 */
	double critical;    /* default 95 */
	double clear;       /* default 60 */
};

/* ---- Queue-depth rule (one per queue of a listener) ------------------------
 *
 * - A level is raised after `sustain` consecutive samples at or above it.
 *   From OK, a run that satisfies sustain at critical raises critical
 *   directly (one entry, not warning then critical).
 * - While warning is raised, a single sample at or above critical escalates
 *   to critical at once: the sustain delay protects against flapping into an
 *   alert, not against an alert getting worse.
 * - A raised level stays raised until a sample falls below `clear`
 *   (hysteresis); that sample gives one "cleared" entry.
 * - No downgrade entry from critical to warning: once critical, the alert
 *   stays critical until cleared. A queue oscillating around the critical
 *   threshold would otherwise write an entry per crossing, and the operator
 *   acts on "it got that bad" anyway.
 * - While raised, a re-alert every realert_usec (0 = never) carries the
 *   current figures.
 */

enum sw_rule_action {
	SW_RULE_NONE,
	SW_RULE_RAISE_WARNING,
	SW_RULE_RAISE_CRITICAL,     /* from OK, or escalated from warning */
	SW_RULE_REALERT,
	SW_RULE_CLEARED,
};

/* Zero-initialised (or rules_state_init) means OK with no history. */
struct sw_rule_state {
	enum sw_level level;        /* raised level, SW_LEVEL_OK when none */
	uint32_t n_warn;            /* consecutive samples >= warn (saturating) */
	uint32_t n_crit;            /* consecutive samples >= critical (saturating) */
	uint64_t raised_usec;       /* when the open alert was first raised */
	uint64_t last_entry_usec;   /* last raise, escalation or re-alert */
	double peak_percent;        /* highest sample since the last entry */
	bool has_peak;              /* peak_percent holds a sample */
	uint64_t samples;           /* samples stepped in all */
};

struct sw_rule_out {
	enum sw_rule_action action;
	/* Raise/re-alert: the level now raised. Cleared: the level that cleared. */
	enum sw_level level;
	/* Highest sample since the previous entry, this one included. */
	double peak_percent;
	bool escalated;             /* RAISE_CRITICAL while warning was raised */
};

void rules_state_init(struct sw_rule_state *st);

/* One sample of one queue. sustain 0 counts as 1. Fills *ret (may be NULL)
 * and returns its action. */
enum sw_rule_action rules_step(struct sw_rule_state *st, double percent,
			       const struct sw_thresholds *th, unsigned sustain,
			       uint64_t realert_usec, uint64_t now_usec,
			       struct sw_rule_out *ret);

/* Whether rules_step() with this sample would only count it (samples + 1,
 * nothing else, SW_RULE_NONE): no alert open, no run at warn or critical
 * in progress, the sample below both and not above the peak already held
 * (so whatever sustain and realert say). The tracker's fast path asks this
 * and then calls rules_step_idle() instead of rules_step(). */
static inline bool rules_step_would_idle(const struct sw_rule_state *st, double percent,
					 const struct sw_thresholds *th)
{
	/* The state rules_step leaves after a sample below warn and critical
	 * while OK, with that sample (or a higher one) as the peak: stepping
	 * an equal or lower one again finds nothing to raise, reset or keep. */
	return st->level == SW_LEVEL_OK && st->n_warn == 0 && st->n_crit == 0 && st->has_peak &&
	       !(percent > st->peak_percent) && percent < th->warn && percent < th->critical;
}

/* The one change rules_step() makes to an idle state (above). */
static inline void rules_step_idle(struct sw_rule_state *st)
{
	st->samples++;
}

/* Something worse than the open alert's figures say happened (a UNIX
 * queue at critical became full: clients now fail): a re-alert now, with
 * the level raised, whatever realert says; SW_RULE_NONE when no alert is
 * open. Fills *ret (may be NULL). */
enum sw_rule_action rules_realert_now(struct sw_rule_state *st, uint64_t now_usec,
				      struct sw_rule_out *ret);

/* The queue no longer exists or its rule no longer applies (listener gone,
 * SYN queue under cookies-always): a raised level gives SW_RULE_CLEARED with
 * the level that was raised; the state is reset either way. */
enum sw_rule_action rules_close(struct sw_rule_state *st, struct sw_rule_out *ret);

const char *rules_action_name(enum sw_rule_action a);

/* ---- Listener drops rule ----------------------------------------------------
 *
 * Every drop is reported: the first movement gives an entry at once (if no
 * entry for this listener in the last interval), later ones accumulate and
 * go out at most once per interval; when drops stop, the first step after
 * the interval flushes what is left.
 */
struct sw_drops_rule {
	uint64_t unreported;        /* drops not yet carried by an entry */
	uint64_t last_entry_usec;
	bool has_entry;             /* last_entry_usec is meaningful */
	uint64_t entries;           /* entries emitted in all */
};

/* Adds this poll's delta. Returns the drops the entry due now must carry,
 * or 0 when no entry is due. */
uint64_t rules_drops_step(struct sw_drops_rule *st, uint64_t delta,
			  uint64_t interval_usec, uint64_t now_usec);

/* Whether rules_drops_step() with this delta would change nothing and
 * return 0: no drops now and none waiting. */
static inline bool rules_drops_would_idle(const struct sw_drops_rule *st, uint64_t delta)
{
	return delta == 0 && st->unreported == 0;
}

/* Last chance (listener vanishing): returns everything unreported, interval
 * or not; 0 when nothing is pending. */
uint64_t rules_drops_flush(struct sw_drops_rule *st, uint64_t now_usec);

/* ---- Namespace counters rule ("syncookies" entries) -------------------------
 *
 * A poll qualifies when SyncookiesSent, TCPReqQFullDoCookies or
 * TCPReqQFullDrop moved (no listener-level alert names them), or when
 * ListenOverflows moved by more than the tracked listeners' drops deltas
 * explain. The deltas of every qualifying poll accumulate; an entry goes out
 * at once if none was sent in the last interval, else when the interval has
 * passed (also on a quiet poll: nothing is lost). Level critical when
 * TCPReqQFullDrop moved (SYNs dropped, connections lost), else warning.
 * Under net.ipv4.tcp_syncookies = 2 (cookies_always) the kernel answers
 * every SYN with a cookie and counts SyncookiesSent and
 * TCPReqQFullDoCookies for each: they say nothing of overflow and qualify
 * no poll (an entry for another reason still carries them).
 */
struct sw_ns_rule {
	uint64_t pending[_SW_CTR_MAX];  /* accumulated deltas of qualifying polls */
	bool pending_any;
	bool pending_critical;
	uint64_t last_entry_usec;
	bool has_entry;
	uint64_t entries;
	/* ListenOverflows of the last poll that its listener drops did not
	 * explain, and that poll's deltas, waiting for the next poll's drops. */
	uint64_t overflow_debt;
	uint64_t held[_SW_CTR_MAX];
};

struct sw_ns_rule_out {
	enum sw_level level;
	uint64_t counter_delta[_SW_CTR_MAX];
};

/* delta[c] is meaningful only where bit (1u << c) of known is set.
 * listener_drops: sum of the tracked listeners' drops deltas this poll.
 * Returns true when an entry is due now (then *ret is filled). */
bool rules_ns_step(struct sw_ns_rule *st, const uint64_t delta[_SW_CTR_MAX],
		   uint32_t known, bool cookies_always, uint64_t listener_drops,
		   uint64_t interval_usec, uint64_t now_usec,
		   struct sw_ns_rule_out *ret);
