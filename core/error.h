// Error types. User errors (bad shapes, bad files, unsupported requests) are exceptions
// that name the op and say expected vs got; internal invariants use LS_ASSERT, which stays
// on in release builds and asks for a bug report.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace lockstep {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ShapeError : public Error { using Error::Error; };
class DTypeError : public Error { using Error::Error; };
class DeviceError : public Error { using Error::Error; };
class IoError : public Error { using Error::Error; };
class UnsupportedError : public Error { using Error::Error; };
class NondeterministicError : public Error { using Error::Error; };
class InternalError : public Error { using Error::Error; };

namespace detail {
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace lockstep

#define LS_STRINGIFY_(x) #x
#define LS_STRINGIFY(x) LS_STRINGIFY_(x)

// LS_CHECK(cond, ShapeError, "conv2d: expected ..., got ", shape): a user error.
#define LS_CHECK(cond, ErrorType, ...)                                                   \
  do {                                                                                   \
    if (!(cond)) throw ::lockstep::ErrorType(::lockstep::detail::concat(__VA_ARGS__)); \
  } while (0)

// LS_ASSERT(cond, "why"): an internal invariant; failing it is a lockstep bug.
#define LS_ASSERT(cond, ...)                                                              \
  do {                                                                                    \
    if (!(cond))                                                                          \
      throw ::lockstep::InternalError(::lockstep::detail::concat(                         \
          "internal error: ", #cond, " failed: ", ##__VA_ARGS__, " [" __FILE__ ":" LS_STRINGIFY(__LINE__) "] please report")); \
  } while (0)
