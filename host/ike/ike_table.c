/*
 * The manager's SA tables:
 *   - every IKE SA by our SPI (SPIi when we initiated, SPIr when we
 *     responded): where each datagram after IKE_SA_INIT goes;
 *   - the IKE SAs we answered IKE_SA_INIT for, by the initiator's SPI and
 *     address: a retransmitted IKE_SA_INIT request finds its SA (2.1);
 *   - IKE SAs by peer: connection name and the peer's identity; an SA is
 *     filed once it is established, or when it is made from another (a
 *     rekey, a reauthentication) with that one's; SAs that refer to each
 *     other (rekeyed_by, collision, reauth_of, cc.new_ike, a Child SA's
 *     successor) always share it, so what has to find them looks there;
 *   - Child SAs by their inbound SPI, from the moment it is chosen until
 *     the Child SA is freed: a new SPI is unique among them and in the
 *     engine, and engine events find their Child SA;
 *   - half-open IKE SAs counted in all and per source address, for
 *     max_half_open, max_half_open_per_source and the cookie thresholds
 *     (2.6): one address cannot take every half-open slot, cookies
 *     returned or not;
 *   - every IKE SA by its unique_id: a list-sas listing holds the ID of
 *     the next SA to show, never a pointer, and finds it here.
 * Lookups are hashed: their cost does not grow with the number of SAs.
 * The tables double when they hold twice as many entries as buckets, and
 * the hashes are salted per manager (SPIs and identities come from the
 * peer: nobody can choose ones that pile up in one bucket).
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

static uint64_t mix(uint64_t h)
{
	/* the finaliser of MurmurHash3: every input bit reaches every bit */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static unsigned spi_hash(const struct ike_mgr *m, const uint8_t *spi)
{
	uint64_t v;

	memcpy(&v, spi, 8);
	return (unsigned)mix(v ^ m->src_salt) & m->hash_mask;
}

static uint64_t str_hash(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;   /* FNV-1a */
	return h;
}

/* FNV-1a over the connection name, a separator and the peer identity (an
 * empty identity, as a half-made SA has, still hashes by its name). */
static unsigned peer_hash(const struct ike_mgr *m, const struct ikesa *sa)
{
	uint64_t h = str_hash(1469598103934665603ull ^ m->src_salt, sa->conn_name);

	h = (h ^ 0xff) * 1099511628211ull;
	return (unsigned)mix(str_hash(h, sa->peer_id.text)) & m->hash_mask;
}

static unsigned child_hash(const struct ike_mgr *m, uint32_t spi)
{
	return (unsigned)mix(spi ^ m->src_salt) & m->hash_mask;
}

static void **table_new(unsigned size)
{
	return calloc(size, sizeof(void *));
}

int ike_table_init(struct ike_mgr *m, unsigned size)
{
	if (ike_random((uint8_t *)&m->src_salt, sizeof(m->src_salt)) < 0)
		return -1;
	m->hash = (struct ikesa **)table_new(size);
	m->init_hash = (struct ikesa **)table_new(size);
	m->peer_hash = (struct ikesa **)table_new(size);
	m->child_hash = (struct child_sa **)table_new(size);
	m->src_hash = calloc(SRC_HASH_SIZE, sizeof(*m->src_hash));
	m->id_hash = (struct ikesa **)table_new(size);
	m->hash_mask = size - 1;
	return m->hash && m->init_hash && m->peer_hash && m->child_hash && m->src_hash &&
	       m->id_hash ? 0 : -1;
}

/* Twice the buckets, every entry filed again: the cost of a lookup stays
 * that of a few entries however many SAs come.  The Child SAs are found
 * through their IKE SAs (those being made, too). */
