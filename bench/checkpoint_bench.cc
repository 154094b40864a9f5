// Checkpoint save and restore throughput (MB/s) at 1, 16 and 128 MB of
// variables, beside write()+fsync() of the same bytes to a plain file on the
// same file system in the same run. BM_CheckpointSaveVsWriteFsync alternates
// the two every iteration (so load drift hits both) and reports the ratio.
// Files go to $ATTUNE_BENCH_DIR, else $TMPDIR, else /tmp: point it at the
// storage you care about (a tmpfs makes fsync free).

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "checkpoint/store.h"

namespace attune {
namespace {

constexpr int kTensors = 4;  // the bytes are split over this many tensors

std::string BenchDir() {
  for (const char* var : {"ATTUNE_BENCH_DIR", "TMPDIR"}) {
    const char* value = std::getenv(var);
    if (value != nullptr && *value != '\0') return value;
  }
  return "/tmp";
}

// `megabytes` MiB of float32 variables with non-trivial values.
struct Payload {
  explicit Payload(int64_t megabytes) {
    const int64_t floats = megabytes * (1 << 20) / 4 / kTensors;
    data.resize(kTensors);
    for (int t = 0; t < kTensors; ++t) {
      data[t].resize(floats);
      for (int64_t i = 0; i < floats; ++i) {
        data[t][i] = static_cast<float>(i % 1000) * 0.001f + t;
      }
    }
  }
  CheckpointToWrite ToWrite() const {
    CheckpointToWrite c;
    c.fingerprint = "bench";
    for (int t = 0; t < kTensors; ++t) {
      c.tensors.push_back({"layer_" + std::to_string(t) + "/kernel",
                           DType::kFloat32,
                           {static_cast<int64_t>(data[t].size())},
                           {reinterpret_cast<const uint8_t*>(data[t].data()),
                            data[t].size() * sizeof(float)}});
    }
    return c;
  }
  int64_t bytes() const {
    return static_cast<int64_t>(kTensors * data[0].size() * sizeof(float));
  }
  std::vector<std::vector<float>> data;
};

void RemoveDb(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path + suffix);
  }
}

// write() every tensor to a fresh file, fsync, close.
bool WriteFsync(const std::string& path, const Payload& payload) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return false;
  bool ok = true;
  for (const auto& tensor : payload.data) {
    const char* p = reinterpret_cast<const char*>(tensor.data());
    size_t left = tensor.size() * sizeof(float);
    while (ok && left > 0) {
      const ssize_t n = write(fd, p, left);
      if (n <= 0)
        ok = false;
      else
        p += n, left -= static_cast<size_t>(n);
    }
  }
  ok = ok && fsync(fd) == 0;
  return close(fd) == 0 && ok;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

StoreOptions OptionsFor(int durability, int background_fold = 1) {
  StoreOptions options;
  options.durability =
      durability == 0 ? Durability::kFull : Durability::kNormal;
  options.background_fold = background_fold != 0;
  return options;
}

