/* sweep.c: runs the points of a study (see sweep.h).
 *
 * Layout of the output folder OUT:
 *   points.db            the study database (store.h): every point's row
 *                        and layers, committed one point at a time
 *                        (points.shard-I-of-N.db for a shard)
 *   points.csv           every point in id order, written from the
 *                        database at the end (points.shard-I-of-N.csv)
 *   layers/pNNNNNN.csv   the point's per-layer CSV, from the database
 *                        (whole studies and merges, not shards)
 *   config.cfg           the base chip, every key (arch_save)
 * Workers are forked processes (SystemC elaborates once per process, and
 * point_run forks its own child for that engine); the workers claim the
 * todo entries in groups that share a baseline, the next unclaimed group
 * each time, and send each point (row and layers) over their own pipe to
 * the sweep process, the database's one writer. A point that does not fit
 * the chip is recorded as infeasible and the sweep goes on. */
#include "sim/study/claims.h"
#include "sim/study/plot.h"
#include "sim/study/points.h"
#include "sim/study/store.h"
#include "sim/study/sweep.h"
#include "models/mapper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int ends_with(const char *s, const char *sfx)
{
    size_t n = strlen(s), m = strlen(sfx);
    return n >= m && !strcmp(s + n - m, sfx);
}

void sweep_point_spec(const StudyPoint *p, PointSpec *ps)
{
    point_defaults(ps);
    ps->accel = p->accel;
    const char *w = p->v[STUDY_WORKLOAD]->text;
    if (ends_with(w, ".csv"))
        snprintf(ps->topo_path, sizeof ps->topo_path, "%s", w);
    else if (onnx_is_path(w)) {
        snprintf(ps->onnx_path, sizeof ps->onnx_path, "%s", w);
        if (p->onnx)
            ps->onnx = *p->onnx;
    }
    else
        snprintf(ps->workload, sizeof ps->workload, "%s", w);
    ps->w_bits = (int)p->v[STUDY_BITS]->i0;
    ps->a_bits = (int)p->v[STUDY_BITS]->i1;
    ps->first_last_bits = study_first_last_bits(p);
    ps->batch = (int)p->v[STUDY_BATCH]->i0;
    if (point_engine_parse(p->v[STUDY_ENGINE]->text, &ps->engine) != QA_OK)
        ps->engine = ENGINE_COUNT;
}

int sweep_check(const Study *s, Err *e)
{
    const StudyAxisValues *wl = &s->axes[STUDY_WORKLOAD];
    for (int i = 0; i < wl->n; i++) {
        const char *w = wl->v[i].text;
        Net net;
        Err ne;
        int file = ends_with(w, ".csv") || onnx_is_path(w);
        int rc = ends_with(w, ".csv") ? topo_csv_load(&net, w, &ne)
                 : onnx_is_path(w)    ? onnx_load(&net, w, &s->onnx, &ne)
                                      : net_build(&net, w, &ne);
        net_free(&net);
        if (rc != QA_OK) {
            if (file)
                *e = ne;
            else
                err_set(e, s->file, wl->v[i].line, "workload",
                        "\"%s\" is not a built-in network (%s), a .csv or "
                        "an .onnx", w, net_builtin_names());
            return QA_ERR;
        }
    }
    return QA_OK;
}

/* The baseline is point_run's own reference (every layer at base_bits, the
 * rest unchanged) unless the study moved another axis. */
static int baseline_is_base(const Study *s, const StudyPoint *p,
                            const StudyPoint *b)
{
    int bb = p->accel.base_bits;
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        if (ax != STUDY_BITS && ax != STUDY_FIRST_LAST && s->baseline_set[ax] &&
            strcmp(b->v[ax]->text, p->v[ax]->text))
            return 0;
    return b->v[STUDY_BITS]->i0 == bb && b->v[STUDY_BITS]->i1 == bb &&
           study_first_last_bits(b) == bb;
}

