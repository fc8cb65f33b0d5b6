/* Unit tests of the placement policy: which host a new VM goes to, under
 * spread and pack, from what each host offers and what its running VMs
 * commit; and the size of a VM of a template, which placement asks for. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "conf.h"
#include "placement.h"
#include "template.h"

/* An eligible host offering vcpus and GiB, with used committed. */
#define HOST(v, g, vu, mu, run) \
	{ true, (v), (g) * 1024LL, (vu), (mu), (run) }

static void
test_spread(void)
{
	struct place_host h[] = {
		HOST(8, 8, 2, 2048, 2),		/* 6 GiB left */
		HOST(8, 16, 1, 1024, 1),	/* 15 GiB left */
		HOST(8, 4, 0, 0, 0),		/* 4 GiB left */
	};

	g_assert_cmpint(placement_choose(h, 3, PLACE_SPREAD, 1, 1024), ==, 1);
	/* What the host has committed counts, not what it offers. */
	h[1].mem_used_mib = 12 * 1024;
	g_assert_cmpint(placement_choose(h, 3, PLACE_SPREAD, 1, 1024), ==, 0);
}

static void
test_pack(void)
{
	struct place_host h[] = {
		HOST(8, 8, 2, 2048, 2),		/* 6 GiB left */
		HOST(8, 16, 1, 1024, 1),	/* 15 GiB left */
		HOST(8, 4, 0, 3584, 1),		/* 0.5 GiB left */
	};

	/* The least left that still fits: not the host too full. */
	g_assert_cmpint(placement_choose(h, 3, PLACE_PACK, 1, 1024), ==, 0);
	g_assert_cmpint(placement_choose(h, 3, PLACE_PACK, 1, 512), ==, 2);
	g_assert_cmpint(placement_choose(h, 3, PLACE_PACK, 1, 8192), ==, 1);
}

/* Equal memory left: the host with fewer VMs running, then the first. */
static void
test_ties(void)
{
	struct place_host h[] = {
		HOST(8, 4, 2, 1024, 3),
		HOST(8, 4, 2, 1024, 1),
		HOST(8, 4, 2, 1024, 1),
	};

	g_assert_cmpint(placement_choose(h, 3, PLACE_SPREAD, 1, 1024), ==, 1);
	g_assert_cmpint(placement_choose(h, 3, PLACE_PACK, 1, 1024), ==, 1);
	h[1].running = 5;
	g_assert_cmpint(placement_choose(h, 3, PLACE_SPREAD, 1, 1024), ==, 2);
}

/* A host must hold both the vCPUs and the memory; hosts that are not
 * eligible (unreachable, not schedulable) or whose offer is not known yet
 * are never chosen, however empty. */
static void
test_fit(void)
{
	struct place_host h[] = {
		HOST(2, 8, 2, 0, 2),		/* no vCPU left */
		HOST(64, 64, 0, 0, 0),
		HOST(4, 4, 0, 0, 0),
		{ true, -1, -1, 0, 0, 0 },
	};

	h[1].eligible = false;
	g_assert_cmpint(placement_choose(h, 4, PLACE_SPREAD, 1, 1024), ==, 2);
	g_assert_cmpint(placement_choose(h, 4, PLACE_SPREAD, 4, 4096), ==, 2);
	g_assert_cmpint(placement_choose(h, 4, PLACE_SPREAD, 5, 1024), ==, -1);
	g_assert_cmpint(placement_choose(h, 4, PLACE_SPREAD, 1, 4097), ==, -1);
	g_assert_cmpint(placement_choose(h, 0, PLACE_SPREAD, 1, 1), ==, -1);
}

static void
expect_size(const char *mem, const char *vcpu, unsigned want_vcpus,
    unsigned long long want_mib)
{
	char *xml = g_strdup_printf("<domain type='kvm'>%s%s<devices><disk "
	    "type='file' device='disk'><target dev='vda'/></disk></devices>"
	    "</domain>", mem, vcpu);
	char *err = NULL;
	struct template *t = template_load_mem(xml, strlen(xml), "t", &err);
	unsigned long long mib;
	unsigned vcpus;

	g_assert_null(err);
	g_assert_nonnull(t);
	template_size(t, &vcpus, &mib);
	g_assert_cmpuint(vcpus, ==, want_vcpus);
	g_assert_cmpuint(mib, ==, want_mib);
	template_free(t);
	g_free(xml);
}

static void
test_template_size(void)
{
	expect_size("<memory unit='MiB'>1024</memory>", "<vcpu>2</vcpu>", 2,
	    1024);
	expect_size("<memory>524288</memory>", "", 1, 512);
	expect_size("<memory unit='G'>2</memory>", "<vcpu placement='static'>"
	    "4</vcpu>", 4, 2048);
	/* Rounded up: a VM never takes less than it says. */
	expect_size("<memory unit='KiB'>1025</memory>", "<vcpu>x</vcpu>", 1,
	    2);
	expect_size("<memory unit='GB'>1</memory>", "", 1, 954);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/placement/spread", test_spread);
	g_test_add_func("/placement/pack", test_pack);
	g_test_add_func("/placement/ties", test_ties);
	g_test_add_func("/placement/fit", test_fit);
	g_test_add_func("/placement/template-size", test_template_size);
	return g_test_run();
}