static void table_grow(struct ike_mgr *m)
{
	unsigned size = (m->hash_mask + 1) * 2;
	struct ikesa **h = (struct ikesa **)table_new(size);
	struct ikesa **ih = (struct ikesa **)table_new(size);
	struct ikesa **ph = (struct ikesa **)table_new(size);
	struct child_sa **ch = (struct child_sa **)table_new(size);
	struct ikesa **idh = (struct ikesa **)table_new(size);

	if (!h || !ih || !ph || !ch || !idh) {
		free(h);
		free(ih);
		free(ph);
		free(ch);
		free(idh);
		return;   /* longer chains, still correct */
	}
	free(m->hash);
	free(m->init_hash);
	free(m->peer_hash);
	free(m->child_hash);
	free(m->id_hash);
	m->hash = h;
	m->init_hash = ih;
	m->peer_hash = ph;
	m->child_hash = ch;
	m->id_hash = idh;
	m->hash_mask = size - 1;
	for (struct ikesa *sa = m->all; sa; sa = sa->next) {
		struct child_sa *extra[] = { sa->new_child, sa->cc.child };

		/* every SA is filed by its unique_id (ike_sa_new) */
		sa->idnext = idh[sa->unique_id & m->hash_mask];
		idh[sa->unique_id & m->hash_mask] = sa;

		if (sa->in_hash) {
			unsigned b = spi_hash(m, sa->initiator ? sa->spi_i : sa->spi_r);

			sa->hnext = h[b];
			h[b] = sa;
		}
		if (sa->in_init_hash) {
			unsigned b = spi_hash(m, sa->spi_i);

			sa->inext = ih[b];
			ih[b] = sa;
		}
		if (sa->in_peer_hash) {
			unsigned b = peer_hash(m, sa);

			/* unhash_peer and ike_peer_first go by the bucket */
			sa->peer_bucket = b;
			sa->pnext = ph[b];
			ph[b] = sa;
		}
		for (struct child_sa *c = sa->children; c; c = c->next)
			if (c->in_hash) {
				c->hnext = ch[child_hash(m, c->spi_in)];
				ch[child_hash(m, c->spi_in)] = c;
			}
		for (unsigned i = 0; i < 2; i++)
			if (extra[i] && extra[i]->in_hash) {
				extra[i]->hnext = ch[child_hash(m, extra[i]->spi_in)];
				ch[child_hash(m, extra[i]->spi_in)] = extra[i];
			}
	}
}

static void maybe_grow(struct ike_mgr *m)
{
	unsigned n = m->n_sas > m->n_child_hashed ? m->n_sas : m->n_child_hashed;

	if (n > 2 * (m->hash_mask + 1) && m->hash_mask < (1u << 24))
		table_grow(m);
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
	free(m->peer_hash);
	free(m->child_hash);
	free(m->src_hash);
	free(m->id_hash);
}

/* ---- by our SPI ---- */

static void unhash(struct ikesa *sa)
{
	struct ikesa **p = &sa->mgr->hash[spi_hash(sa->mgr, our_spi(sa))];

	if (!sa->in_hash)
		return;
	while (*p && *p != sa)
		p = &(*p)->hnext;
	if (*p)
		*p = sa->hnext;
	sa->hnext = NULL;
	sa->in_hash = false;
}