/* The run a point stands for: its axis values with first_last replaced by
 * the bits it resolves to (16 bits with first_last 8 is all 16 bits). */
static void run_key(const StudyPoint *p, char *buf, size_t n)
{
    size_t len = 0;
    for (int ax = 0; ax < STUDY_NAXES && len < n; ax++) {
        if (ax == STUDY_FIRST_LAST)
            len += (size_t)snprintf(buf + len, n - len, "%d,",
                                    study_first_last_bits(p));
        else
            len += (size_t)snprintf(buf + len, n - len, "%s,", p->v[ax]->text);
    }
}

/* Runs this process has done, by run_key: baselines (cycles only) and
 * points (record and layers). Points that differ only in the fastest axes
 * share a baseline, and 16 or 8 bits with first_last 8 or "same" are the
 * same run; a worker takes such points together (see worker), so a short
 * ring catches every reuse without growing with the study. */
#define RUN_CACHE 16
typedef struct {
    char key[512];
    int64_t cycles;
    double energy_pj;        /* the run's energy (0 without a model) */
    RunRecord rec;           /* full entries: the point's record */
    LayerRecord *layers;     /* full entries: (nl) */
    int nl, full;
} CacheEntry;

typedef struct {
    CacheEntry e[RUN_CACHE];
    int next;
} RunCache;

static const CacheEntry *cache_find(const RunCache *c, const char *key,
                                    int full)
{
    for (int i = 0; i < RUN_CACHE; i++)
        if (c->e[i].cycles > 0 && (c->e[i].full || !full) &&
            !strcmp(c->e[i].key, key))
            return &c->e[i];
    return NULL;
}

/* layers NULL: a baseline, cycles only. Without memory for the layers the
 * entry keeps the cycles: a cache, not a store. */
static void cache_put(RunCache *c, const char *key, const RunRecord *rec,
                      const LayerRecord *layers, int nl)
{
    CacheEntry *en = &c->e[c->next];
    c->next = (c->next + 1) % RUN_CACHE;
    free(en->layers);
    memset(en, 0, sizeof *en);
    snprintf(en->key, sizeof en->key, "%s", key);
    en->cycles = rec->cycles;
    en->energy_pj = rec->energy_uj * 1e6;
    if (!layers)
        return;
    en->layers = qa_malloc((size_t)QA_MAX(nl, 1) * sizeof *layers);
    if (!en->layers)
        return;
    memcpy(en->layers, layers, (size_t)nl * sizeof *layers);
    en->rec = *rec;
    en->nl = nl;
    en->full = 1;
}

static void cache_free(RunCache *c)
{
    for (int i = 0; i < RUN_CACHE; i++)
        free(c->e[i].layers);
    memset(c, 0, sizeof *c);
}

/* A point that does not fit is a result: its row says which layer and
 * why. from: "" for the point itself, else the run it came from. */
static void nofit(PointRow *row, const char *status, const Err *e,
                  const char *from)
{
    snprintf(row->status, sizeof row->status, "%s", status);
    snprintf(row->infeasible_layer, sizeof row->infeasible_layer, "%.*s",
             (int)sizeof row->infeasible_layer - 1, e->field);
    snprintf(row->reason, sizeof row->reason, "%.60s%.520s", from, e->msg);
}

/* A run the point's speedups need did not fit (why, from `from`): run the
 * point alone. If it fits, its row has its results and layers but no
 * speedups (POINTS_NO_BASELINE); else it is infeasible itself. */
