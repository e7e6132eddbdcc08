/* test_mapper.c: the mapper's plan against a brute-force enumeration of the
 * whole mapping space on small networks and chips (the same optimum, to the
 * cycle), its total against the analytic engine on the plan it wrote, and
 * its promise on thousands of random design points: more scratchpad, more
 * bandwidth, more cores or fewer bits are never slower. */
#include "tests/qtest.h"

#include "models/analytic.h"
#include "models/mapper.h"
#include "models/systolic.h"
#include "models/traffic.h"

/* ---- small networks ---- */

static void add_layer(Net *net, const char *name, LayerOp op, int C, int K,
                      int H, int R, int stride, int in0, int in1)
{
    Layer l;
    Err e;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "%s", name);
    l.op = op;
    l.N = 1;
    l.C = C, l.K = K, l.H = l.W = H, l.R = l.S = R;
    l.stride = stride, l.pad = op == OP_CONV ? R / 2 : 0, l.groups = 1;
    l.in[0] = in0, l.in[1] = in1;
    if (op == OP_FC)
        l.H = l.W = l.R = l.S = 1;
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    assert_true(net_add(net, &l, &e) >= 0);
}

/* A stem, a residual block (its input read by the first conv and by the
 * add three layers later) and a classifier. */
static void small_resnet(Net *net, int batch, int bits)
{
    Err e;
    net_init(net, "small");
    add_layer(net, "stem", OP_CONV, 3, 8, 8, 3, 1, LAYER_NO_INPUT, -1);
    add_layer(net, "b.conv1", OP_CONV, 8, 8, 8, 3, 1, 0, -1);
    add_layer(net, "b.conv2", OP_CONV, 8, 8, 8, 3, 1, 1, -1);
    add_layer(net, "b.add", OP_ADD, 8, 8, 8, 1, 1, 2, 0);
    add_layer(net, "pool", OP_AVGPOOL, 8, 8, 8, 8, 8, 3, -1);
    add_layer(net, "fc", OP_FC, 8, 10, 1, 1, 1, 4, -1);
    net_set_batch(net, batch);
    BitPolicy bp = {bits, bits, bits < 8 ? 8 : bits, 0};
    assert_int_equal(net_apply_bits(net, &bp, &e), QA_OK);
}

/* Three convs in a row, the middle one strided. */
static void small_chain(Net *net, int batch, int bits)
{
    Err e;
    net_init(net, "chain");
    add_layer(net, "c1", OP_CONV, 4, 16, 12, 3, 1, LAYER_NO_INPUT, -1);
    add_layer(net, "c2", OP_CONV, 16, 16, 12, 3, 2, 0, -1);
    add_layer(net, "c3", OP_CONV, 16, 32, 6, 1, 1, 1, -1);
    net_set_batch(net, batch);
    BitPolicy bp = {bits, bits, bits, 0};
    assert_int_equal(net_apply_bits(net, &bp, &e), QA_OK);
}

/* The layer kinds of imported models: a depthwise conv, a matmul of two
 * activations (its second operand a global pool's output, which the
 * mapper may keep on chip), a softmax and a broadcast multiply (flat
 * vector ops, the second with a smaller second input), and an fc. */
