// SPDX-License-Identifier: GPL-2.0
/*
 * Under a memory cap, which holding to step down first: the one whose
 * memory buys the least, in the greedy-dual-size-frequency sense of
 * FaaSCache (Fuerst & Sharma, ASPLOS'21):
 *   priority = clock + frequency * latency saved / MiB
 * set when the function is used; the lowest goes first and the clock
 * rises to it, so what was valuable long ago ages out.
 */
#include "kfaas_lifecycle.h"

double kfaas_lc_priority(const struct kfaas_lc_cache *c, double freq,
			 double saved_ms, double mib)
{
	if (mib <= 0)
		mib = 1;	/* a holding of no memory: only its value counts */
	return c->clock + freq * saved_ms / mib;
}

long kfaas_lc_evict_pick(struct kfaas_lc_cache *c, const struct kfaas_lc_item *items,
			 size_t n)
{
	long best = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct kfaas_lc_item *it = &items[i];

		if (it->busy || it->temp == KFAAS_LC_COLD)
			continue;
		if (best < 0 || it->priority < items[best].priority ||
		    (it->priority == items[best].priority && it->id < items[best].id))
			best = (long)i;
	}
	if (best >= 0 && items[best].priority > c->clock)
		c->clock = items[best].priority;
	return best;
}
