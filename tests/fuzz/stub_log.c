/* Stubs for fuzz targets: ipx_log (driver/log.c) without its output, so a
 * target links only the code under test. */
#include <stdarg.h>

#include <ipsecfx/log.h>

void ipx_log(int level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

void ipx_vlog(int level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
}

void ipx_log_set_handler(ipx_log_fn fn, void *arg)
{
	(void)fn;
	(void)arg;
}

void ipx_log_set_level(int level)
{
	(void)level;
}

int ipx_log_get_level(void)
{
	return IPX_LOG_ERR;
}

const char *ipx_log_level_name(int level)
{
	(void)level;
	return "";
}