static void small_mixed(Net *net, int batch, int bits)
{
    Err e;
    net_init(net, "mixed");
    add_layer(net, "stem", OP_CONV, 3, 8, 8, 3, 1, LAYER_NO_INPUT, -1);
    Layer l;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "dw");
    l.op = OP_CONV;
    l.N = 1, l.C = l.K = 8, l.H = l.W = 8, l.R = l.S = 3;
    l.stride = 1, l.pad = 1, l.groups = 8;
    l.in[0] = 0, l.in[1] = -1;
    assert_true(net_add(net, &l, &e) >= 0);
    add_layer(net, "gap", OP_AVGPOOL, 8, 8, 8, 8, 8, 1, -1);
    /* (2 heads) x 64 rows x 4 times 4 x 1: B is the pool's 8 values */
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "mm");
    l.op = OP_MATMUL;
    l.N = 1, l.C = 8, l.K = 2, l.H = l.W = 8, l.R = l.S = 1;
    l.stride = 1, l.groups = 2;
    l.in[0] = 1, l.in[1] = 2;
    assert_true(net_add(net, &l, &e) >= 0);
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "softmax");
    l.op = OP_SOFTMAX;
    l.N = 1, l.C = l.K = 2, l.H = l.W = 8, l.R = l.S = 1;
    l.stride = 1, l.groups = 1, l.vec_ops = 5;
    l.in[0] = 3, l.in[1] = -1;
    assert_true(net_add(net, &l, &e) >= 0);
    snprintf(l.name, sizeof l.name, "scale");
    l.op = OP_ELTWISE;
    l.vec_ops = 1, l.in1_elems = 8;
    l.in[0] = 4, l.in[1] = 2;
    assert_true(net_add(net, &l, &e) >= 0);
    add_layer(net, "fc", OP_FC, 128, 10, 1, 1, 1, 5, -1);
    net_set_batch(net, batch);
    BitPolicy bp = {bits, bits, bits < 8 ? 8 : bits, 0};
    assert_int_equal(net_apply_bits(net, &bp, &e), QA_OK);
}

/* ---- brute force: the space of models/README.md, enumerated ---- */

/* The fastest mapping of layer id in context x that fits beside the
 * resident bytes, every candidate built and timed; -1 if none fits. */
static int64_t best_layer(const Accel *a, const Net *net, int id,
                          const TileContext *x, int keep)
{
    LayerView v;
    tile_view(net, id, x, &v);
    LayerMap arr;
    memset(&arr, 0, sizeof arr);
    tile_array(a, &net->layers[id], &arr);
    int64_t best = -1;
    for (int split = 0; split < 2; split++) {
        int64_t units = traffic_units(&v, (CoreSplit)split);
        for (int64_t cu = 1; cu <= QA_MIN((int64_t)a->cores, units); cu++) {
            TileChoice base;
            memset(&base, 0, sizeof base);
            base.split = (CoreSplit)split;
            base.cores_used = (int)cu;
            base.tn = base.tr = INT64_MAX;
            traffic_shape(&v, &base);
            for (int64_t dn = 1; dn <= base.share_ch; dn *= 2)
                for (int64_t dm = 1; dm <= base.share_rows; dm *= 2)
                    for (int order = 0; order < 2; order++)
                        for (int cache = 0; cache < 2; cache++) {
                            TileChoice c = base;
                            c.tn = QA_CEIL_DIV(base.share_ch, dn);
                            c.tr = QA_CEIL_DIV(base.share_rows, dm);
                            traffic_shape(&v, &c);
                            c.order = (LoopOrder)order;
                            c.cache = cache;
                            c.keep_out = keep;
                            if (!traffic_eval(a, &v, x->resident_bytes, &c))
                                continue;
                            LayerMap m = arr;
                            Err e;
                            assert_int_equal(tile_build(a, net, id, &v, &c, x, &m, &e), QA_OK);
                            LayerStats s;
                            memset(&s, 0, sizeof s);
                            analytic_layer(a, &m, &s);
                            tile_free_layer(&m);
                            if (best < 0 || s.cycles < best)
                                best = s.cycles;
                        }
        }
    }
    return best;
}

typedef struct {
    const Accel *a;
    const Net *net;
    int last[16];
    int w_res;
    int64_t w_total;
} Brute;


/* Least total cycles of layers i.. with the tensors in `held` on chip:
 * every keep and write-back policy, every mapping of every layer. */