static int point_alone(const PointSpec *ps, int64_t id, PointRow *row,
                       LayerRecord **layers, int *nl, const Err *why,
                       const char *from, Err *e)
{
    PointSpec only = *ps;
    Err e2;
    only.base_cycles = 1; /* no run at base_bits */
    memset(&row->rec, 0, sizeof row->rec);
    if (point_run(&only, &row->rec, layers, nl, &e2) != QA_OK) {
        if (!map_err_nofit(&e2)) {
            *e = e2;
            return QA_ERR;
        }
        memset(&row->rec, 0, sizeof row->rec);
        nofit(row, POINTS_INFEASIBLE, &e2, "");
        return QA_OK;
    }
    nofit(row, POINTS_NO_BASELINE, why, from);
    row->rec.base_cycles = 0;
    row->rec.speedup = 0;
    row->rec.base_energy_uj = 0;
    row->rec.energy_gain = 0;
    points_layers_name(id, row->layers_csv, sizeof row->layers_csv);
    return QA_OK;
}

/* Run one point (or reuse an identical run): its row and, when it fits,
 * its layers (*layers: nl rows, caller frees). The baseline runs once per
 * group of points (a point that is its own baseline is not run twice);
 * point_run skips its own 16-bit run when the baseline is that run. */
static int run_point(const Study *s, RunCache *cache, int64_t id,
                     PointRow *row, LayerRecord **layers_out, int *nl_out,
                     Err *e)
{
    StudyPoint p, b;
    PointSpec ps;
    LayerRecord *layers = NULL;
    const LayerRecord *lr;
    int nl = 0;
    char pkey[512], bkey[512];

    *layers_out = NULL;
    *nl_out = 0;
    study_point(s, id, &p);
    study_baseline(s, &p, &b);
    sweep_point_spec(&p, &ps);
    memset(row, 0, sizeof *row);
    snprintf(row->status, sizeof row->status, "%s", POINTS_OK);
    run_key(&p, pkey, sizeof pkey);
    run_key(&b, bkey, sizeof bkey);
    int is_base = baseline_is_base(s, &p, &b);
    const CacheEntry *hit = cache_find(cache, pkey, 1);
    const CacheEntry *base = cache_find(cache, bkey, 0);
    int64_t bc = base ? base->cycles : 0;
    double be = base ? base->energy_pj : 0;
    if (!bc && strcmp(pkey, bkey)) {
        PointSpec bs;
        RunRecord brec;
        sweep_point_spec(&b, &bs);
        /* Only the baseline's own cycles are wanted: any positive value
         * keeps point_run from running its 16-bit reference as well. */
        bs.base_cycles = 1;
        if (point_run(&bs, &brec, NULL, NULL, e) != QA_OK) {
            Err why = *e;
            if (!map_err_nofit(e) ||
                point_alone(&ps, id, row, layers_out, nl_out, &why,
                            "the study's baseline point: ", e) != QA_OK)
                goto fail;
            return QA_OK;
        }
        bc = brec.cycles;
        be = brec.energy_uj * 1e6;
        cache_put(cache, bkey, &brec, NULL, 0);
        hit = cache_find(cache, pkey, 1);
    }
    if (hit) {
        row->rec = hit->rec;
        lr = hit->layers;
        nl = hit->nl;
    } else {
        if (is_base) {
            ps.base_cycles = bc > 0 ? bc : 1;
            ps.base_energy_pj = be;
        }
        if (point_run(&ps, &row->rec, &layers, &nl, e) != QA_OK) {
            if (!map_err_nofit(e))
                goto fail;
            Err why = *e;
            if (is_base) { /* no other run: the point itself */
                memset(&row->rec, 0, sizeof row->rec);
                nofit(row, POINTS_INFEASIBLE, &why, "");
                return QA_OK;
            }
            /* The point, or its run at base_bits (for speedup_16)? */
            if (point_alone(&ps, id, row, layers_out, nl_out, &why,
                            "the run at base_bits: ", e) != QA_OK)
                goto fail;
            return QA_OK;
        }
        lr = layers;
        if (!bc) {
            bc = row->rec.cycles; /* the point is its own baseline */
            be = row->rec.energy_uj * 1e6;
        }
        if (is_base) {
            row->rec.base_cycles = bc;
            row->rec.speedup = row->rec.cycles > 0
                ? (double)bc / (double)row->rec.cycles : 0;
            row->rec.base_energy_uj = be * 1e-6;
            row->rec.energy_gain = row->rec.energy_uj > 0
                ? row->rec.base_energy_uj / row->rec.energy_uj : 0;
        }
        cache_put(cache, pkey, &row->rec, layers, nl);
    }
    row->baseline_cycles = bc;
    row->speedup_vs_baseline = row->rec.cycles > 0
        ? (double)row->baseline_cycles / (double)row->rec.cycles : 0;
    row->baseline_energy_uj = be * 1e-6;
    row->energy_gain_vs_baseline = row->rec.energy_uj > 0
        ? row->baseline_energy_uj / row->rec.energy_uj : 0;
    points_layers_name(id, row->layers_csv, sizeof row->layers_csv);
    if (!layers && nl > 0) {
        /* A cached run: the caller gets its own copy. */
        layers = qa_malloc((size_t)nl * sizeof *layers);
        if (!layers) {
            err_set(e, NULL, 0, NULL, "out of memory");
            goto fail;
        }
        memcpy(layers, lr, (size_t)nl * sizeof *layers);
    }
    *layers_out = layers;
    *nl_out = nl;
    return QA_OK;
fail:
    free(layers);
    /* Name the point by its id and the axes the study varies: an error
     * deep in a model says nothing of which point it came from. */
    char key[512];
    size_t len = (size_t)snprintf(key, sizeof key, "point %lld",
                                  (long long)id);
    const char *sep = ":";
    for (int ax = 0; ax < STUDY_NAXES && len < sizeof key; ax++)
        if (s->axes[ax].n > 1) {
            len += (size_t)snprintf(key + len, sizeof key - len, "%s %s=%s",
                                    sep, study_axis_name((StudyAxis)ax),
                                    p.v[ax]->text);
            sep = "";
        }
    char msg[sizeof e->msg];
    snprintf(msg, sizeof msg, "%.300s (%.200s)", e->msg, key);
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    return QA_ERR;
}

