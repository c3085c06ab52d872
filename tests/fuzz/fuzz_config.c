// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the configuration parser (kfaas.conf(5), libyaml).
 * Whatever it accepts must survive a round trip: emitted and parsed
 * again, it is the same configuration.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kfaas_conf.h>

static int same(const struct kfaas_conf *a, const struct kfaas_conf *b)
{
	size_t i;

	if (a->nfns != b->nfns || a->nroutes != b->nroutes)
		return 0;
	for (i = 0; i < a->nfns; i++)
		if (strcmp(a->fns[i].name, b->fns[i].name) ||
		    a->fns[i].tier != b->fns[i].tier ||
		    strcmp(a->fns[i].source, b->fns[i].source) ||
		    memcmp(&a->fns[i].vm, &b->fns[i].vm, sizeof(a->fns[i].vm)) ||
		    a->fns[i].budget.set != b->fns[i].budget.set ||
		    memcmp(&a->fns[i].budget.l, &b->fns[i].budget.l,
			   sizeof(a->fns[i].budget.l)))
			return 0;
	for (i = 0; i < a->nroutes; i++)
		if (memcmp(&a->routes[i].key, &b->routes[i].key,
			   sizeof(a->routes[i].key)) ||
		    strcmp(a->routes[i].fn, b->routes[i].fn) ||
		    strcmp(a->routes[i].fallback, b->routes[i].fallback) ||
		    a->routes[i].policy != b->routes[i].policy)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kfaas_conf c, again;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (kfaas_conf_parse((const char *)data, size, "fuzz", &c))
		return 0;
	f = open_memstream(&text, &len);
	if (!f || kfaas_conf_emit(f, &c))
		abort();
	fclose(f);
	if (kfaas_conf_parse(text, len, "again", &again))
		abort();
	if (!same(&c, &again))
		abort();
	kfaas_conf_free(&again);
	kfaas_conf_free(&c);
	free(text);
	return 0;
}
