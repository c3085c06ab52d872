// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd client's watch (etcd.h): one POST /v3/watch whose answer is a
 * stream of JSON objects, one per line ({"result": WatchResponse}).  The
 * first says "created"; then events, progress notifications (no events:
 * everything up to the header's revision was sent), or "canceled" (with
 * compact_revision when the start revision is no longer kept).  A broken
 * stream is re-opened from the revision after the last one delivered, so
 * the callback sees each event once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "libkfaas.h"
#include "etcd_call.h"

struct wstate {
	struct etcd		*c;
	struct etcd_watch	*w;
	bool			created;
};

static void events_free(struct etcd_event *ev, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		etcd_kv_free(&ev[i].kv);
		etcd_kv_free(&ev[i].prev);
	}
	free(ev);
}

static int event_parse(json_object *o, struct etcd_event *ev)
{
	json_object *v;
	int err;

	memset(ev, 0, sizeof(*ev));
	ev->type = json_object_object_get_ex(o, "type", &v) &&
		   !strcmp(json_object_get_string(v), "DELETE") ?
		   ETCD_EV_DELETE : ETCD_EV_PUT;
	if (!json_object_object_get_ex(o, "kv", &v))
		return -EPROTO;
	err = etcd__kv_parse(v, &ev->kv);
	if (!err && json_object_object_get_ex(o, "prev_kv", &v)) {
		err = etcd__kv_parse(v, &ev->prev);
		ev->has_prev = !err;
	}
	return err;
}

/* Deliver the events of one message; next_revision follows them. */
static int deliver(struct wstate *s, json_object *a, int64_t rev)
{
	struct etcd_watch_batch b = { .revision = rev };
	struct etcd_event *ev;
	size_t i, n = json_object_array_length(a);
	int rc = 0;

	ev = calloc(n, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		rc = event_parse(json_object_array_get_idx(a, i), &ev[i]);
		if (rc) {
			events_free(ev, i + 1);
			return etcd__bad_answer(s->c, "watch", "a malformed event");
		}
	}
	b.ev = ev;
	b.n = n;
	/* before the callback: a callback that stops has had these events */
	if (n && ev[n - 1].kv.mod_rev >= s->w->next_revision)
		s->w->next_revision = ev[n - 1].kv.mod_rev + 1;
	rc = s->w->cb(&b, s->w->arg);
	events_free(ev, n);
	return rc;
}

static int canceled(struct wstate *s, json_object *r)
{
	struct etcd_watch *w = s->w;
	json_object *v;
	const char *why = "";

	w->compact_revision = etcd__i64(r, "compact_revision");
	if (w->compact_revision)
		return kfaas_err(-ESTALE, "etcd %s: watch from revision %" PRId64
				 ": compacted, history starts at %" PRId64 ": "
				 "re-read the keys, then watch from the revision "
				 "read", etcd__at(s->c), w->next_revision,
				 w->compact_revision);
	if (json_object_object_get_ex(r, "cancel_reason", &v))
		why = json_object_get_string(v);
	return kfaas_err(-ECANCELED, "etcd %s: etcd canceled the watch%s%s",
			 etcd__at(s->c), *why ? ": " : "", why);
}

static int watch_msg(json_object *m, void *arg)
{
	struct wstate *s = arg;
	struct etcd_watch *w = s->w;
	struct etcd_watch_batch b = { .progress = true };
	json_object *r, *h, *v, *a;
	int64_t rev = 0;

	if (json_object_object_get_ex(m, "error", &r))
		return etcd__error(s->c, "watch", m);
	if (!json_object_object_get_ex(m, "result", &r))
		return etcd__bad_answer(s->c, "watch", "no result");
	if (json_object_object_get_ex(r, "header", &h))
		rev = etcd__i64(h, "revision");
	if (json_object_object_get_ex(r, "canceled", &v) &&
	    json_object_get_boolean(v))
		return canceled(s, r);
	if (json_object_object_get_ex(r, "created", &v) &&
	    json_object_get_boolean(v)) {
		s->created = true;
		/* from now: every revision after the store's current one */
		if (!w->next_revision)
			w->next_revision = rev + 1;
		return 0;
	}
	if (json_object_object_get_ex(r, "events", &a) &&
	    json_object_is_type(a, json_type_array) &&
	    json_object_array_length(a))
		return deliver(s, a, rev);
	/* progress: every event up to rev has been delivered */
	if (rev >= w->next_revision)
		w->next_revision = rev + 1;
	b.revision = rev;
	return w->cb(&b, w->arg);
}

static json_object *watch_req(const struct etcd_watch *w)
{
	json_object *req = json_object_new_object(), *cr = json_object_new_object();

	if (!req || !cr || json_object_object_add(req, "create_request", cr)) {
		json_object_put(cr);
		goto fail;
	}
	if (etcd__add_key(cr, w->key, w->prefix, NULL))
		goto fail;
	if (w->next_revision && json_object_object_add(cr, "start_revision",
				json_object_new_int64(w->next_revision)))
		goto fail;
	if (w->prev_kv && json_object_object_add(cr, "prev_kv",
						 json_object_new_boolean(1)))
		goto fail;
	if (w->progress_notify && json_object_object_add(cr, "progress_notify",
							json_object_new_boolean(1)))
		goto fail;
	return req;
fail:
	json_object_put(req);
	return NULL;
}

int etcd_watch_run(struct etcd *c, struct etcd_watch *w)
{
	struct wstate s = { .c = c, .w = w };
	bool got;
	int err;

	w->next_revision = w->start_revision;
	w->compact_revision = 0;
	w->resumed = 0;
	for (;;) {
		s.created = false;
		err = etcd__stream(c, "watch", "/v3/watch", watch_req(w),
				   w->idle_timeout_ms, watch_msg, &s, &got);
		/* a stream that was set up and then broke: re-open it where it
		 * stopped (on the next endpoint when this one is gone) */
		if (err != -ECONNRESET || !s.created)
			return err;
		w->resumed++;
	}
}