/* What a worker sends per point: this, then nl LayerRecords. */
typedef struct {
    int64_t id;
    int ok;
    Err err;
    PointRow row;
    int nl;
} Msg;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Progress bar state: the ETA counts only points run by this process,
 * not those a resume skipped. */
typedef struct {
    double t0, last;
    int64_t start;
} Progress;

/* At most ten redraws a second: a 100,000-point study finishes points far
 * faster than a terminal wants to draw them. */
static void progress(const SweepOpts *o, Progress *pg, int64_t done,
                     int64_t total)
{
    if (!o->progress || !isatty(STDERR_FILENO) || total <= 0)
        return;
    double now = now_s();
    if (done < total && now - pg->last < 0.1)
        return;
    pg->last = now;
    double el = now - pg->t0;
    int64_t ran = done - pg->start;
    int width = 30, filled = (int)(width * done / total);
    fprintf(stderr, "\rsweep [");
    for (int i = 0; i < width; i++)
        fputc(i < filled ? '#' : '.', stderr);
    fprintf(stderr, "] %lld/%lld  %.0fs elapsed", (long long)done,
            (long long)total, el);
    if (ran > 0)
        fprintf(stderr, ", ETA %.0fs   ",
                el * (double)(total - done) / (double)ran);
    if (done >= total)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Points in a row that share a baseline: the product of the fastest axes
 * the baseline sets (bits and first_last by default). */
static int64_t group_size(const Study *s)
{
    int64_t n = 1;
    for (int ax = STUDY_NAXES - 1; ax >= 0 && s->baseline_set[ax]; ax--)
        n *= s->axes[ax].n;
    return n;
}

/* What the workers share: the next group to claim, and a stop flag set
 * at the first failure. Lives in a MAP_SHARED mapping of /dev/zero (plain
 * POSIX), which fork keeps shared; the atomics are lock-free on the
 * platforms qarray builds on, so they work across processes. */
typedef struct {
    atomic_llong next;
    atomic_int stop;
} Shared;

/* Write all n bytes (a pipe may take them in parts). */
static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read all n bytes; 0 at once-only EOF before the first byte, -1 on a
 * short read or error, 1 when read. */
static int read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return got == 0 && r == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return 1;
}

