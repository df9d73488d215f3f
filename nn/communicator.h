// The processes of a data-parallel run and the collectives it needs. A run started without
// an MPI launcher is a world of one process and needs no MPI at all; under `mpirun` (and in
// a build with LOCKSTEP_MPI) the world is MPI_COMM_WORLD. Only the main thread calls these.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/shape.h"

namespace lockstep::nn {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // This rank's index among the ranks on its host (picks its GPU).
  virtual int local_rank() const = 0;
  // Every rank's `mine` in rank order, concatenated; counts[r] is rank r's length, which
  // every rank knows (it follows from the batch and the world size).
  virtual std::vector<float> all_gather(const std::vector<float>& mine, const std::vector<i64>& counts) = 0;
  // Every rank's text, in rank order (lengths need not be known).
  virtual std::vector<std::string> all_gather_text(const std::string& mine) = 0;
  // values = the element-wise sum over ranks, in whatever order the library picks (fast mode).
  virtual void all_reduce_sum(std::vector<float>& values) = 0;
  // True on every rank when `mine` is true on any.
  virtual bool any(bool mine) = 0;
  // Ends every process of the world with this exit code; for errors only some ranks see.
  [[noreturn]] virtual void abort(int exit_code) = 0;
  // "1 process" or the MPI library's name and version.
  virtual std::string description() const = 0;
};

// The world of this process, opened on first use: MPI when launched by an MPI launcher
// (Open MPI's or another PMI one), else one process. close_world() finalizes MPI; call it
// once, at the end of main, after the last collective.
Communicator& world();
void close_world();
bool world_opened();
// A world of this one process (what world() is without a launcher).
std::unique_ptr<Communicator> make_single_process_world();

}  // namespace lockstep::nn
