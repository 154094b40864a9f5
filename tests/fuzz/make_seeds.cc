// Writes the sample models (tests/fuzz/sample_models.h) as model files into
// a directory, as the fuzzers' seed corpus:
//   attune_fuzz_seeds tests/fuzz/corpus/seeds

#include <cstdio>
#include <string>

#include "engine/model.h"
#include "tests/fuzz/sample_models.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  for (const auto& [name, graph] : attune::testing_models::AllSampleModels()) {
    const std::string path = std::string(argv[1]) + "/" + name + ".attune";
    absl::Status status = attune::WriteModelFile(graph, path);
    if (!status.ok()) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), status.ToString().c_str());
      return 1;
    }
    std::printf("wrote %s\n", path.c_str());
  }
  return 0;
}
