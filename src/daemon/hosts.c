/* The hosts as the broker sees them (see hosts.h).  What a host offers is
 * the admin's figure where the config gives one, else what libvirt said of
 * the node at the last connect, less the reserve; what is committed is the
 * size of its running VMs, not the memory free on the node, which a
 * guest's page cache and ballooning make meaningless for placement. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "domtab.h"
#include "hosts.h"
#include "i18n.h"
#include "keep.h"
#include "placement.h"

static GMutex drain_lock;
static bool *drained;		/* by host number */
static int ndrained;

void
hosts_init(const struct config *cfg)
{
	char **names = keep_drained_new();
	int i, h;

	g_mutex_lock(&drain_lock);
	g_free(drained);
	drained = g_new0(bool, cfg->nhosts);
	ndrained = cfg->nhosts;
	for (i = 0; names[i] != NULL; i++)
		if ((h = hosts_find(cfg, names[i])) >= 0)
			drained[h] = true;
	g_mutex_unlock(&drain_lock);
	g_strfreev(names);
}

bool
hosts_drained(int host)
{
	bool d;

	g_mutex_lock(&drain_lock);
	d = drained != NULL && host >= 0 && host < ndrained && drained[host];
	g_mutex_unlock(&drain_lock);
	return d;
}

int
hosts_set_drained(const struct config *cfg, int host, bool on, char **err)
{
	GPtrArray *a = g_ptr_array_new();
	int h, r;

	g_mutex_lock(&drain_lock);
	if (drained == NULL || host < 0 || host >= ndrained) {
		g_mutex_unlock(&drain_lock);
		g_ptr_array_free(a, TRUE);
		*err = g_strdup("no such host");
		return -1;
	}
	drained[host] = on;
	for (h = 0; h < ndrained; h++)
		if (drained[h])
			g_ptr_array_add(a, cfg->hosts[h].name);
	g_ptr_array_add(a, NULL);
	r = keep_drained_save((char **)a->pdata, err);
	g_mutex_unlock(&drain_lock);
	g_ptr_array_free(a, TRUE);
	return r;
}

int
hosts_find(const struct config *cfg, const char *name)
{
	int i;

	for (i = 0; i < cfg->nhosts; i++)
		if (strcmp(cfg->hosts[i].name, name) == 0)
			return i;
	return -1;
}

static void
offered(const struct config *cfg, int i, struct host_view *v)
{
	const struct host_conf *hc = &cfg->hosts[i];
	unsigned long long kib = 0;
	unsigned cpus = 0;
	bool node = virt_host_node(i, &cpus, &kib) == 0;

	v->vcpus = hc->vcpus >= 0 ? hc->vcpus : node ? (long long)cpus : -1;
	if (hc->memory >= 0)
		v->mem_mib = hc->memory * 1024LL;
	else if (node)
		v->mem_mib = MAX((long long)(kib / 1024) -
		    cfg->reserve * 1024LL, 0);
	else
		v->mem_mib = -1;
}

struct host_view *
hosts_view_new(const struct config *cfg, char **err)
{
	GArray *rows = domtab_rows_new((uid_t)-1, true, false, err);
	struct host_view *v;
	guint r;
	int i;

	if (rows == NULL)
		return NULL;
	v = g_new0(struct host_view, cfg->nhosts);
	for (i = 0; i < cfg->nhosts; i++) {
		v[i].name = cfg->hosts[i].name;
		v[i].state = virt_host_state(i, &v[i].since);
		v[i].drained = hosts_drained(i);
		v[i].schedulable = cfg->hosts[i].schedulable &&
		    !v[i].drained;
		offered(cfg, i, &v[i]);
	}
	for (r = 0; r < rows->len; r++) {
		const struct domrow *d = &g_array_index(rows, struct domrow,
		    r);
		struct host_view *h;

		if (d->host < 0 || d->host >= cfg->nhosts)
			continue;
		h = &v[d->host];
		h->defined++;
		if (!domtab_active(d))
			continue;
		h->running++;
		h->vcpus_used += d->vcpus;
		h->mem_used_mib += d->mem_kib / 1024;
	}
	domtab_rows_free(rows);
	return v;
}

int
hosts_place(const struct config *cfg, unsigned vcpus, unsigned long long mib,
    char **err)
{
	return hosts_place_except(cfg, vcpus, mib, -1, err);
}

bool
hosts_fits(const struct config *cfg, int host, unsigned vcpus,
    unsigned long long mib, const char **why)
{
	struct host_view *v;
	char *err = NULL;
	bool fits = false;

	*why = NULL;
	if (!cfg->several)
		return true;
	if ((v = hosts_view_new(cfg, &err)) == NULL) {
		g_free(err);
		*why = _("its VMs cannot be counted now");
		return false;
	}
	if (v[host].state != VIRT_UP)
		*why = _("it is unreachable");
	else if (v[host].drained)
		*why = _("it is drained");
	else if (!v[host].schedulable)
		*why = _("it takes no new VMs");
	else {
		struct place_host p = { true, v[host].vcpus, v[host].mem_mib,
		    v[host].vcpus_used, v[host].mem_used_mib, v[host].running };

		fits = placement_choose(&p, 1, cfg->placement, vcpus,
		    (long long)mib) == 0;
		if (!fits)
			*why = _("it has no room for it");
	}
	g_free(v);
	return fits;
}

int
hosts_place_except(const struct config *cfg, unsigned vcpus,
    unsigned long long mib, int except, char **err)
{
	struct host_view *v;
	struct place_host *p;
	GString *why;
	int i, best;

	if (cfg->nhosts == 1 && !cfg->several)
		return 0;
	if ((v = hosts_view_new(cfg, err)) == NULL)
		return -1;
	p = g_new0(struct place_host, cfg->nhosts);
	for (i = 0; i < cfg->nhosts; i++) {
		p[i].eligible = v[i].state == VIRT_UP && v[i].schedulable &&
		    i != except;
		p[i].vcpus = v[i].vcpus;
		p[i].mem_mib = v[i].mem_mib;
		p[i].vcpus_used = v[i].vcpus_used;
		p[i].mem_used_mib = v[i].mem_used_mib;
		p[i].running = v[i].running;
	}
	best = placement_choose(p, cfg->nhosts, cfg->placement, vcpus,
	    (long long)mib);
	if (best < 0) {
		why = g_string_new("no host fits");
		for (i = 0; i < cfg->nhosts; i++)
			g_string_append_printf(why, "; %s: %s%s, %lld/%lld "
			    "vCPUs, %lld/%lld MiB", v[i].name,
			    v[i].state == VIRT_UP ? "up" : "unreachable",
			    v[i].schedulable ? "" : ", not schedulable",
			    v[i].vcpus_used, v[i].vcpus, v[i].mem_used_mib,
			    v[i].mem_mib);
		*err = g_string_free(why, FALSE);
	}
	g_free(p);
	g_free(v);
	return best;
}
