/* objlist: deduplicated object lists (see objlist.h). */
#include "objlist.h"

#include <stdlib.h>
#include <string.h>

/* The oid is already a uniform hash: its first 16 hex digits do. */
static size_t oid_hash(const char *oid)
{
	size_t h = 0;

	for (int i = 0; i < 16; i++)
		h = h * 16 + (size_t)(oid[i] <= '9' ? oid[i] - '0' : oid[i] - 'a' + 10);
	return h;
}

static size_t *slot_for(const struct objlist *l, const char *oid)
{
	size_t i = oid_hash(oid) & (l->nslots - 1);

	for (;;) {
		size_t *s = &l->slots[i];
		if (*s == 0 || strcmp(l->items[*s - 1].oid, oid) == 0)
			return s;
		i = (i + 1) & (l->nslots - 1);
	}
}

static int rehash(struct objlist *l, size_t nslots)
{
	size_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return ERR_NOMEM;
	free(l->slots);
	l->slots = slots;
	l->nslots = nslots;
	for (size_t i = 0; i < l->n; i++)
		*slot_for(l, l->items[i].oid) = i + 1;
	return 0;
}

struct lfsobj *objlist_find(const struct objlist *l, const char *oid)
{
	size_t *s;

	if (l->nslots == 0)
		return NULL;
	s = slot_for(l, oid);
	return *s ? &l->items[*s - 1] : NULL;
}

int objlist_add(struct objlist *l, const char *oid, long long size, const char *path, bool *added,
		struct err *err)
{
	struct lfsobj *o;
	size_t *s;

	if (added)
		*added = false;
	if (objlist_find(l, oid))
		return 0;
	if ((l->n + 1) * 2 > l->nslots && rehash(l, l->nslots ? l->nslots * 2 : 64) < 0)
		return err_set(err, ERR_NOMEM, "out of memory");
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct lfsobj *items = realloc(l->items, cap * sizeof(*items));
		if (!items)
			return err_set(err, ERR_NOMEM, "out of memory");
		l->items = items;
		l->cap = cap;
	}
	o = &l->items[l->n];
	memcpy(o->oid, oid, OID_HEX_LEN);
	o->oid[OID_HEX_LEN] = '\0';
	o->size = size;
	o->path = path ? strdup(path) : NULL;
	if (path && !o->path)
		return err_set(err, ERR_NOMEM, "out of memory");
	s = slot_for(l, o->oid);
	*s = ++l->n;
	if (added)
		*added = true;
	return 0;
}

void objlist_release(struct objlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].path);
	free(l->items);
	free(l->slots);
	memset(l, 0, sizeof(*l));
}
