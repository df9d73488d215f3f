// Where a tensor's storage lives and what its elements are.
#pragma once

#include <cstddef>
#include <string_view>

namespace lockstep {

enum class Device { CPU, CUDA };
inline constexpr int kDeviceCount = 2;

enum class DType { F32, I64 };

inline std::string_view device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }
inline std::string_view dtype_name(DType t) { return t == DType::F32 ? "float32" : "int64"; }
inline std::size_t dtype_size(DType t) { return t == DType::F32 ? 4 : 8; }

}  // namespace lockstep
