/* The hosts as the broker sees them (see hosts.h).  What a host offers is
 * the admin's figure where the config gives one, else what libvirt said of
 * the node at the last connect, less the reserve; what is committed is the
 * size of its running VMs, not the memory free on the node, which a
 * guest's page cache and ballooning make meaningless for placement. */
#include "config.h"

#include <glib.h>

#include "domtab.h"
#include "hosts.h"
#include "placement.h"

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
		v[i].schedulable = cfg->hosts[i].schedulable;
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
		p[i].eligible = v[i].state == VIRT_UP && v[i].schedulable;
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
