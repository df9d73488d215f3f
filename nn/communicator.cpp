#include "nn/communicator.h"

#include <cstdlib>

#include "core/error.h"

namespace lockstep::nn {

std::unique_ptr<Communicator> open_mpi_world();  // nn/mpi_world.cpp or nn/no_mpi_world.cpp

namespace {

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  std::vector<float> all_gather(const std::vector<float>& mine, const std::vector<i64>&) override { return mine; }
  std::vector<std::string> all_gather_text(const std::string& mine) override { return {mine}; }
  void all_reduce_sum(std::vector<float>&) override {}
  bool any(bool mine) override { return mine; }
  [[noreturn]] void abort(int exit_code) override { std::exit(exit_code); }
  std::string description() const override { return "1 process"; }
};

// Set by mpirun/mpiexec (Open MPI, MPICH, Slurm's PMI) in every process it starts.
bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(var)) return true;
  return false;
}

std::unique_ptr<Communicator>& world_slot() {
  static std::unique_ptr<Communicator> w;
  return w;
}

}  // namespace

std::unique_ptr<Communicator> make_single_process_world() { return std::make_unique<SingleProcess>(); }

Communicator& world() {
  std::unique_ptr<Communicator>& w = world_slot();
  if (!w) w = launched_by_mpi() ? open_mpi_world() : make_single_process_world();
  return *w;
}

void close_world() { world_slot().reset(); }

bool world_opened() { return world_slot() != nullptr; }

}  // namespace lockstep::nn
