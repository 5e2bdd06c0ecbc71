/* Subcommands of the ipsecfx command. */
#ifndef IPSECFX_CMD_H
#define IPSECFX_CMD_H

int cmd_esp(int argc, char **argv);
/* list-sas, list-certs, initiate, terminate, reload, stats, export-keys */
int cmd_ctl(int argc, char **argv);
/* import-swanctl FILE [--secrets FILE] [-o OUT] (cmd_import.c) */
int cmd_import(int argc, char **argv);

#endif
