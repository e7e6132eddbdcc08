// sim.cc: sim_run (the C facade of sim.h) and sc_main.
//
// SystemC elaborates once per process, so sim_run forks: the child enters
// SystemC through sc_elab_and_sim, which calls sc_main below; sc_main builds
// the Chip, runs it, and writes the statistics to a pipe, then the child
// leaves with _exit (no atexit handlers, no second flush of inherited stdio
// buffers). The parent reads the pipe and reaps the child.
//
// Functional mode: the tiles' arithmetic runs in the parent, which holds
// the data, in the order the child's cores finish the tiles. The child
// sends that order while it simulates (the data never changes the timing),
// and the parent computes as the records arrive. The child itself stays
// single-threaded: an OpenMP runtime that has run threads in the parent
// does not work in a forked child (GNU libgomp waits forever for its old
// workers), and the parent's GEMMs use them.
//
// Pipe format (native byte order, same binary on both ends):
//   functional mode: any number of  int32 TILES, int32 count,
//                    count x {int32 layer, int32 core, int64 tile}
//   int32 status (0 ok)
//   ok:    int32 n, int32 cores, int64 transactions,
//          LayerStats[n], double core_busy[n * cores]
//   error: int32 length, char message[length]
#include "sim/engine/sim.h"

#include "sim/engine/acct.h"
#include "sim/engine/chip.hh"
#include "sim/engine/sc_stats.hh"
#include "sim/engine/vcd.hh"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <csignal>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <systemc>
#include <unistd.h>

namespace {

// What the child's sc_main runs: set by sim_run just before the fork.
struct Job {
    const Accel *a;
    const TileSchedule *ts;
    const SimOptions *opt;
    int fd;
    SimTimeBase tb;
};
Job job;

int write_all(int fd, const void *buf, size_t n)
{
    const char *p = static_cast<const char *>(buf);
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return QA_ERR;
        p += w;
        n -= static_cast<size_t>(w);
    }
    return QA_OK;
}

int read_all(int fd, void *buf, size_t n)
{
    char *p = static_cast<char *>(buf);
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return QA_ERR;
        p += r;
        n -= static_cast<size_t>(r);
    }
    return QA_OK;
}

void send_error(int fd, const std::string &msg)
{
    int32_t status = 1, len = static_cast<int32_t>(msg.size());
    write_all(fd, &status, sizeof status);
    write_all(fd, &len, sizeof len);
    write_all(fd, msg.data(), msg.size());
}

int send_stats(int fd, const RunStats *rs)
{
    int32_t head[2] = {rs->n, rs->cores};
    int32_t status = 0;
    size_t n = static_cast<size_t>(rs->n);
    size_t cells = n * static_cast<size_t>(rs->cores);
    if (write_all(fd, &status, sizeof status) != QA_OK ||
        write_all(fd, head, sizeof head) != QA_OK ||
        write_all(fd, &rs->transactions, sizeof rs->transactions) != QA_OK ||
        write_all(fd, rs->layers, sizeof *rs->layers * n) != QA_OK ||
        write_all(fd, rs->core_busy, sizeof *rs->core_busy * cells) != QA_OK)
        return QA_ERR;
    return QA_OK;
}

// A tag that no status takes.
const int32_t TILES = 0x54494c45;

// The child's side of functional mode: tile records, sent in chunks.
struct TileRecord {
    int32_t layer, core;
    int64_t t;
};

struct Recorder {
    int fd;
    int32_t n;
    TileRecord rec[64];
};
Recorder recorder;

int flush_tiles(Recorder *r)
{
    int32_t head[2] = {TILES, r->n};
    int rc = QA_OK;
    if (r->n > 0 && (write_all(r->fd, head, sizeof head) != QA_OK ||
                     write_all(r->fd, r->rec, sizeof *r->rec *
                               static_cast<size_t>(r->n)) != QA_OK))
        rc = QA_ERR;
    r->n = 0;
    return rc;
}

int record_tile(void *ctx, int layer, int core, int64_t t, Err *e)
{
    Recorder *r = static_cast<Recorder *>(ctx);
    r->rec[r->n++] = TileRecord{layer, core, t};
    if (r->n == static_cast<int32_t>(QA_COUNT(r->rec)) && flush_tiles(r) != QA_OK)
        return err_set(e, NULL, 0, "systemc", "the parent process stopped "
                       "reading tiles");
    return QA_OK;
}

