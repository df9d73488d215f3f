// The CUDA runtime plumbing: device probe, the stream, the caching allocator, copies and
// the error reporting behind LS_CUDA_CHECK.
#include "cuda/runtime.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "cuda/check.h"

namespace lockstep::cuda {

void throw_cuda_error(cudaError_t err, const char* expr, const char* file, int line) {
  throw DeviceError(detail::concat("cuda: ", expr, " failed: ", cudaGetErrorName(err), " (", cudaGetErrorString(err),
                                   ") [", file, ":", line, "]"));
}

void throw_library_error(const char* library, int status, const char* status_name, const char* expr,
                         const char* file, int line) {
  throw DeviceError(
      detail::concat("cuda: ", expr, " failed: ", library, " status ", status, " (", status_name, ") [", file, ":", line, "]"));
}

namespace {

const std::string& probe() {
  static const std::string reason = [] {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      cudaGetLastError();  // clear it: a missing driver is an answer, not a failure of later calls
      return detail::concat("no usable CUDA device: cudaGetDeviceCount returned ", cudaGetErrorName(err), " (",
                            cudaGetErrorString(err), ")");
    }
    if (count == 0) return std::string("no usable CUDA device: cudaGetDeviceCount found none");
    return std::string();
  }();
  return reason;
}

constexpr std::size_t kGranule = 512;

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks;  // by rounded size
  std::unordered_map<void*, std::size_t> sizes;                     // every live or cached block
};
Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: storages may be released during exit
  return *c;
}

}  // namespace

std::string unavailable_reason() { return probe(); }

void require_device() {
  const std::string& why = probe();
  if (!why.empty()) throw DeviceError("cuda: " + why);
}

int select_device(int index) {
  require_device();
  int count = 0;
  LS_CUDA_CHECK(cudaGetDeviceCount(&count));
  const int unit = index % count;
  LS_CUDA_CHECK(cudaSetDevice(unit));
  return unit;
}

namespace {
std::atomic<bool> g_stream_made{false};
}  // namespace

cudaStream_t stream() {
  static cudaStream_t s = [] {
    require_device();
    cudaStream_t created = nullptr;
    LS_CUDA_CHECK(cudaStreamCreate(&created));
    g_stream_made.store(true);
    return created;
  }();
  return s;
}

void finish_queued_work() {
  if (g_stream_made.load()) LS_CUDA_CHECK(cudaStreamSynchronize(stream()));
}

void* device_alloc(std::size_t bytes) {
  require_device();
  const std::size_t rounded = (bytes == 0 ? 1 : (bytes + kGranule - 1) / kGranule) * kGranule;
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> g(c.mutex);
    auto it = c.free_blocks.find(rounded);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      return p;
    }
  }
  void* p = nullptr;
  const cudaError_t first = cudaMalloc(&p, rounded);
  if (first == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    empty_cache();  // cached blocks of other sizes may be what stands in the way
    LS_CUDA_CHECK(cudaMalloc(&p, rounded));
  } else {
    LS_CUDA_CHECK(first);
  }
  std::lock_guard<std::mutex> g(c.mutex);
  c.sizes[p] = rounded;
  return p;
}

void device_free(void* ptr) {
  if (!ptr) return;
  Cache& c = cache();
  std::lock_guard<std::mutex> g(c.mutex);
  auto it = c.sizes.find(ptr);
  LS_ASSERT(it != c.sizes.end(), "cuda: freeing a pointer the allocator did not hand out");
  c.free_blocks[it->second].push_back(ptr);
}

void empty_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> g(c.mutex);
  LS_CUDA_CHECK(cudaStreamSynchronize(stream()));
  for (auto& [size, blocks] : c.free_blocks) {
    for (void* p : blocks) {
      c.sizes.erase(p);
      LS_CUDA_CHECK(cudaFree(p));
    }
    blocks.clear();
  }
}

void copy_bytes(void* dst, Device, const void* src, Device, std::size_t bytes) {
  require_device();
  // cudaMemcpyDefault: unified addressing tells host from device pointers.
  LS_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, stream()));
  LS_CUDA_CHECK(cudaStreamSynchronize(stream()));
}

bool tf32_allowed() {
  const char* env = std::getenv("LOCKSTEP_ALLOW_TF32");
  return env && env[0] == '1' && env[1] == '\0';
}

unsigned grid_size(i64 n, const LaunchConfig& cfg) {
  LS_CHECK(cfg.block >= 1 && cfg.block <= 1024 && cfg.max_blocks >= 0, Error,
           "cuda: expected a launch with 1..1024 threads per block and max_blocks >= 0, got block=", cfg.block,
           " max_blocks=", cfg.max_blocks);
  i64 blocks = (n + cfg.block - 1) / cfg.block;
  if (cfg.max_blocks > 0 && blocks > cfg.max_blocks) blocks = cfg.max_blocks;
  if (blocks > 0x7fffffff) blocks = 0x7fffffff;  // the grid-stride loop covers the rest
  return static_cast<unsigned>(blocks < 1 ? 1 : blocks);
}

}  // namespace lockstep::cuda
