/*
 * The manager's SA tables:
 *   - every IKE SA by our SPI (SPIi when we initiated, SPIr when we
 *     responded): where each datagram after IKE_SA_INIT goes;
 *   - the IKE SAs we answered IKE_SA_INIT for, by the initiator's SPI and
 *     address: a retransmitted IKE_SA_INIT request finds its SA (2.1);
 *   - half-open IKE SAs counted in all and per source address, for
 *     max_half_open, max_half_open_per_source and the cookie thresholds
 *     (2.6): one address cannot take every half-open slot, cookies
 *     returned or not;
 *   - every IKE SA by its unique_id: a list-sas listing holds the ID of
 *     the next SA to show, never a pointer, and finds it here.
 * Lookups are hashed: their cost does not grow with the number of SAs.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ike_sa.h"

#define SRC_HASH_SIZE 1024

/* Half-open SAs from one source address. */
struct ike_src {
	struct ike_src *next;
	sa_family_t family;
	uint8_t addr[16];
	unsigned n;
};

/* Our SPI: SPIi when we initiated, SPIr when we responded. */
static const uint8_t *our_spi(const struct ikesa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

static unsigned spi_hash(const struct ike_mgr *m, const uint8_t *spi)
{
	uint64_t v;

	memcpy(&v, spi, 8);
	return (unsigned)((v * 0x9e3779b97f4a7c15ull) >> 40) & m->hash_mask;
}

int ike_table_init(struct ike_mgr *m, unsigned size)
{
	if (ike_random((uint8_t *)&m->src_salt, sizeof(m->src_salt)) < 0)
		return -1;
	m->hash = calloc(size, sizeof(*m->hash));
	m->init_hash = calloc(size, sizeof(*m->init_hash));
	m->src_hash = calloc(SRC_HASH_SIZE, sizeof(*m->src_hash));
	m->id_hash = calloc(size, sizeof(*m->id_hash));
	m->hash_mask = size - 1;
	return m->hash && m->init_hash && m->src_hash && m->id_hash ? 0 : -1;
}

void ike_table_free(struct ike_mgr *m)
{
	for (unsigned i = 0; m->src_hash && i < SRC_HASH_SIZE; i++)
		while (m->src_hash[i]) {
			struct ike_src *s = m->src_hash[i];

			m->src_hash[i] = s->next;
			free(s);
		}
	ike_list_mgr_gone(m);
	free(m->hash);
	free(m->init_hash);
	free(m->src_hash);
	free(m->id_hash);
}

/* ---- by our SPI ---- */

static void unhash(struct ikesa *sa)
{
	struct ikesa **p = &sa->mgr->hash[spi_hash(sa->mgr, our_spi(sa))];

	while (*p && *p != sa)
		p = &(*p)->hnext;
	if (*p)
		*p = sa->hnext;
	sa->hnext = NULL;
}

void ike_sa_rehash(struct ikesa *sa)
{
	unsigned h = spi_hash(sa->mgr, our_spi(sa));

	unhash(sa);
	sa->hnext = sa->mgr->hash[h];
	sa->mgr->hash[h] = sa;
}

struct ikesa *ike_sa_lookup(struct ike_mgr *m, const uint8_t *spi, bool we_initiated)
{
	struct ikesa *sa = m->hash[spi_hash(m, spi)];

	for (; sa; sa = sa->hnext)
		if (sa->initiator == we_initiated && memcmp(our_spi(sa), spi, 8) == 0)
			return sa;
	return NULL;
}

/* ---- by the initiator's SPI (IKE_SA_INIT we answered) ---- */

static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
	}
	{
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 &&
		       x->sin6_port == y->sin6_port;
	}
}

void ike_sa_hash_init(struct ikesa *sa)
{
	unsigned h = spi_hash(sa->mgr, sa->spi_i);

	sa->in_init_hash = true;
	sa->inext = sa->mgr->init_hash[h];
	sa->mgr->init_hash[h] = sa;
}

