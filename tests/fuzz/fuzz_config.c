/*
 * libFuzzer target for configuration loading: the input is a YAML file,
 * given to both loaders, cfg_load() (the daemon's configuration,
 * docs/config.md) and sas_file_load() (the offline tool's SA files,
 * docs/sas-file.md).  Whatever they load is checked for the invariants the
 * callers rely on and freed, so LeakSanitizer sees every allocation of a
 * refused file and of an accepted one.
 *
 * The loaders take a path: the input goes into a memfd, read through
 * /proc/self/fd/N (each open starts at offset 0).  Messages go through the
 * real driver/log.c, so each is formatted (a bad format argument is seen),
 * to a handler that drops them.
 *
 * psk_file names a file the loader opens: fuzzed paths must not open a
 * terminal, a FIFO or /proc/kmsg and block.  open() of the code under test
 * is wrapped (-Wl,--wrap=open): paths under /dev/ and /proc/ are refused
 * with EACCES, except /dev/null, /dev/zero and our own memfd.  Host names
 * in local_addrs and remote_addrs are looked up at load: getaddrinfo() is
 * wrapped too (-Wl,--wrap=getaddrinfo), so that a fuzzed name never goes
 * to a resolver: "localhost" is 127.0.0.1, anything else unknown.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ipsecfx/engine.h>
#include <ipsecfx/log.h>

#include "config/config.h"
#include "config/sas_file.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __real_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);

static int memfd = -1;
static char path[64];

int __wrap_open(const char *file, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if ((strncmp(file, "/dev/", 5) == 0 || strncmp(file, "/proc/", 6) == 0) &&
	    strcmp(file, "/dev/null") != 0 && strcmp(file, "/dev/zero") != 0 &&
	    strcmp(file, path) != 0) {
		errno = EACCES;
		return -1;
	}
	return __real_open(file, flags, mode);
}

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res)
{
	/* numeric only: the real one then answers without a resolver */
	struct addrinfo h = *hints;

	if (!node || strcmp(node, "localhost") != 0)
		return EAI_NONAME;
	h.ai_flags |= AI_NUMERICHOST;
	return __real_getaddrinfo("127.0.0.1", service, &h, res);
}

static void drop(int level, const char *msg, void *arg)
{
	(void)level;
	(void)arg;
	/* touch the whole message: it must be a terminated string */
	if (strlen(msg) > 1023)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memfd = memfd_create("fuzz_config", MFD_CLOEXEC);
	if (memfd < 0) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	/* every level, so every message is formatted; FUZZ_CONFIG_VERBOSE=1
	 * prints them (to see why a seed is refused) */
	ipx_log_set_level(IPX_LOG_DEBUG);
	if (!getenv("FUZZ_CONFIG_VERBOSE"))
		ipx_log_set_handler(drop, NULL);
	return 0;
}

static void check_cfg(const struct cfg *c)
{
	if (!c->conns)
		abort();  /* always allocated, even for none */
	for (unsigned i = 0; i < c->n_conns; i++) {
		const struct cfg_conn *cn = &c->conns[i];

		if (!cn->name[0] || cfg_conn_find(c, cn->name) != cn)
			abort();  /* names are unique and found */
		if (!cn->n_ike || !cn->ike || !cn->psk)
			abort();
		if (cn->start_action != CFG_START_NONE && !cn->n_remote_addrs)
			abort();
		for (unsigned k = 0; k < cn->n_children; k++) {
			const struct cfg_child *ch = &cn->children[k];
			char buf[128];

			if (!ch->n_esp || !ch->esp ||
			    (ch->replay_window &&
			     (ch->replay_window < IPX_REPLAY_WINDOW_MIN ||
			      ch->replay_window > IPX_REPLAY_WINDOW_MAX)))
				abort();
			for (unsigned t = 0; t < ch->n_local_ts; t++)
				if (ch->local_ts[t].type)
					ike_ts_str(&ch->local_ts[t], buf, sizeof(buf));
			for (unsigned t = 0; t < ch->n_remote_ts; t++)
				if (ch->remote_ts[t].type)
					ike_ts_str(&ch->remote_ts[t], buf, sizeof(buf));
		}
	}
	if (c->tun_mtu < 576 || c->tun_mtu > IPX_MAX_PKT_LEN ||
	    c->ike_port == c->natt_port)
		abort();
}

/* What an accepted SA file gives is what an engine takes. */
static void check_sas(const struct sas_set *s)
{
	if (!s->n || !s->v)
		abort();
	for (unsigned i = 0; i < s->n; i++) {
		const struct ipx_sa_params *p = &s->v[i];
		const struct ipx_cipher_info *ci = ipx_cipher_info(p->cipher);

		if (!ci || p->key_len != ci->key_len ||
		    p->integ_key_len != ci->integ_len || !p->spi ||
		    (p->mode == IPX_MODE_TUNNEL &&
		     (!p->src.family || p->src.family != p->dst.family)) ||
		    (p->replay_window &&
		     (p->replay_window < IPX_REPLAY_WINDOW_MIN ||
		      p->replay_window > IPX_REPLAY_WINDOW_MAX)) ||
		    (!p->esn && p->seq > UINT32_MAX) || !p->seq)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sas_set sas;
	struct cfg *c = NULL;

	if (ftruncate(memfd, 0) ||
	    (size && pwrite(memfd, data, size, 0) != (ssize_t)size))
		abort();
	if (cfg_load(path, &c) == 0) {
		if (!c)
			abort();
		check_cfg(c);
		cfg_free(c);
	} else if (c) {
		abort();  /* *out is only set on success */
	}
	if (sas_file_load(path, &sas) == 0) {
		check_sas(&sas);
		sas_set_free(&sas);
	} else if (sas.v || sas.n) {
		abort();
	}
	return 0;
}
