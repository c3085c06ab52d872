/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfaasd's control protocol (one JSON object per line each way), both
 * ends: the requests the client builds and the daemon parses, the answers
 * the daemon builds and the client parses.  Pure functions over strings
 * and json-c objects, so the fuzz target (tests/fuzz/fuzz_control.c) runs
 * them without a daemon or a socket.  The transport is user/lib/daemon.c
 * (client) and user/kfaasd/control.c (daemon).
 */
#ifndef KFAAS_CTLPROTO_H
#define KFAAS_CTLPROTO_H

#include <stddef.h>
#include <json-c/json.h>
#include <libkfaas.h>

enum kfaas_ctl_cmd {
	KFAAS_CTL_PING,
	KFAAS_CTL_STATUS,
	KFAAS_CTL_RELOAD,
	KFAAS_CTL_CREATE,
	KFAAS_CTL_UNLOAD,
	KFAAS_CTL_INVOKE,
	KFAAS_CTL_SHOW,		/* a function's lifecycle: histogram, decision */
	KFAAS_CTL_COST,		/* what every function cost (kfaas cost) */
	KFAAS_CTL_WAIT,		/* until a registered function can serve */
	KFAAS_CTL_MAX,
};

/* A parsed request; name and exec point into obj. */
struct kfaas_ctl_req {
	int			cmd;		/* enum kfaas_ctl_cmd */
	json_object		*obj;
	const char		*name;		/* create, unload, invoke, show */
	const char		*exec;		/* create */
	struct kfaas_vm_params	params;		/* create (defaults filled) */
	char			*data;		/* invoke: decoded, malloc()ed */
	size_t			len;
	__u64			since;		/* cost: epoch seconds, 0: all */
	__u64			load_time;	/* wait: the registry's */
};

/*
 * Parse one request line (NUL-terminated, without its newline).  0, or
 * -EINVAL / -E2BIG (invoke data over max_data) / -ENOMEM with why set to
 * one line saying what to send instead.  Free with kfaas_ctl_req_free()
 * in every case.
 */
int kfaas_ctl_parse(const char *line, size_t max_data, struct kfaas_ctl_req *r,
		    char *why, size_t wlen);
void kfaas_ctl_req_free(struct kfaas_ctl_req *r);
const char *kfaas_ctl_cmd_name(int cmd);

/* Requests (the client side); NULL when out of memory. */
json_object *kfaas_ctl_req_new(int cmd, const char *name);
json_object *kfaas_ctl_req_create(const char *name, const char *exe,
				  const struct kfaas_vm_params *p);
json_object *kfaas_ctl_req_invoke(const char *name, const void *data,
				  size_t len);
/* kfaas apply's second phase: answer once kfaasd serves the function
 * registered with this load time (min-warm VMs ready), or why it cannot. */
json_object *kfaas_ctl_req_wait(const char *name, __u64 load_time);

/*
 * One answer line (NUL-terminated).  0 when "ok" is true; else a negative
 * errno with the daemon's "error" in kfaas_errmsg().  *resp is set when
 * the line is a JSON object (free it), NULL otherwise (-EPROTO).
 */
int kfaas_ctl_answer(const char *line, json_object **resp);
/* The function a create answer describes (p: what was asked for). */
void kfaas_ctl_create_result(json_object *resp, const struct kfaas_vm_params *p,
			     struct kfaas_fn_info *out, __u64 *ready_ms);
/* The fields of an invoke answer; -EPROTO when they are malformed. */
int kfaas_ctl_invoke_result(json_object *resp, struct kfaas_vm_result *r);

#endif