static int64_t brute_from(const Brute *b, int i, unsigned held)
{
    const Net *net = b->net;
    if (i == net->n)
        return 0;
    const Layer *l = &net->layers[i];
    /* A held tensor may be written back right after a consumer ran. */
    unsigned may = 0;
    for (int j = 0; j < i; j++)
        if ((held >> j & 1) && i > 0 && net_reads(&net->layers[i - 1], j))
            may |= 1u << j;
    int64_t best = -1;
    for (unsigned ev = may;; ev = (ev - 1) & may) {
        unsigned on = held & ~ev;
        TileContext x;
        memset(&x, 0, sizeof x);
        x.w_resident = b->w_res;
        x.resident_bytes = b->w_res ? b->w_total : 0;
        for (int j = 0; j < i; j++) {
            if (on >> j & 1)
                x.resident_bytes += layer_out_bytes(&net->layers[j]);
            if (ev >> j & 1)
                x.spill_bytes += layer_out_bytes(&net->layers[j]);
        }
        for (int k = 0; k < 2; k++)
            x.in_resident[k] = l->in[k] >= 0 && k < layer_inputs(l) &&
                               (on >> l->in[k] & 1);
        for (int keep = 0; keep <= (b->last[i] > i); keep++) {
            int64_t here = best_layer(b->a, net, i, &x, keep);
            if (here < 0)
                continue;
            unsigned next = keep ? 1u << i : 0;
            for (int j = 0; j < i; j++)
                if ((on >> j & 1) && b->last[j] > i)
                    next |= 1u << j;
            int64_t rest = brute_from(b, i + 1, next);
            if (rest >= 0 && (best < 0 || here + rest < best))
                best = here + rest;
        }
        if (ev == 0)
            break;
    }
    return best;
}

static int64_t brute_force(const Accel *a, const Net *net)
{
    Brute b;
    memset(&b, 0, sizeof b);
    b.a = a;
    b.net = net;
    for (int i = 0; i < net->n; i++) {
        b.last[i] = net_last_use(net, i);
        b.w_total += layer_weight_bytes(&net->layers[i]);
    }
    int64_t best = brute_from(&b, 0, 0);
    if (a->weights_resident && b.w_total <= (int64_t)a->cores * a->sram_bytes) {
        b.w_res = 1;
        int64_t r = brute_from(&b, 0, 0);
        if (r >= 0 && (best < 0 || r < best))
            best = r;
    }
    return best;
}

/* The plan's total is the analytic engine's, and nothing in the space is
 * faster: small networks on small chips, every dataflow, with and without
 * double buffering, tight to roomy scratchpads, slow to unlimited DRAM. */
static void test_optimum_equals_brute_force(void **state)
{
    (void)state;
    static const int64_t sram[] = {1024, 2048, 4096, 16384};
    static const double gbps[] = {0.5, 4, 0};
    int compared = 0, infeasible = 0;
    for (int netk = 0; netk < 3; netk++)
        for (int cores = 1; cores <= 2; cores++)
            for (size_t s = 0; s < QA_COUNT(sram); s++)
                for (size_t g = 0; g < QA_COUNT(gbps); g++)
                    for (int df = 0; df < DF_COUNT; df++) {
                        Accel a;
                        arch_defaults(&a);
                        a.rows = 4, a.cols = 4;
                        a.cores = cores;
                        a.sram_bytes = sram[s];
                        a.dram_gbps = gbps[g];
                        a.dram_latency_cycles = 20;
                        a.dataflow = (Dataflow)df;
                        a.double_buffer = (int)((s + g) % 2);
                        a.weights_resident = (int)(g == 2);
                        Net net;
                        if (netk == 0)
                            small_resnet(&net, 1 + (int)(s % 2), 4);
                        else if (netk == 1)
                            small_chain(&net, 2, 8);
                        else
                            small_mixed(&net, 1 + (int)(g % 2), 8);
                        int64_t want = brute_force(&a, &net);
                        TileSchedule ts;
                        Err e;
                        int rc = map_net(&a, &net, &ts, &e);
                        if (want < 0) {
                            assert_int_equal(rc, QA_ERR);
                            assert_non_null(strstr(e.msg, "does not fit"));
                            infeasible++;
                        } else {
                            if (rc != QA_OK)
                                fail_msg("%s: the mapper finds no plan, brute force %lld: %s",
                                         net.name, (long long)want, e.msg);
                            if (ts.cycles != want)
                                fail_msg("%s, %d cores, %lld B, %g GB/s, %s: mapper %lld, "
                                         "brute force %lld", net.name, cores,
                                         (long long)sram[s], gbps[g],
                                         arch_dataflow_name(a.dataflow),
                                         (long long)ts.cycles, (long long)want);
                            RunStats rs;
                            assert_int_equal(analytic_run(&a, &net, &ts, &rs, &e), QA_OK);
                            assert_int_equal(rs.cycles, ts.cycles);
                            stats_free(&rs);
                            tile_free(&ts);
                            compared++;
                        }
                        net_free(&net);
                    }
    /* both outcomes were exercised */
    assert_true(compared > 100);
    assert_true(infeasible > 5);
}

