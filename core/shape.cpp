#include "core/shape.h"

#include <sstream>

namespace lockstep {

std::string Shape::str() const {
  std::ostringstream os;
  os << '(';
  for (size_t i = 0; i < dims_.size(); ++i) os << (i ? "," : "") << dims_[i];
  os << ')';
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }

std::vector<i64> contiguous_strides(const Shape& s) {
  std::vector<i64> strides(static_cast<size_t>(s.rank()));
  i64 acc = 1;
  for (i64 i = s.rank() - 1; i >= 0; --i) {
    strides[static_cast<size_t>(i)] = acc;
    acc *= s[i];
  }
  return strides;
}

}  // namespace lockstep
