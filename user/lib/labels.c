// SPDX-License-Identifier: GPL-2.0
/*
 * Node labels and the selectors of functions and routes (kfaas_conf.h):
 * a node declares KEY=VALUE pairs (kfaasd --label), a selector lists
 * pairs that must all be among them.  The characters allowed are those
 * of Kubernetes labels, so that a label never needs quoting anywhere.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <kfaas_conf.h>
#include "internal.h"

static bool label_chars(const char *s, bool slash)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' &&
		    *s != '-' && !(slash && *s == '/'))
			return false;
	return true;
}

int kfaas_labels_set(struct kfaas_labels *ls, const char *key, const char *value)
{
	unsigned int i;

	if (!*key || strlen(key) >= KFAAS_LABEL_LEN || !label_chars(key, true))
		return kfaas_err(-EINVAL, "bad label key '%s': 1 to %d letters, "
				 "digits, '.', '_', '-' or '/'", key,
				 KFAAS_LABEL_LEN - 1);
	if (strlen(value) >= KFAAS_LABEL_LEN || !label_chars(value, false))
		return kfaas_err(-EINVAL, "bad value '%s' of label '%s': up to %d "
				 "letters, digits, '.', '_' or '-'", value, key,
				 KFAAS_LABEL_LEN - 1);
	for (i = 0; i < ls->n && strcmp(ls->l[i].key, key); i++)
		;
	if (i == KFAAS_LABELS_MAX)
		return kfaas_err(-E2BIG, "more than %d labels", KFAAS_LABELS_MAX);
	if (i == ls->n)
		ls->n++;
	strcpy(ls->l[i].key, key);
	strcpy(ls->l[i].value, value);
	return 0;
}

int kfaas_labels_parse(struct kfaas_labels *ls, const char *kv)
{
	char key[KFAAS_LABEL_LEN];
	const char *eq = strchr(kv, '=');

	if (!eq || (size_t)(eq - kv) >= sizeof(key))
		return kfaas_err(-EINVAL, "bad label '%s': write KEY=VALUE", kv);
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	return kfaas_labels_set(ls, key, eq + 1);
}

static const char *label_get(const struct kfaas_labels *ls, const char *key)
{
	unsigned int i;

	for (i = 0; ls && i < ls->n; i++)
		if (!strcmp(ls->l[i].key, key))
			return ls->l[i].value;
	return NULL;
}

bool kfaas_labels_match(const struct kfaas_labels *sel,
			const struct kfaas_labels *labels)
{
	unsigned int i;

	for (i = 0; sel && i < sel->n; i++) {
		const char *v = label_get(labels, sel->l[i].key);

		if (!v || strcmp(v, sel->l[i].value))
			return false;
	}
	return true;
}

bool kfaas_labels_equal(const struct kfaas_labels *a, const struct kfaas_labels *b)
{
	unsigned int na = a ? a->n : 0, nb = b ? b->n : 0;

	return na == nb && kfaas_labels_match(a, b);
}