/* The plan's total is what the analytic engine reports for it, on the
 * built-in networks. */
static void test_total_is_the_engines(void **state)
{
    (void)state;
    static const char *const nets[] = {"resnet50", "resnet18", "resnet20"};
    for (size_t i = 0; i < QA_COUNT(nets); i++)
        for (int bits = 16; bits >= 2; bits /= 2) {
            Accel a;
            Err e;
            assert_int_equal(arch_load(&a, "arch/pact2018.cfg", &e), QA_OK);
            a.dram_gbps = bits == 4 ? 0 : 32;
            Net net;
            assert_int_equal(net_build(&net, nets[i], &e), QA_OK);
            net_set_batch(&net, bits == 8 ? 4 : 1);
            BitPolicy bp = {bits, bits, bits < 8 ? 8 : bits, 0};
            assert_int_equal(net_apply_bits(&net, &bp, &e), QA_OK);
            TileSchedule ts;
            RunStats rs;
            assert_int_equal(map_net(&a, &net, &ts, &e), QA_OK);
            assert_int_equal(analytic_run(&a, &net, &ts, &rs, &e), QA_OK);
            assert_int_equal(rs.cycles, ts.cycles);
            stats_free(&rs);
            tile_free(&ts);
            net_free(&net);
        }
}

/* One output row of a fully connected layer with a short reduction, on an
 * array of 4 rows that is 8 columns wide at 8 bits and 4 wide at 16,
 * double-buffered weight stationary (systolic.c: P(a) = a, G(a') =
 * max(T, a'), L(b) = T + R + b - 2, here T = M = 1, R = 4):
 *   K = 2, N = 8 on 8 columns: one fold, 2 + (1 + 4 + 8 - 2) = 13 cycles;
 *   on 4 columns: folds start at 2 and 2 + max(1, 2) = 4, the second ends
 *   at 4 + (1 + 4 + 4 - 2) = 11.
 * The mapper runs such a tile on 4 of the 8 columns. */
static void test_narrower_folds_when_faster(void **state)
{
    (void)state;
    assert_int_equal(sys_gemm_cycles(DF_WS, 4, 8, 1, 2, 8, 1), 13);
    assert_int_equal(sys_gemm_cycles(DF_WS, 4, 4, 1, 2, 8, 1), 11);
    Net net;
    Err e;
    net_init(&net, "fc");
    add_layer(&net, "fc", OP_FC, 2, 8, 1, 1, 1, LAYER_NO_INPUT, -1);
    BitPolicy b8 = {8, 8, 8, 0};
    assert_int_equal(net_apply_bits(&net, &b8, &e), QA_OK);
    Accel a;
    arch_defaults(&a);
    a.rows = 4, a.cols = 4;
    a.dataflow = DF_WS;
    a.double_buffer = 1;
    a.scale_rule = SCALE_LINEAR;
    a.placement = PLACE_COLS;
    LayerMap m;
    memset(&m, 0, sizeof m);
    tile_array(&a, &net.layers[0], &m);
    assert_int_equal(m.cols, 8);
    assert_int_equal(m.ncol_opts, 2);
    LayerView v;
    TileContext x;
    memset(&x, 0, sizeof x);
    tile_view(&net, 0, &x, &v);
    int cols;
    assert_int_equal(tile_compute_cycles(&a, &v, &m, 8, 1, &cols), 11);
    assert_int_equal(cols, 4);
    net_free(&net);
}