/* Claim groups of g todo entries (the next unclaimed one each time, so a
 * slow group does not hold up the others) and send each point over fd;
 * stops at the first failure, its own or another worker's. Runs in a
 * forked child. */
static int worker(const Study *s, const int64_t *todo, int64_t ntodo,
                  Shared *sh, int fd)
{
    RunCache cache;
    int64_t g = group_size(s);
    int rc = 0;
    Msg *m = qa_calloc(1, sizeof *m);
    memset(&cache, 0, sizeof cache);
    if (!m)
        return 1;
    while (!rc && !atomic_load(&sh->stop)) {
        int64_t k0 = (int64_t)atomic_fetch_add(&sh->next, 1) * g;
        if (k0 >= ntodo)
            break;
        for (int64_t k = k0; k < k0 + g && k < ntodo && !rc; k++) {
            LayerRecord *layers = NULL;
            memset(m, 0, sizeof *m);
            m->id = todo[k];
            m->ok = run_point(s, &cache, todo[k], &m->row, &layers, &m->nl,
                              &m->err) == QA_OK;
            if (write_all(fd, m, sizeof *m) != 0 ||
                write_all(fd, layers, (size_t)m->nl * sizeof *layers) != 0 ||
                !m->ok) {
                atomic_store(&sh->stop, 1);
                rc = 1;
            }
            free(layers);
        }
    }
    cache_free(&cache);
    free(m);
    return rc;
}

/* Record one finished point in the store. */
static int put(Store *st, const Study *s, int64_t id, const PointRow *row,
               const LayerRecord *layers, int nl, int64_t *infeasible_n,
               Err *e)
{
    StudyPoint p;
    study_point(s, id, &p);
    if (!strcmp(row->status, POINTS_INFEASIBLE))
        (*infeasible_n)++;
    return store_put(st, &p, row, layers, nl, e);
}

/* The points of todo, in this process (-j 1) or in forked workers that
 * send each point back over their own pipe; only this process writes the
 * store, one transaction per point as it arrives. */