// Save throughput. keep: 0 keeps every checkpoint (the file grows; a save
// only appends), 2 prunes to the last two in the same transaction (freed
// pages are reused; deleting a blob walks its overflow chain), as an app
// with a short history does. fold: 1 folds the WAL on the store's
// background thread (the default), 0 on the saving thread.
void BM_CheckpointSave(benchmark::State& state) {
  const Payload payload(state.range(0));
  const std::string path = BenchDir() + "/attune_bench_save.db";
  RemoveDb(path);
  auto store = CheckpointStore::Open(
      path, OptionsFor(state.range(1), state.range(3)));
  if (!store.ok())
    return state.SkipWithError(store.status().ToString().c_str());
  const CheckpointToWrite c = payload.ToWrite();
  for (auto _ : state) {
    auto id = (*store)->Write(c, static_cast<int>(state.range(2)));
    if (!id.ok()) return state.SkipWithError(id.status().ToString().c_str());
  }
  state.SetBytesProcessed(state.iterations() * payload.bytes());
  store->reset();
  RemoveDb(path);
}
BENCHMARK(BM_CheckpointSave)
    ->ArgNames({"MB", "normal", "keep", "fold"})
    ->ArgsProduct({{1, 16, 128}, {0, 1}, {0, 2}, {1, 0}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// What attune::Save and the save(path) signature do per call: open the
// database, save, close (the last connection's close copies the WAL into
// the database and deletes it). keep and fold as in BM_CheckpointSave.
void BM_CheckpointOpenSaveClose(benchmark::State& state) {
  const Payload payload(state.range(0));
  const std::string path = BenchDir() + "/attune_bench_open_save.db";
  RemoveDb(path);
  const CheckpointToWrite c = payload.ToWrite();
  for (auto _ : state) {
    auto store = CheckpointStore::Open(path, OptionsFor(0, state.range(2)));
    if (!store.ok())
      return state.SkipWithError(store.status().ToString().c_str());
    auto id = (*store)->Write(c, static_cast<int>(state.range(1)));
    if (!id.ok()) return state.SkipWithError(id.status().ToString().c_str());
  }
  state.SetBytesProcessed(state.iterations() * payload.bytes());
  RemoveDb(path);
}
BENCHMARK(BM_CheckpointOpenSaveClose)
    ->ArgNames({"MB", "keep", "fold"})
    ->ArgsProduct({{1, 16}, {0, 2}, {1, 0}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Restore throughput: read every tensor with checksum checks, then copy
// into the destination buffers (what RestoreVariables does).
void BM_CheckpointRestore(benchmark::State& state) {
  Payload payload(state.range(0));
  const std::string path = BenchDir() + "/attune_bench_restore.db";
  RemoveDb(path);
  auto store = CheckpointStore::Open(path);
  if (!store.ok())
    return state.SkipWithError(store.status().ToString().c_str());
  auto id = (*store)->Write(payload.ToWrite());
  if (!id.ok()) return state.SkipWithError(id.status().ToString().c_str());
  for (auto _ : state) {
    auto tensors = (*store)->ReadTensors(*id);
    if (!tensors.ok()) {
      return state.SkipWithError(tensors.status().ToString().c_str());
    }
    for (int t = 0; t < kTensors; ++t) {
      std::memcpy(payload.data[t].data(), (*tensors)[t].data.data(),
                  (*tensors)[t].data.size());
    }
    benchmark::DoNotOptimize(payload.data[0].data());
  }
  state.SetBytesProcessed(state.iterations() * payload.bytes());
  store->reset();
  RemoveDb(path);
}
BENCHMARK(BM_CheckpointRestore)
    ->ArgName("MB")
    ->Arg(1)
    ->Arg(16)
    ->Arg(128)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The baseline alone.
void BM_WriteFsync(benchmark::State& state) {
  const Payload payload(state.range(0));
  const std::string path = BenchDir() + "/attune_bench_plain.bin";
  for (auto _ : state) {
    if (!WriteFsync(path, payload)) return state.SkipWithError("write/fsync");
  }
  state.SetBytesProcessed(state.iterations() * payload.bytes());
  std::filesystem::remove(path);
}
BENCHMARK(BM_WriteFsync)
    ->ArgName("MB")
    ->Arg(1)
    ->Arg(16)
    ->Arg(128)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Save (synchronous=FULL; keep and fold as in BM_CheckpointSave) and
// write()+fsync() alternated; counters in MB/s and ratio = save /
// write+fsync throughput. After each timed write an untimed pause (100 ms +
// 10 ms per MB) stands for the training between an app's saves and lets the
// kernel's writeback (and the background fold) of one measurement finish
// before the other starts.
void BM_CheckpointSaveVsWriteFsync(benchmark::State& state) {
  const Payload payload(state.range(0));
  const std::string db = BenchDir() + "/attune_bench_vs.db";
  const std::string plain = BenchDir() + "/attune_bench_vs.bin";
  RemoveDb(db);
  auto store = CheckpointStore::Open(db, OptionsFor(0, state.range(2)));
  if (!store.ok())
    return state.SkipWithError(store.status().ToString().c_str());
  const CheckpointToWrite c = payload.ToWrite();
  const auto gap = std::chrono::milliseconds(100 + 10 * state.range(0));
  double save_s = 0, plain_s = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    auto id = (*store)->Write(c, static_cast<int>(state.range(1)));
    save_s += Seconds(start);
    if (!id.ok()) return state.SkipWithError(id.status().ToString().c_str());
    std::this_thread::sleep_for(gap);
    start = std::chrono::steady_clock::now();
    if (!WriteFsync(plain, payload)) return state.SkipWithError("write/fsync");
    plain_s += Seconds(start);
    std::this_thread::sleep_for(gap);
  }
  const double mb = static_cast<double>(payload.bytes()) / (1 << 20) *
                    static_cast<double>(state.iterations());
  state.counters["save_MBps"] = mb / save_s;
  state.counters["write_fsync_MBps"] = mb / plain_s;
  state.counters["ratio"] = plain_s / save_s;
  store->reset();
  RemoveDb(db);
  std::filesystem::remove(plain);
}
BENCHMARK(BM_CheckpointSaveVsWriteFsync)
    ->ArgNames({"MB", "keep", "fold"})
    ->ArgsProduct({{1, 16, 128}, {0, 2}, {1, 0}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace attune
