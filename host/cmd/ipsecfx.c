/*
 * ipsecfx: the operator's command.  Offline ESP over pcap files today; the
 * daemon's control commands (list-sas, initiate, ...) join here.
 */
#include <stdio.h>
#include <string.h>

#include <ipsecfx/engine.h>

#include "cmd.h"

#ifndef IPSECFX_VERSION
#define IPSECFX_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ipsecfx <command> [options]\n"
		"\n"
		"commands:\n"
		"  list-sas [NAME] [--json] [--conn NAME] [--limit N] [--offset K]\n"
		"                              the daemon's IKE and Child SAs, newest first\n"
		"  list-conns [NAME] [--json]  the connections loaded, and their SAs up\n"
		"  list-certs [--json]         certificates loaded (ours, trust anchors, CRLs)\n"
		"                              and fetched (the Hash and URL cache)\n"
		"  initiate CONN [--child NAME] [--wait SECONDS | --no-wait]\n"
		"                              set up a connection and wait for it (30 s by\n"
		"                              default), showing its log lines\n"
		"  terminate CONN\n"
		"  rekey CONN [--child NAME | --ike | --reauth]\n"
		"                              rekey now (all Child SAs by default)\n"
		"  reload                      re-read the configuration file\n"
		"  stats                       IKE, data plane and engine counters (JSON)\n"
		"  engine [--json]             the ESP engine: card health, faults, where each SA runs\n"
		"  engine move soft|card [--sa SPI]\n"
		"                              move SAs between the card and software\n"
		"  engine fault stall|dma|reset\n"
		"                              make the card fail (needs engine_fault_injection)\n"
		"  export-keys --wireshark DIR write Wireshark's esp_sa and\n"
		"                              ikev2_decryption_table (needs key_export: true)\n"
		"  esp encrypt|decrypt --sa FILE [--engine NAME] [--json] IN.pcap OUT.pcap\n"
		"                 run an ESP engine over a pcap file (docs/ipsecfx-esp.md)\n"
		"  import-swanctl FILE [--secrets FILE] [-o OUT]\n"
		"                 a swanctl.conf as ipsecfx.yaml; what cannot be carried over\n"
		"                 is named on stderr (docs/operations.md)\n"
		"  engines        list the ESP engine backends in this build\n"
		"  version        print the version\n"
		"\n"
		"Daemon commands take --json and find the daemon's socket by --socket PATH,\n"
		"else $IPSECFX_SOCKET, else control: in --config FILE (default\n"
		"/etc/ipsecfx/ipsecfx.yaml), else /run/ipsecfx/ipsecfx.sock; options go\n"
		"before or after the command.\n");
}

/* Options of the daemon commands given before the command ("ipsecfx
 * --socket P list-sas"): moved behind it, where the command's getopt reads
 * them.  Returns the index of the command in argv, 0 when there is none. */
static int command_first(int argc, char **argv)
{
	int i = 1, k;

	while (i < argc && argv[i][0] == '-' && strcmp(argv[i], "-h") &&
	       strcmp(argv[i], "--help") && strcmp(argv[i], "--version")) {
		/* the options that take a value */
		if ((!strcmp(argv[i], "--socket") || !strcmp(argv[i], "-s") ||
		     !strcmp(argv[i], "--config") || !strcmp(argv[i], "-C")) && i + 1 < argc)
			i++;
		i++;
	}
	if (i == 1 || i >= argc)
		return i == 1 ? 1 : 0;
	/* rotate argv[1..i) behind the rest */
	for (k = 1; k < i; k++) {
		char *o = argv[1];

		memmove(&argv[1], &argv[2], (size_t)(argc - 2) * sizeof(*argv));
		argv[argc - 1] = o;
	}
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !command_first(argc, argv)) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "esp") == 0)
		return cmd_esp(argc - 1, argv + 1);
	if (strcmp(argv[1], "import-swanctl") == 0)
		return cmd_import(argc - 1, argv + 1);
	if (strcmp(argv[1], "list-sas") == 0 || strcmp(argv[1], "list-certs") == 0 ||
	    strcmp(argv[1], "list-conns") == 0 ||
	    strcmp(argv[1], "initiate") == 0 || strcmp(argv[1], "terminate") == 0 ||
	    strcmp(argv[1], "reload") == 0 ||
	    strcmp(argv[1], "rekey") == 0 || strcmp(argv[1], "engine") == 0 ||
	    strcmp(argv[1], "stats") == 0 || strcmp(argv[1], "export-keys") == 0)
		return cmd_ctl(argc - 1, argv + 1);
	if (strcmp(argv[1], "engines") == 0) {
		for (const char *const *b = ipx_engine_backends(); *b; b++)
			printf("%s\n", *b);
		return 0;
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("ipsecfx %s\n", IPSECFX_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "ipsecfx: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