void ike_sa_rehash(struct ikesa *sa)
{
	unsigned h;

	unhash(sa);
	maybe_grow(sa->mgr);
	h = spi_hash(sa->mgr, our_spi(sa));
	sa->hnext = sa->mgr->hash[h];
	sa->mgr->hash[h] = sa;
	sa->in_hash = true;
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

static struct ike_src **src_slot_addr(struct ike_mgr *m, sa_family_t family,
				      const uint8_t *a, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ family;
	struct ike_src **p;

	/* FNV-1a over the address, salted per manager so that nobody can
	 * pick addresses that share a bucket */
	h ^= m->src_salt;
	for (size_t i = 0; i < len; i++)
		h = (h ^ a[i]) * 1099511628211ull;
	p = &m->src_hash[(h ^ (h >> 29)) & (SRC_HASH_SIZE - 1)];
	while (*p && ((*p)->family != family || memcmp((*p)->addr, a, len) != 0))
		p = &(*p)->next;
	return p;
}

static struct ike_src **src_slot(struct ike_mgr *m, const struct sockaddr_storage *ss)
{
	size_t len;
	const uint8_t *a = addr_of(ss, &len);

	return src_slot_addr(m, ss->ss_family, a, len);
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
	if (on) {
		p = src_slot(m, &sa->remote);
		if (!*p) {
			size_t len;
			const uint8_t *a = addr_of(&sa->remote, &len);

			s = calloc(1, sizeof(*s));
			if (!s)
				return -ENOMEM;
			s->family = sa->remote.ss_family;
			memcpy(s->addr, a, len);
			*p = s;
		}
		(*p)->n++;
		m->n_half_open++;
		sa->half_open = true;
		sa->half_open_src = *p;
		return 0;
	}
	/* the count of the source it came from, wherever sa->remote is now */
	s = sa->half_open_src;
	p = src_slot_addr(m, s->family, s->addr, s->family == AF_INET ? 4 : 16);
	sa->half_open = false;
	sa->half_open_src = NULL;
	if (m->n_half_open)
		m->n_half_open--;
	s = *p;
	if (s && --s->n == 0) {
		*p = s->next;
		free(s);
	}
	return 0;
}

/* ---- by peer ---- */

static void unhash_peer(struct ikesa *sa)
{
	struct ikesa **p = &sa->mgr->peer_hash[sa->peer_bucket];

	if (!sa->in_peer_hash)
		return;
	while (*p && *p != sa)
		p = &(*p)->pnext;
	if (*p)
		*p = sa->pnext;
	sa->pnext = NULL;
	sa->in_peer_hash = false;
}

void ike_sa_peer_file(struct ikesa *sa)
{
	struct ike_mgr *m = sa->mgr;

	unhash_peer(sa);
	sa->peer_bucket = peer_hash(m, sa);
	sa->pnext = m->peer_hash[sa->peer_bucket];
	m->peer_hash[sa->peer_bucket] = sa;
	sa->in_peer_hash = true;
}

struct ikesa *ike_peer_first(const struct ikesa *sa)
{
	const struct ike_mgr *m = sa->mgr;

	return m->peer_hash[sa->in_peer_hash ? sa->peer_bucket : peer_hash(m, sa)];
}

bool ike_same_peer_key(const struct ikesa *a, const struct ikesa *b)
{
	return strcmp(a->conn_name, b->conn_name) == 0 &&
	       strcmp(a->peer_id.text, b->peer_id.text) == 0;
}

struct ikesa *ike_peer_next(const struct ikesa *sa, const struct ikesa *o)
{
	struct ikesa *n = o == sa ? ike_peer_first(sa) : o->pnext;

	while (n && (n == sa || !ike_same_peer_key(n, sa)))
		n = n->pnext;
	return n;
}

bool ike_table_check(const struct ike_mgr *m)
{
	size_t filed = 0, chained = 0;

	for (const struct ikesa *sa = m->all; sa; sa = sa->next) {
		const struct ikesa *o;

		if (!sa->in_peer_hash)
			continue;
		filed++;
		if (sa->peer_bucket != peer_hash(m, sa))
			return false;
		for (o = m->peer_hash[sa->peer_bucket]; o && o != sa; o = o->pnext)
			;
		if (!o)
			return false;
	}
	for (unsigned b = 0; b <= m->hash_mask; b++)
		for (const struct ikesa *o = m->peer_hash[b]; o; o = o->pnext) {
			if (!o->in_peer_hash || o->peer_bucket != b || o->mgr != m)
				return false;
			chained++;
		}
	return filed == chained;
}

/* ---- Child SAs by inbound SPI ---- */

void ike_child_hash_add(struct ike_mgr *m, struct child_sa *c)
{
	unsigned h;

	m->n_child_hashed++;
	maybe_grow(m);
	h = child_hash(m, c->spi_in);
	c->hnext = m->child_hash[h];
	m->child_hash[h] = c;
	c->in_hash = true;
}

void ike_child_hash_del(struct ike_mgr *m, struct child_sa *c)
{
	struct child_sa **p;

	if (!c->in_hash)
		return;
	for (p = &m->child_hash[child_hash(m, c->spi_in)]; *p; p = &(*p)->hnext)
		if (*p == c) {
			*p = c->hnext;
			break;
		}
	c->hnext = NULL;
	c->in_hash = false;
	m->n_child_hashed--;
}

struct child_sa *ike_child_lookup(struct ike_mgr *m, uint32_t spi_in)
{
	struct child_sa *c = m->child_hash[child_hash(m, spi_in)];

	while (c && c->spi_in != spi_in)
		c = c->hnext;
	return c;
}

void ike_table_remove(struct ikesa *sa)
{
	/* while sa->next still leads on through mgr->all */
	ike_list_sa_gone(sa);
	ike_sa_half_open(sa, false);
	unhash(sa);
	unhash_init(sa);
	unhash_id(sa);
	unhash_peer(sa);
}
