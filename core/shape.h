// Shapes and their printing, e.g. "(32,1,28,28)", as used in every error message.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

namespace lockstep {

using i64 = std::int64_t;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<i64> dims) : dims_(dims) {}
  explicit Shape(std::vector<i64> dims) : dims_(std::move(dims)) {}

  i64 rank() const { return static_cast<i64>(dims_.size()); }
  i64 operator[](i64 i) const { return dims_.at(static_cast<size_t>(i)); }
  i64 numel() const {
    i64 n = 1;
    for (i64 d : dims_) n *= d;
    return n;
  }
  const std::vector<i64>& dims() const { return dims_; }
  bool operator==(const Shape& o) const { return dims_ == o.dims_; }
  bool operator!=(const Shape& o) const { return dims_ != o.dims_; }
  std::string str() const;

 private:
  std::vector<i64> dims_;
};

std::ostream& operator<<(std::ostream& os, const Shape& s);

// Row-major strides, in elements.
std::vector<i64> contiguous_strides(const Shape& s);

}  // namespace lockstep
