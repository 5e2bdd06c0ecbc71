/* SA files for the offline tool (ipsecfx esp ...): docs/sas-file.md. */
#ifndef IPSECFX_SAS_FILE_H
#define IPSECFX_SAS_FILE_H

#include <ipsecfx/engine.h>

struct sas_set {
	struct ipx_sa_params *v;   /* dir is left to the caller */
	unsigned n;
};

/* Load and validate every SA of the file.  0, or -EINVAL with every error
 * logged as "FILE:LINE: KEY: message". */
int sas_file_load(const char *file, struct sas_set *out);
/* Wipe the keys and free. */
void sas_set_free(struct sas_set *s);

#endif
