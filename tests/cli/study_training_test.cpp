// `lockstep study training` in process: each call trains on its own seed's and data's batch
// order, whatever calls came before it in the same process. Its reference run (deterministic,
// batch 32) must end where `lockstep train` ends after as many steps.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cpu/parallel.h"
#include "tests/cli/tiny_mnist.h"
#include "tools/lockstep/train_run.h"
#include "tools/study/study.h"

namespace lockstep::study {
namespace {

namespace fs = std::filesystem;

class StudyTrainingInProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = fs::temp_directory_path() / ("lockstep_study_training_" + std::to_string(::getpid()));
    fs::create_directories(work_);
  }
  void TearDown() override { fs::remove_all(work_); }

  // The reference run's final fingerprint from a small study on `data` with `seed`.
  std::string reference_fingerprint(const std::string& data, std::uint64_t seed, long long steps = 3) {
    StudyOptions o;
    o.out = (work_ / ("run" + std::to_string(++runs_))).string();
    o.quick = true;
    o.seed = seed;
    o.threads = {1};
    o.runs = 1;
    o.steps = steps;
    o.data = data;
    EXPECT_EQ(run_training(o), 0);
    std::ifstream csv(o.out + "/training_runs.csv");
    std::string line;
    while (std::getline(csv, line))
      if (line.find(",ref,") != std::string::npos) return line.substr(line.rfind(',') + 1);
    ADD_FAILURE() << "no reference run in " << o.out << "/training_runs.csv";
    return "";
  }

  // The fingerprint `lockstep train` reaches after `steps` steps on `data` with `seed`.
  static std::string train_fingerprint(const std::string& data, std::uint64_t seed, long long steps = 3) {
    cli::TrainOptions o;
    o.data = data;
    o.recipe.seed = seed;
    o.max_steps = steps;
    o.threads = num_threads();
    o.checkpoint_dir.clear();
    o.quiet = true;
    return cli::run_training(o).fingerprint;
  }

  fs::path work_;
  int runs_ = 0;
};

TEST_F(StudyTrainingInProcess, ASecondCallUsesItsOwnSeedsOrder) {
  const test::TinyMnistDir data("study_seed");
  EXPECT_EQ(reference_fingerprint(data.path(), 1), train_fingerprint(data.path(), 1));
  EXPECT_EQ(reference_fingerprint(data.path(), 2), train_fingerprint(data.path(), 2));
}

TEST_F(StudyTrainingInProcess, ASecondCallUsesItsOwnDatasOrder) {
  // Same seed, data of another size: the batches must come from a permutation of its own
  // rows (an order of the first call's 40 rows cannot reach the 64th row).
  const test::TinyMnistDir small("study_small", 3, 40), large("study_large", 4, 200);
  EXPECT_EQ(reference_fingerprint(small.path(), 5, 1), train_fingerprint(small.path(), 5, 1));
  std::string second;
  EXPECT_NO_THROW(second = reference_fingerprint(large.path(), 5));
  EXPECT_EQ(second, train_fingerprint(large.path(), 5));
}

}  // namespace
}  // namespace lockstep::study
