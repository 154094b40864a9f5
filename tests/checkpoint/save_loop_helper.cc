// Child process of tests/checkpoint/faults_test.cc: saves checkpoints to a
// database in an endless loop until it is killed.
//
//   checkpoint_save_loop_helper DB ELEMENTS KEEP_LAST
//
// Resumes at step latest+1 of DB. Step s writes tensor "a" (ELEMENTS
// float32 from SaveLoopValue(s, i)) and "b" (int64 [s, s+1]) with property
// "epoch" = s, pruning to KEEP_LAST untagged checkpoints in the same
// transaction; after each Write returns OK it writes s (int64) to stdout, so
// the parent knows which steps are committed. Exits 1 on any error (on
// stderr).

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "checkpoint/store.h"
#include "tests/checkpoint/save_loop_values.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DB ELEMENTS KEEP_LAST\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const int64_t elements = std::atoll(argv[2]);
  const int keep_last = std::atoi(argv[3]);
  auto store = attune::CheckpointStore::Open(path);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  int64_t step = 1;
  if (auto latest = (*store)->Find("latest"); latest.ok()) {
    step = latest->step + 1;
  }
  std::vector<float> a(static_cast<size_t>(elements));
  for (;; ++step) {
    for (int64_t i = 0; i < elements; ++i) {
      a[i] = attune::testing::SaveLoopValue(step, i);
    }
    const int64_t b[2] = {step, step + 1};
    attune::CheckpointToWrite c;
    c.step = step;
    c.fingerprint = "save_loop";
    c.properties["epoch"] = step;
    c.tensors = {{"a",
                  attune::DType::kFloat32,
                  {elements},
                  {reinterpret_cast<const uint8_t*>(a.data()),
                   a.size() * sizeof(float)}},
                 {"b",
                  attune::DType::kInt64,
                  {2},
                  {reinterpret_cast<const uint8_t*>(b), sizeof(b)}}};
    auto id = (*store)->Write(c, keep_last);
    if (!id.ok()) {
      std::fprintf(stderr, "%s\n", id.status().ToString().c_str());
      return 1;
    }
    if (write(STDOUT_FILENO, &step, sizeof(step)) != sizeof(step)) return 1;
  }
}
