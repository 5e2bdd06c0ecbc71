/*
 * Logging shared by every layer.  The daemon routes it to syslog or stderr;
 * tests capture it.  Never pass key material to these functions.
 */
#ifndef IPSECFX_LOG_H
#define IPSECFX_LOG_H

#include <stdarg.h>

enum ipx_log_level { IPX_LOG_ERR = 0, IPX_LOG_WARN, IPX_LOG_INFO, IPX_LOG_DEBUG };

typedef void (*ipx_log_fn)(int level, const char *msg, void *arg);

void ipx_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ipx_vlog(int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Route messages to fn (NULL restores the stderr default). */
void ipx_log_set_handler(ipx_log_fn fn, void *arg);
void ipx_log_set_level(int level);
int ipx_log_get_level(void);
const char *ipx_log_level_name(int level);

#define ipx_err(...) ipx_log(IPX_LOG_ERR, __VA_ARGS__)
#define ipx_warn(...) ipx_log(IPX_LOG_WARN, __VA_ARGS__)
#define ipx_info(...) ipx_log(IPX_LOG_INFO, __VA_ARGS__)
#define ipx_dbg(...)                                                   \
	do {                                                           \
		if (ipx_log_get_level() >= IPX_LOG_DEBUG)              \
			ipx_log(IPX_LOG_DEBUG, __VA_ARGS__);           \
	} while (0)

#endif
