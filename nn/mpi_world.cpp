// The MPI world (LOCKSTEP_MPI=ON): MPI_COMM_WORLD, initialised with MPI_THREAD_FUNNELED (the
// CPU kernels' worker threads never call MPI). Every call checks its return code; MPI's
// default error handler already aborts the job on a communication failure, so a rank that
// dies ends the others instead of leaving them waiting.
#include <mpi.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#include "core/error.h"
#include "nn/communicator.h"

namespace lockstep::nn {
namespace {

void check_mpi(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw Error(std::string("MPI: ") + call + " failed: " + std::string(text, static_cast<size_t>(len)));
}

int as_count(i64 n, const char* what) {
  LS_CHECK(n >= 0 && n <= std::numeric_limits<int>::max(), Error, "MPI: ", what, " of ", n,
           " elements is over MPI's int count");
  return static_cast<int>(n);
}

class MpiWorld final : public Communicator {
 public:
  MpiWorld() {
    int provided = 0;
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    MPI_Comm host = MPI_COMM_NULL;  // the ranks that share this host's memory (and GPUs)
    check_mpi(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &host),
              "MPI_Comm_split_type");
    check_mpi(MPI_Comm_rank(host, &local_rank_), "MPI_Comm_rank");
    MPI_Comm_free(&host);
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(version, &len);
    library_ = std::string(version, static_cast<size_t>(len));
    if (const size_t end = library_.find_first_of(",\n"); end != std::string::npos) library_.resize(end);
  }
  ~MpiWorld() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }

  std::vector<float> all_gather(const std::vector<float>& mine, const std::vector<i64>& counts) override {
    LS_CHECK(static_cast<int>(counts.size()) == size_ && counts[static_cast<size_t>(rank_)] ==
                                                             static_cast<i64>(mine.size()),
             Error, "all_gather: rank ", rank_, " sends ", mine.size(), " values, the counts say otherwise");
    std::vector<int> count(counts.size()), displ(counts.size());
    i64 total = 0;
    for (size_t r = 0; r < counts.size(); ++r) {
      count[r] = as_count(counts[r], "a rank's share");
      displ[r] = as_count(total, "a gather");
      total += counts[r];
    }
    std::vector<float> all(static_cast<size_t>(total));
    check_mpi(MPI_Allgatherv(mine.data(), count[static_cast<size_t>(rank_)], MPI_FLOAT, all.data(), count.data(),
                             displ.data(), MPI_FLOAT, MPI_COMM_WORLD),
              "MPI_Allgatherv");
    return all;
  }

  std::vector<std::string> all_gather_text(const std::string& mine) override {
    const int len = as_count(static_cast<i64>(mine.size()), "a text");
    std::vector<int> lens(static_cast<size_t>(size_)), displ(static_cast<size_t>(size_));
    check_mpi(MPI_Allgather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
    i64 total = 0;
    for (size_t r = 0; r < lens.size(); ++r) {
      displ[r] = as_count(total, "a text gather");
      total += lens[r];
    }
    std::string all(static_cast<size_t>(total), '\0');
    check_mpi(MPI_Allgatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), displ.data(), MPI_CHAR,
                             MPI_COMM_WORLD),
              "MPI_Allgatherv");
    std::vector<std::string> out;
    for (size_t r = 0; r < lens.size(); ++r) out.push_back(all.substr(static_cast<size_t>(displ[r]), lens[r]));
    return out;
  }

  void all_reduce_sum(std::vector<float>& values) override {
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, values.data(), as_count(static_cast<i64>(values.size()), "a reduction"),
                            MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
              "MPI_Allreduce");
  }

  bool any(bool mine) override {
    int in = mine ? 1 : 0, out = 0;
    check_mpi(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD), "MPI_Allreduce");
    return out != 0;
  }

  [[noreturn]] void abort(int exit_code) override {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; this is for the compiler
  }

  std::string description() const override { return library_; }

 private:
  int rank_ = 0, size_ = 1, local_rank_ = 0;
  std::string library_;
};

}  // namespace

std::unique_ptr<Communicator> open_mpi_world() { return std::make_unique<MpiWorld>(); }

}  // namespace lockstep::nn