/* ---- monotone: random design points ---- */

typedef struct {
    int net;             /* 0 resnet20, 1 resnet18, 2 small_resnet, 3 small_mixed */
    int batch, bits, cores, df;
    int64_t sram;
    double gbps;         /* 0 = unlimited */
} DesignPoint;

/* Cycles of the point, -1 if it does not fit. */
static int64_t point_cycles(const DesignPoint *p)
{
    Accel a;
    Err e;
    assert_int_equal(arch_load(&a, "arch/pact2018.cfg", &e), QA_OK);
    a.cores = p->cores;
    a.sram_bytes = p->sram;
    a.dram_gbps = p->gbps;
    a.dataflow = (Dataflow)p->df;
    Net net;
    if (p->net == 2) {
        small_resnet(&net, p->batch, p->bits);
    } else if (p->net == 3) {
        small_mixed(&net, p->batch, p->bits);
    } else {
        assert_int_equal(net_build(&net, p->net ? "resnet18" : "resnet20", &e), QA_OK);
        net_set_batch(&net, p->batch);
        BitPolicy bp = {p->bits, p->bits, p->bits < 8 ? 8 : p->bits, 0};
        assert_int_equal(net_apply_bits(&net, &bp, &e), QA_OK);
    }
    TileSchedule ts;
    int64_t c = -1;
    if (map_net(&a, &net, &ts, &e) == QA_OK) {
        c = ts.cycles;
        tile_free(&ts);
    }
    net_free(&net);
    return c;
}

static void describe(const DesignPoint *p, char *buf, size_t n)
{
    static const char *const names[] = {"resnet20", "resnet18", "small", "mixed"};
    snprintf(buf, n, "%s batch %d, %d bits, %d cores, %s, %lld B, %g GB/s",
             names[p->net], p->batch, p->bits, p->cores,
             arch_dataflow_name((Dataflow)p->df), (long long)p->sram, p->gbps);
}

/* For random points, each neighbor with one resource more (or fewer bits)
 * fits whenever the point fits and takes no more cycles: zero violations
 * of any kind over the whole sample. */
static void test_more_resources_never_slower(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 2026);
    static const int bits[] = {16, 8, 4, 2};
    static const double gbps[] = {2, 4, 8, 16, 32, 64, 128, 0};
    int points = 0, pairs = 0;
    for (int trial = 0; trial < 700; trial++) {
        DesignPoint p;
        uint64_t u = rng_u64(&r);
        p.net = u % 10 < 5 ? 0 : u % 10 < 7 ? 2 : u % 10 < 9 ? 3 : 1;
        p.batch = p.net == 1 ? 1 : 1 + (int)(rng_u64(&r) % 4);
        p.bits = bits[rng_u64(&r) % 3];              /* 16, 8, 4: room below */
        p.cores = 1 + (int)(rng_u64(&r) % 3);
        p.df = (int)(rng_u64(&r) % DF_COUNT);
        p.sram = (int64_t)8192 << (rng_u64(&r) % 8);  /* 8 KiB .. 1 MiB */
        p.gbps = gbps[rng_u64(&r) % 7];              /* finite: room above */
        int64_t base = point_cycles(&p);
        points++;
        if (base < 0)
            continue;
        DesignPoint more[4] = {p, p, p, p};
        more[0].sram *= 2;
        more[1].gbps = rng_u64(&r) % 2 ? 0 : p.gbps * 2;
        more[2].cores += 1;
        for (size_t b = 0; b + 1 < QA_COUNT(bits); b++)
            if (bits[b] == p.bits)
                more[3].bits = bits[b + 1];
        static const char *const what[] = {"more scratchpad", "more bandwidth",
                                           "more cores", "fewer bits"};
        for (int k = 0; k < 4; k++) {
            int64_t c = point_cycles(&more[k]);
            points++, pairs++;
            if (c < 0 || c > base) {
                char buf[160];
                describe(&p, buf, sizeof buf);
                fail_msg("%s is slower: %s takes %lld cycles, with %s %lld",
                         what[k], buf, (long long)base, what[k], (long long)c);
            }
        }
    }
    print_message("%d design points, %d pairs, 0 violations\n", points, pairs);
    assert_true(points > 3000);
}

