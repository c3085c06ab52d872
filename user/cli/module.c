// SPDX-License-Identifier: GPL-2.0
/* kfaas module { status | load [--ko FILE] | unload | help } */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char *obj_name = "module";

static int do_status(int argc, char **argv)
{
	struct kfaas_module_status s;
	int rc;

	if (argc)
		return p_err("unexpected argument '%s': usage: %s module status",
			     argv[0], bin_name);
	rc = kfaas_module_status(&s);
	if (rc && s.loaded && !s.device)
		return p_lib_err();
	if (json_output) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "loaded", json_object_new_boolean(s.loaded));
		json_object_object_add(o, "kfuncs", json_object_new_boolean(s.btf));
		json_object_object_add(o, "device", json_object_new_boolean(s.device));
		json_object_object_add(o, "accounting", json_object_new_string(
			s.btf ? "module" : "maps"));
		if (s.loaded) {
			json_object_object_add(o, "refcnt", json_object_new_int(s.refcnt));
			json_object_object_add(o, "srcversion",
					       json_object_new_string(s.srcversion));
		}
		if (s.device) {
			json_object_object_add(o, "abi_version",
				json_object_new_int64(s.version.abi_version));
			json_object_object_add(o, "max_funcs",
				json_object_new_int64(s.version.max_funcs));
			json_object_object_add(o, "functions",
				json_object_new_int64(s.version.nr_funcs));
		}
		json_print(o);
		return 0;
	}
	if (!s.loaded) {
		printf("kfaas.ko: not loaded (accounting in BPF maps, no budgets)\n");
		return 0;
	}
	printf("kfaas.ko: loaded (srcversion %s)\n", s.srcversion);
	printf("kfuncs: %s\n", s.btf ? "yes" : "no (module without BTF)");
	printf("accounting: %s\n", s.btf ? "module" : "maps");
	printf("references: %d (programs using the kfuncs, open devices)\n",
	       s.refcnt);
	if (s.device)
		printf("ioctl ABI: %u, functions: %u of %u\n",
		       s.version.abi_version, s.version.nr_funcs,
		       s.version.max_funcs - 1);
	return 0;
}

static int do_load(int argc, char **argv)
{
	const char *ko = NULL;

	while (argc > 0) {
		if (!strcmp(argv[0], "--ko") && argc > 1) {
			ko = argv[1];
			argc -= 2, argv += 2;
		} else if (!strncmp(argv[0], "--ko=", 5)) {
			ko = argv[0] + 5;
			argc--, argv++;
		} else {
			return p_err("unexpected argument '%s': usage: %s module "
				     "load [--ko FILE]", argv[0], bin_name);
		}
	}
	if (kfaas_module_load(ko, kfaas_pin_root(pin_root_opt)))
		return p_lib_err();
	if (json_output)
		json_print_ok();
	else
		printf("kfaas.ko loaded: functions of %s account in it\n",
		       kfaas_pin_root(pin_root_opt));
	return 0;
}

static int do_unload(int argc, char **argv)
{
	if (argc)
		return p_err("unexpected argument '%s': usage: %s module unload",
			     argv[0], bin_name);
	if (kfaas_module_unload(kfaas_pin_root(pin_root_opt)))
		return p_lib_err();
	if (json_output)
		json_print_ok();
	else
		printf("kfaas.ko unloaded: accounting back in BPF maps\n");
	return 0;
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (help_json())
		return 0;
	fprintf(stderr,
		"Usage: %s module status\n"
		"       %s module load [--ko FILE]\n"
		"       %s module unload\n"
		"       %s module help\n"
		"\n"
		"kfaas.ko accounts every function and enforces budgets\n"
		"('%s budget').  load inserts it (FILE, else $%s, else\n"
		"'modprobe kfaas', else the build's kfaas.ko), registers every\n"
		"function of the pin root with its budget and reloads the\n"
		"dispatcher and the eBPF functions to use it; unload reverses\n"
		"that and removes the module.\n",
		bin_name, bin_name, bin_name, bin_name, bin_name, KFAAS_KO_ENV);
	return 0;
}

static const struct cmd cmds[] = {
	{ "status",	do_status },
	{ "load",	do_load },
	{ "unload",	do_unload },
	{ "help",	do_help },
	{ NULL, NULL },
};

int do_module(int argc, char **argv)
{
	(void)obj_name;
	return cmd_select(cmds, argc, argv, do_status);
}