// Reports below error severity are dropped unless verbose; errors throw and
// come back to sim_run as a message.
void quiet_reports()
{
    using namespace sc_core;
    sc_report_handler::set_actions(SC_INFO, SC_DO_NOTHING);
    sc_report_handler::set_actions(SC_WARNING, SC_DO_NOTHING);
    sc_report_handler::set_actions(SC_ERROR, SC_THROW);
    sc_report_handler::set_actions(SC_FATAL, SC_THROW);
}

// The child's whole run; returns the message of what went wrong, or "".
std::string simulate(RunStats *rs)
{
    const Accel *a = job.a;
    const SimOptions *opt = job.opt;
    static const sc_core::sc_time_unit units[] = {
        sc_core::SC_FS, sc_core::SC_PS, sc_core::SC_NS,
        sc_core::SC_US, sc_core::SC_MS, sc_core::SC_SEC};
    sc_core::sc_time_unit unit = units[(job.tb.exp10 + 15) / 3];
    sc_core::sc_set_time_resolution(1, unit);
    if (stats_init(rs, job.ts->n) != QA_OK)
        return "out of memory";
    rs->cores = a->cores;
    rs->core_busy = static_cast<double *>(qa_calloc(
        static_cast<size_t>(job.ts->n) * static_cast<size_t>(a->cores),
        sizeof(double)));
    if (!rs->core_busy)
        return "out of memory";
    Stats st(a->cores);
    // The trace streams through a VcdSink into the output (all or
    // nothing, every write checked, no wall-clock date).
    VcdSink sink;
    if (opt->vcd_path) {
        std::string msg = sink.open(opt->vcd_path);
        if (!msg.empty())
            return msg;
        st.vcd = sc_core::sc_create_vcd_trace_file(sink.name().c_str());
        st.vcd->set_time_unit(1, unit);
    }
    recorder.fd = job.fd;
    recorder.n = 0;
    SimFunctional rec = {&recorder, record_tile, nullptr};
    Chip chip("chip", a, job.ts, opt->arbitration, opt->func ? &rec : nullptr,
              st, rs, job.tb.period);
    sc_core::sc_start();
    if (!chip.finished())
        return "no event left before the last layer ended (deadlock)";
    if (st.vcd) {
        sc_core::sc_close_vcd_trace_file(st.vcd);
        st.vcd = nullptr;
        return sink.finish();
    }
    return "";
}

}  // namespace

int sc_main(int, char **)
{
    if (!job.opt->verbose)
        quiet_reports();
    RunStats rs;
    std::memset(&rs, 0, sizeof rs);
    std::string msg;
    try {
        msg = simulate(&rs);
    } catch (const std::exception &ex) {
        msg = ex.what();
    }
    int rc = 0;
    if (job.opt->func && flush_tiles(&recorder) != QA_OK) {
        rc = 1;
    } else if (!msg.empty()) {
        send_error(job.fd, msg);
        rc = 1;
    } else if (send_stats(job.fd, &rs) != QA_OK) {
        rc = 1;
    }
    stats_free(&rs);
    return rc;
}

// The tile records up to the status: each tile computed by f as it
// arrives. After a failing tile the child is stopped and *status is left
// unread (QA_ERR with the tile's message).
static int read_tiles(int fd, pid_t pid, const SimFunctional *f,
                      int32_t *status, Err *e)
{
    TileRecord rec[QA_COUNT(recorder.rec)];
    for (;;) {
        int32_t n;
        if (read_all(fd, status, sizeof *status) != QA_OK)
            return err_set(e, NULL, 0, "systemc", "simulation process died");
        if (*status != TILES)
            return QA_OK;
        if (read_all(fd, &n, sizeof n) != QA_OK || n < 1 ||
            n > static_cast<int32_t>(QA_COUNT(rec)) ||
            read_all(fd, rec, sizeof *rec * static_cast<size_t>(n)) != QA_OK)
            return err_set(e, NULL, 0, "systemc", "bad tile records from the "
                           "simulation process");
        for (int32_t i = 0; i < n; i++)
            if (!f || f->tile(f->ctx, rec[i].layer, rec[i].core, rec[i].t, e) !=
                          QA_OK) {
                if (!f)
                    err_set(e, NULL, 0, "systemc", "tile records in a timing run");
                kill(pid, SIGKILL);
                return QA_ERR;
            }
    }
}

