// A build without MPI (LOCKSTEP_MPI=OFF): a process started by mpirun is refused unless it
// is the only one, so that N copies never train N independent runs by mistake.
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "nn/communicator.h"

namespace lockstep::nn {

std::unique_ptr<Communicator> open_mpi_world() {
  const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (!size) size = std::getenv("PMI_SIZE");
  LS_CHECK(size && std::string(size) == "1", Error,
           "started by an MPI launcher, but this lockstep was built without MPI (LOCKSTEP_MPI=OFF; install "
           "libopenmpi-dev and rebuild)");
  return make_single_process_world();
}

}  // namespace lockstep::nn