static void unhash_init(struct ikesa *sa)
{
	struct ikesa **p = &sa->mgr->init_hash[spi_hash(sa->mgr, sa->spi_i)];

	if (!sa->in_init_hash)
		return;
	while (*p && *p != sa)
		p = &(*p)->inext;
	if (*p)
		*p = sa->inext;
	sa->inext = NULL;
	sa->in_init_hash = false;
}

struct ikesa *ike_sa_lookup_init(struct ike_mgr *m, const uint8_t *spi_i,
				 const struct sockaddr_storage *remote)
{
	struct ikesa *sa = m->init_hash[spi_hash(m, spi_i)];

	for (; sa; sa = sa->inext)
		if (memcmp(sa->spi_i, spi_i, 8) == 0 && same_peer(&sa->remote, remote))
			return sa;
	return NULL;
}

/* ---- by unique_id (IDs are handed out in sequence: the low bits spread them) ---- */

void ike_sa_hash_id(struct ikesa *sa)
{
	struct ikesa **b = &sa->mgr->id_hash[sa->unique_id & sa->mgr->hash_mask];

	sa->idnext = *b;
	*b = sa;
}

static void unhash_id(struct ikesa *sa)
{
	struct ikesa **p = &sa->mgr->id_hash[sa->unique_id & sa->mgr->hash_mask];

	while (*p && *p != sa)
		p = &(*p)->idnext;
	if (*p)
		*p = sa->idnext;
	sa->idnext = NULL;
}

struct ikesa *ike_sa_by_id(struct ike_mgr *m, uint32_t unique_id)
{
	struct ikesa *sa = m->id_hash[unique_id & m->hash_mask];

	while (sa && sa->unique_id != unique_id)
		sa = sa->idnext;
	return sa;
}

/* ---- half-open SAs per source ---- */

static const uint8_t *addr_of(const struct sockaddr_storage *ss, size_t *len)
{
	if (ss->ss_family == AF_INET) {
		*len = 4;
		return (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
	}
	*len = 16;
	return (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
}

static struct ike_src **src_slot(struct ike_mgr *m, const struct sockaddr_storage *ss)
{
	size_t len;
	const uint8_t *a = addr_of(ss, &len);
	uint64_t h = 1469598103934665603ull ^ ss->ss_family;
	struct ike_src **p;

	/* FNV-1a over the address, salted per manager so that nobody can
	 * pick addresses that share a bucket */
	h ^= m->src_salt;
	for (size_t i = 0; i < len; i++)
		h = (h ^ a[i]) * 1099511628211ull;
	p = &m->src_hash[(h ^ (h >> 29)) & (SRC_HASH_SIZE - 1)];
	while (*p && ((*p)->family != ss->ss_family || memcmp((*p)->addr, a, len) != 0))
		p = &(*p)->next;
	return p;
}

unsigned ike_half_open_from(struct ike_mgr *m, const struct sockaddr_storage *src)
{
	struct ike_src **p = src_slot(m, src);

	return *p ? (*p)->n : 0;
}

int ike_sa_half_open(struct ikesa *sa, bool on)
{
	struct ike_mgr *m = sa->mgr;
	struct ike_src **p, *s;

	if (sa->half_open == on)
		return 0;
	p = src_slot(m, &sa->half_open_src);
	if (on) {
		if (!*p) {
			size_t len;
			const uint8_t *a = addr_of(&sa->half_open_src, &len);

			s = calloc(1, sizeof(*s));
			if (!s)
				return -ENOMEM;
			s->family = sa->half_open_src.ss_family;
			memcpy(s->addr, a, len);
			*p = s;
		}
		(*p)->n++;
		m->n_half_open++;
		sa->half_open = true;
		return 0;
	}
	sa->half_open = false;
	if (m->n_half_open)
		m->n_half_open--;
	s = *p;
	if (s && --s->n == 0) {
		*p = s->next;
		free(s);
	}
	return 0;
}

void ike_table_remove(struct ikesa *sa)
{
	/* while sa->next still leads on through mgr->all */
	ike_list_sa_gone(sa);
	ike_sa_half_open(sa, false);
	unhash(sa);
	unhash_init(sa);
	unhash_id(sa);
}