static int read_stats(int fd, int32_t status, RunStats *rs, Err *e)
{
    if (status != 0) {
        int32_t len;
        char msg[400];
        if (read_all(fd, &len, sizeof len) != QA_OK || len < 0)
            return err_set(e, NULL, 0, "systemc", "simulation failed");
        size_t keep = QA_MIN(static_cast<size_t>(len), sizeof msg - 1);
        if (read_all(fd, msg, keep) != QA_OK)
            return err_set(e, NULL, 0, "systemc", "simulation failed");
        msg[keep] = '\0';
        return err_set(e, NULL, 0, "systemc", "%s", msg);
    }
    int32_t head[2];
    if (read_all(fd, head, sizeof head) != QA_OK || head[0] != rs->n ||
        head[1] < 1)
        return err_set(e, NULL, 0, "systemc", "bad statistics from the "
                       "simulation process");
    size_t cells = static_cast<size_t>(head[0]) * static_cast<size_t>(head[1]);
    rs->cores = head[1];
    rs->core_busy = static_cast<double *>(qa_calloc(cells, sizeof(double)));
    if (!rs->core_busy)
        return err_set(e, NULL, 0, NULL, "out of memory");
    size_t n = static_cast<size_t>(rs->n);
    if (read_all(fd, &rs->transactions, sizeof rs->transactions) != QA_OK ||
        read_all(fd, rs->layers, sizeof *rs->layers * n) != QA_OK ||
        read_all(fd, rs->core_busy, sizeof *rs->core_busy * cells) != QA_OK)
        return err_set(e, NULL, 0, "systemc", "truncated statistics from the "
                       "simulation process");
    return QA_OK;
}

extern "C" int sim_run(const Accel *a, const TileSchedule *ts,
                       const SimOptions *opt, RunStats *rs, Err *e)
{
    static const SimOptions defaults = {NULL, 0, SIM_ARB_ROUND_ROBIN, NULL};
    std::memset(rs, 0, sizeof *rs);
    SimTimeBase tb;
    if (sim_time_base(a, ts, &tb, e) != QA_OK)
        return QA_ERR;
    if (opt && (opt->arbitration < 0 || opt->arbitration >= SIM_ARB_COUNT))
        return err_set(e, NULL, 0, "arbitration", "unknown policy %d",
                       static_cast<int>(opt->arbitration));
    if (stats_init(rs, ts->n) != QA_OK)
        return err_set(e, NULL, 0, NULL, "out of memory");
    int fds[2];
    if (pipe(fds) != 0)
        return err_set(e, NULL, 0, "systemc", "pipe: %s", strerror(errno));
    job = Job{a, ts, opt ? opt : &defaults, fds[1], tb};
    fflush(NULL);  // or the child would flush the parent's buffers again
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return err_set(e, NULL, 0, "systemc", "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        // A killed qarray (SIGKILL, a sweep stopped by its user) must not
        // leave its simulation running on as an orphan: the kernel kills
        // the child with its parent. If the parent died before prctl took
        // effect, the child has already been re-parented: leave at once.
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(1);
        close(fds[0]);
        if (!job.opt->verbose)
            setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
        char arg0[] = "qarray-sim";
        char *argv[] = {arg0, nullptr};
        int rc = sc_core::sc_elab_and_sim(1, argv);
        close(fds[1]);
        fflush(NULL);  // what the child itself printed (verbose reports)
        _exit(rc == 0 ? 0 : 1);
    }
    close(fds[1]);
    int32_t status;
    int rc = read_tiles(fds[0], pid, job.opt->func, &status, e);
    if (rc == QA_OK)
        rc = read_stats(fds[0], status, rs, e);
    close(fds[0]);
    int wstatus;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    if (rc == QA_OK && !(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0))
        rc = err_set(e, NULL, 0, "systemc", "simulation process failed");
    if (rc == QA_OK && job.opt->func && job.opt->func->finish)
        rc = job.opt->func->finish(job.opt->func->ctx, e);
    if (rc == QA_OK)
        stats_total(rs);
    return rc;
}