static void resnet(Net *net, int bits, int batch)
{
    Err e;
    assert_int_equal(net_build(net, "resnet50", &e), QA_OK);
    net_set_batch(net, batch);
    BitPolicy bp = {bits, bits, bits < 8 ? 8 : bits, 0};
    assert_int_equal(net_apply_bits(net, &bp, &e), QA_OK);
}

static void pact(Accel *a)
{
    Err e;
    assert_int_equal(arch_load(a, "arch/pact2018.cfg", &e), QA_OK);
}

static int64_t run_cycles(const Accel *a, const Net *net)
{
    TileSchedule ts;
    RunStats rs;
    Err e;
    assert_int_equal(map_net(a, net, &ts, &e), QA_OK);
    assert_int_equal(analytic_run(a, net, &ts, &rs, &e), QA_OK);
    int64_t c = rs.cycles;
    stats_free(&rs);
    tile_free(&ts);
    return c;
}

/* ResNet-50 on the PACT chip: the sweeps of the default study, each
 * resource alone. */
static void test_more_sram_never_slower(void **state)
{
    (void)state;
    static const int bits[] = {16, 4};
    for (size_t b = 0; b < QA_COUNT(bits); b++) {
        Net net;
        resnet(&net, bits[b], 4);
        Accel a;
        pact(&a);
        int64_t prev = INT64_MAX;
        for (int64_t kib = 256; kib <= 8192; kib *= 2) {
            a.sram_bytes = kib * 1024;
            int64_t c = run_cycles(&a, &net);
            if (c > prev)
                fail_msg("%d bits: %lld KiB takes %lld cycles, half of it %lld",
                         bits[b], (long long)kib, (long long)c, (long long)prev);
            prev = c;
        }
        net_free(&net);
    }
}


static void test_more_bandwidth_never_slower(void **state)
{
    (void)state;
    static const double gbps[] = {4, 8, 16, 32, 64, 128, 256, 0};
    static const int bits[] = {16, 4};
    for (size_t b = 0; b < QA_COUNT(bits); b++) {
        Net net;
        resnet(&net, bits[b], 4);
        Accel a;
        pact(&a);
        int64_t prev = INT64_MAX;
        for (size_t i = 0; i < QA_COUNT(gbps); i++) {
            a.dram_gbps = gbps[i];
            int64_t c = run_cycles(&a, &net);
            if (c > prev)
                fail_msg("%d bits: %g GB/s takes %lld cycles, less took %lld",
                         bits[b], gbps[i], (long long)c, (long long)prev);
            prev = c;
        }
        net_free(&net);
    }
}

static void test_fewer_bits_never_slower(void **state)
{
    (void)state;
    static const int bits[] = {16, 8, 4, 2};
    for (int df = 0; df < DF_COUNT; df++) {
        Accel a;
        pact(&a);
        a.dram_gbps = 0;
        a.dataflow = (Dataflow)df;
        int64_t prev = INT64_MAX;
        for (size_t b = 0; b < QA_COUNT(bits); b++) {
            Net net;
            resnet(&net, bits[b], 1);
            int64_t c = run_cycles(&a, &net);
            if (c > prev)
                fail_msg("%s: %d bits takes %lld cycles, more bits %lld",
                         arch_dataflow_name((Dataflow)df), bits[b],
                         (long long)c, (long long)prev);
            prev = c;
            net_free(&net);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_narrower_folds_when_faster),
        cmocka_unit_test(test_optimum_equals_brute_force),
        cmocka_unit_test(test_total_is_the_engines),
        cmocka_unit_test(test_more_resources_never_slower),
        cmocka_unit_test(test_more_sram_never_slower),
        cmocka_unit_test(test_more_bandwidth_never_slower),
        cmocka_unit_test(test_fewer_bits_never_slower),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