static int run_todo(const Study *s, const SweepOpts *o, Store *st,
                    const int64_t *todo, int64_t ntodo, int64_t total,
                    int64_t skipped, int64_t *infeasible_n, Err *e)
{
    int j = (int)QA_MIN((int64_t)QA_MAX(o->jobs, 1), ntodo);
    Progress pg = {now_s(), 0, skipped};
    int64_t done = skipped, failed_id = 0;
    int failed = 0;
    progress(o, &pg, done, total);
    if (j <= 1) {
        RunCache cache;
        int rc = QA_OK;
        memset(&cache, 0, sizeof cache);
        for (int64_t k = 0; k < ntodo && rc == QA_OK; k++) {
            PointRow row;
            LayerRecord *layers;
            int nl;
            rc = run_point(s, &cache, todo[k], &row, &layers, &nl, e);
            if (rc == QA_OK)
                rc = put(st, s, todo[k], &row, layers, nl, infeasible_n, e);
            free(layers);
            if (rc == QA_OK)
                progress(o, &pg, ++done, total);
        }
        cache_free(&cache);
        return rc;
    }
    Shared *sh = MAP_FAILED;
    int zero = open("/dev/zero", O_RDWR);
    if (zero >= 0) {
        sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED, zero, 0);
        close(zero);
    }
    if (sh == MAP_FAILED)
        return err_set(e, NULL, 0, "jobs", "shared memory: %s", strerror(errno));
    atomic_init(&sh->next, 0);
    atomic_init(&sh->stop, 0);
    pid_t *pids = qa_calloc((size_t)j, sizeof *pids);
    struct pollfd *pf = qa_calloc((size_t)j, sizeof *pf);
    Msg *m = qa_calloc(1, sizeof *m);
    LayerRecord *layers = NULL;
    int lcap = 0;
    if (!pids || !pf || !m) {
        free(pids);
        free(pf);
        free(m);
        munmap(sh, sizeof *sh);
        return err_set(e, NULL, 0, "jobs", "out of memory");
    }
    fflush(stdout);
    fflush(stderr);
    int started = 0;
    pid_t parent = getpid();
    for (int w = 0; w < j; w++) {
        int fds[2];
        if (pipe(fds) != 0) {
            err_set(e, NULL, 0, "jobs", "pipe: %s", strerror(errno));
            failed = 1;
            break;
        }
        pid_t pid = fork();
        if (pid == 0) {
            /* A killed sweep must not leave its workers running points on
             * as orphans (racing the rerun that resumes it): the kernel
             * kills them with the sweep. A worker whose sweep died before
             * prctl took effect has already been re-parented: leave. */
            if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
                _exit(1);
            close(fds[0]);
            for (int k = 0; k < started; k++)
                close(pf[k].fd);
            _exit(worker(s, todo, ntodo, sh, fds[1]));
        }
        close(fds[1]);
        if (pid < 0) {
            close(fds[0]);
            err_set(e, NULL, 0, "jobs", "fork: %s", strerror(errno));
            failed = 1;
            break;
        }
        pids[started] = pid;
        pf[started].fd = fds[0];
        pf[started].events = POLLIN;
        started++;
    }
    if (failed)
        atomic_store(&sh->stop, 1);
    int open_fds = started;
    while (open_fds > 0) {
        if (poll(pf, (nfds_t)started, -1) < 0) {
            if (errno == EINTR)
                continue;
            if (!failed)
                err_set(e, NULL, 0, "jobs", "poll: %s", strerror(errno));
            failed = 1;
            break;
        }
        for (int w = 0; w < started; w++) {
            if (pf[w].fd < 0 || !(pf[w].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int r = read_all(pf[w].fd, m, sizeof *m);
            if (r == 1 && m->nl > lcap) {
                LayerRecord *nb = qa_realloc(layers, (size_t)m->nl * sizeof *nb);
                if (nb) {
                    layers = nb;
                    lcap = m->nl;
                } else {
                    r = -1;
                }
            }
            if (r == 1 && m->nl > 0)
                r = read_all(pf[w].fd, layers, (size_t)m->nl * sizeof *layers) == 1 ? 1 : -1;
            if (r != 1) {
                /* End of this worker's points (or it died: waitpid says). */
                close(pf[w].fd);
                pf[w].fd = -1;
                open_fds--;
                continue;
            }
            if (m->ok) {
                if (failed)
                    continue;
                if (put(st, s, m->id, &m->row, layers, m->nl, infeasible_n, e) != QA_OK) {
                    failed = 1;
                    failed_id = -1;
                    atomic_store(&sh->stop, 1);
                    continue;
                }
                progress(o, &pg, ++done, total);
            } else if (!failed || (failed_id >= 0 && m->id < failed_id)) {
                /* The lowest failing id, so the message does not depend on
                 * which worker reported first. */
                *e = m->err;
                failed = 1;
                failed_id = m->id;
            }
        }
    }
    for (int w = 0; w < started; w++) {
        int st_;
        if (pf[w].fd >= 0)
            close(pf[w].fd);
        while (waitpid(pids[w], &st_, 0) < 0 && errno == EINTR)
            ;
        if (!failed && !(WIFEXITED(st_) && WEXITSTATUS(st_) == 0)) {
            err_set(e, NULL, 0, "jobs", "worker %d stopped (%s %d)", w,
                    WIFSIGNALED(st_) ? "signal" : "exit status",
                    WIFSIGNALED(st_) ? WTERMSIG(st_) : WEXITSTATUS(st_));
            failed = 1;
        }
    }
    free(pids);
    free(pf);
    free(m);
    free(layers);
    munmap(sh, sizeof *sh);
    if (!failed && done != total)
        return err_set(e, NULL, 0, "jobs", "%lld of %lld points reported",
                       (long long)done, (long long)total);
    return failed ? QA_ERR : QA_OK;
}

int sweep_run(const Study *s, const SweepOpts *o, SweepResult *r, Err *e)
{
    double t0 = now_s();
    char path[1100];
    Store *st = NULL;
    memset(r, 0, sizeof r[0]);
    if (o->shard_n < 1 || o->shard_i < 0 || o->shard_i >= o->shard_n)
        return err_set(e, NULL, 0, "--shard", "%ld/%ld is not I/N with 0 <= I < N",
                       o->shard_i, o->shard_n);
    if (o->shard_n > s->npoints)
        return err_set(e, NULL, 0, "--shard", "%ld shards of a study of %lld "
                       "points: at most one shard per point", o->shard_n,
                       (long long)s->npoints);
    if (sweep_check(s, e) != QA_OK)
        return QA_ERR;
    if (qa_mkdirs(s->out_dir, e) != QA_OK)
        return QA_ERR;
    /* The base chip as run, every key; shards write the same bytes. */
    snprintf(path, sizeof path, "%s/config.cfg", s->out_dir);
    if (arch_save(&s->accel, path, e) != QA_OK)
        return QA_ERR;
    store_path(s, o->shard_i, o->shard_n, r->db, sizeof r->db);
    unsigned flags = (o->resume ? STORE_RESUME : 0) | (o->no_layers ? STORE_NO_LAYERS : 0);
    if (store_open(&st, r->db, s, o->shard_i, o->shard_n, flags, e) != QA_OK)
        return QA_ERR;

    int64_t *todo = qa_calloc((size_t)(s->npoints / o->shard_n + 1), sizeof *todo);
    if (!todo) {
        store_close(st);
        return err_set(e, NULL, 0, NULL, "out of memory");
    }
    int rc = QA_ERR;
    int64_t ntodo = 0;
    for (int64_t id = o->shard_i; id < s->npoints; id += o->shard_n) {
        r->points++;
        if (o->resume) {
            int valid;
            if (store_valid(st, id, &valid, &r->dropped, e) != QA_OK)
                goto out;
            if (valid) {
                r->skipped++;
                continue;
            }
        }
        todo[ntodo++] = id;
    }
    if (run_todo(s, o, st, todo, ntodo, r->points, r->skipped, &r->infeasible,
                 e) != QA_OK)
        goto out;
    r->run = ntodo;

    /* The table (and the layer CSVs of a whole study) from the store. */
    if (o->shard_n > 1)
        snprintf(r->table, sizeof r->table, "%s/points.shard-%ld-of-%ld.csv",
                 s->out_dir, o->shard_i, o->shard_n);
    else
        snprintf(r->table, sizeof r->table, "%s/points.csv", s->out_dir);
    rc = store_export(st, r->table, o->shard_n == 1, &r->infeasible, e);
out:
    store_close(st);
    free(todo);
    r->seconds = now_s() - t0;
    return rc;
}

int sweep_finish(const Study *s, const char *table, int plots, FILE *out, Err *e)
{
    if (s->compare[0] && claims_print(s, table, out, e) != QA_OK)
        return QA_ERR;
    if (!plots)
        return QA_OK;
    if (plot_study(s, table, "results/plots", e) != QA_OK)
        return QA_ERR;
    fprintf(out, "plots in %s/plots/\n", s->out_dir);
    return QA_OK;
}
