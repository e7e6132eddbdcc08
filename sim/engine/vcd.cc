// vcd.cc: the value-change dump through a FIFO (see vcd.hh).
#include "sim/engine/vcd.hh"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

// What the $date section says instead of the wall-clock time.
const char kDate[] = "\n     (not recorded: identical runs give identical files)\n";

// Replaces the text of the leading "$date ... $end" of head. Returns true
// when head needs no more bytes for that (done, or there is no $date).
bool fix_date(std::string &head)
{
    size_t start = head.find_first_not_of(" \t\r\n");
    if (start == std::string::npos)
        return false;
    if (head.compare(start, 5, "$date") != 0)
        return head.size() - start >= 5;
    size_t end = head.find("$end", start + 5);
    if (end == std::string::npos)
        return false;
    head.replace(start + 5, end - (start + 5), kDate);
    return true;
}

}  // namespace

std::string VcdSink::open(const char *path)
{
    Err e;
    err_clear(&e);
    if (qa_afile_open(&af_, path, &e) != QA_OK)
        return std::string(path) + ": " + e.msg;
    open_ = true;
    const char *tmpdir = getenv("TMPDIR");
    std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") +
                       "/qarray-vcd.XXXXXX";
    std::string buf = tmpl;
    if (!mkdtemp(&buf[0]))
        return tmpl + ": cannot create folder: " + strerror(errno);
    dir_ = buf;
    base_ = dir_ + "/trace";
    fifo_ = base_ + ".vcd";
    if (mkfifo(fifo_.c_str(), 0600) != 0)
        return fifo_ + ": cannot create FIFO: " + strerror(errno);
    // The reader end first (non-blocking: no writer yet), then a writer of
    // our own, so the reader sees end of file only once both SystemC's
    // writer and ours are closed.
    rfd_ = ::open(fifo_.c_str(), O_RDONLY | O_NONBLOCK);
    if (rfd_ < 0)
        return fifo_ + ": " + strerror(errno);
    keep_fd_ = ::open(fifo_.c_str(), O_WRONLY);
    if (keep_fd_ < 0)
        return fifo_ + ": " + strerror(errno);
    reader_ = std::thread(&VcdSink::copy, this);
    return "";
}

void VcdSink::copy()
{
    std::string head;
    bool header_done = false;
    char buf[65536];
    auto put = [this](const char *p, size_t n) {
        if (!write_err_ && n && fwrite(p, 1, n, af_.f) != n)
            write_err_ = errno ? errno : EIO;
    };
    for (;;) {
        struct pollfd pfd = {rfd_, POLLIN, 0};
        int ready = poll(&pfd, 1, 100);
        if (ready < 0 && errno != EINTR)
            break;
        if (ready <= 0) {
            if (stop_)
                break;
            continue;
        }
        ssize_t n = read(rfd_, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (!write_err_)
                write_err_ = errno;
            break;
        }
        if (n == 0)
            break;  // every writer closed: the whole trace is here
        if (header_done) {
            put(buf, static_cast<size_t>(n));
            continue;
        }
        head.append(buf, static_cast<size_t>(n));
        if (fix_date(head) || head.size() > sizeof buf) {
            put(head.data(), head.size());
            head.clear();
            header_done = true;
        }
    }
    put(head.data(), head.size());
}

std::string VcdSink::finish()
{
    if (keep_fd_ >= 0)
        close(keep_fd_);
    keep_fd_ = -1;
    if (reader_.joinable())
        reader_.join();
    Err e;
    err_clear(&e);
    std::string msg;
    if (write_err_) {
        qa_afile_abort(&af_);
        msg = std::string(af_.path) + ": write failed: " + strerror(write_err_);
    } else if (qa_afile_commit(&af_, &e) != QA_OK) {
        msg = std::string(e.file) + ": " + e.msg;
    }
    open_ = false;
    return msg;
}

VcdSink::~VcdSink()
{
    // A run that failed: the reader stops at its next poll (SystemC may
    // never close its end), then every file of ours goes.
    stop_ = true;
    if (keep_fd_ >= 0)
        close(keep_fd_);
    if (reader_.joinable())
        reader_.join();
    if (open_)
        qa_afile_abort(&af_);
    if (rfd_ >= 0)
        close(rfd_);
    if (!fifo_.empty())
        unlink(fifo_.c_str());
    if (!dir_.empty())
        rmdir(dir_.c_str());
}
