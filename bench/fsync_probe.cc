// fsync_probe: how many write+fdatasync round trips per second the disk under DIR can do.
// Appends 4 KiB blocks to a fresh file and calls fdatasync after each, like a WAL that commits
// one record at a time. bench/run.sh uses the rate as the denominator of the group-commit ratio:
// durable appends/s divided by fdatasyncs/s says how many appends share one sync.
//
//   fsync_probe DIR [COUNT=1000] [--preallocated]
// --preallocated: the file is first filled with zeros and synced, and the blocks overwrite it,
// as the WAL writes into preallocated segments (docs/format/wal.md): no inode write per sync.
// Output (one line, parsed by bench/run.sh):
//   fsync_probe count=1000 seconds=2.51 per_sec=398.4 p50_us=2431 p99_us=4410 cpu_us=54.1
// cpu_us: this process's CPU time (user + system) per write+fdatasync. On a VM the guest pays
// for the virtio kick that submits the write inside that time (docs/benchmarks.md, session 10).
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fsync_probe DIR [COUNT]\n");
    return 2;
  }
  const std::string path = std::string(argv[1]) + "/fsync-probe.tmp";
  const int count = argc > 2 ? std::atoi(argv[2]) : 1000;
  const bool preallocated = argc > 3 && std::string(argv[3]) == "--preallocated";
  if (count <= 0) {
    std::fprintf(stderr, "fsync_probe: COUNT must be positive\n");
    return 2;
  }

  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "fsync_probe: open %s: %s\n", path.c_str(), std::strerror(errno));
    return 1;
  }
  std::vector<char> block(4096, 'x');
  if (preallocated) {
    std::vector<char> zeros(1 << 20, 0);
    for (long left = static_cast<long>(count) * 4096 + 1; left > 0; left -= static_cast<long>(zeros.size())) {
      if (::write(fd, zeros.data(), zeros.size()) != static_cast<ssize_t>(zeros.size())) {
        std::fprintf(stderr, "fsync_probe: preallocating: %s\n", std::strerror(errno));
        return 1;
      }
    }
    if (::fsync(fd) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
      std::fprintf(stderr, "fsync_probe: preallocating: %s\n", std::strerror(errno));
      return 1;
    }
  }
  std::vector<double> micros;
  micros.reserve(static_cast<size_t>(count));

  auto cpu_seconds = [] {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  using Clock = std::chrono::steady_clock;
  const double cpu_start = cpu_seconds();
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    const auto t0 = Clock::now();
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0) {
      std::fprintf(stderr, "fsync_probe: write/fdatasync: %s\n", std::strerror(errno));
      ::close(fd);
      ::unlink(path.c_str());
      return 1;
    }
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu_start;
  ::close(fd);
  ::unlink(path.c_str());

  std::sort(micros.begin(), micros.end());
  auto pct = [&](double p) { return micros[static_cast<size_t>(p * (micros.size() - 1))]; };
  std::printf("fsync_probe count=%d seconds=%.3f per_sec=%.1f p50_us=%.0f p99_us=%.0f cpu_us=%.1f\n",
              count, seconds, count / seconds, pct(0.50), pct(0.99), cpu / count * 1e6);
  return 0;
}
