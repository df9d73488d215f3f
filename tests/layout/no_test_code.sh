# Test code stays in tests/: no source outside tests/ includes a file of tests/, the float64
# references (reference/) never include kernels/, whose arithmetic they check, nor GoogleTest,
# and the shipped `lockstep` binary links no GoogleTest.
# Usage: no_test_code.sh SOURCE_DIR [LOCKSTEP_BINARY]
set -u
src=$1 bin=${2:-}
fail() { echo "FAIL: $*"; exit 1; }
cd "$src" || fail "no source directory $src"
sources() { find "$@" -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) 2>/dev/null; }

outside=$(sources core kernels cpu cuda nn reference bench tools | xargs -r grep -ln '#include "tests/')
[[ -z $outside ]] || fail "outside tests/, these include a file of tests/: $(echo $outside)"
[[ -d reference ]] || fail "reference/ is missing"
to_kernels=$(sources reference | xargs -r grep -ln '#include "kernels/')
[[ -z $to_kernels ]] || fail "a reference includes kernels/ (it must stay independent): $(echo $to_kernels)"
to_gtest=$(sources reference | xargs -r grep -lE '#include <g(test|mock)/')
[[ -z $to_gtest ]] || fail "reference/ includes GoogleTest (it belongs in tests/support/): $(echo $to_gtest)"

if [[ -n $bin ]]; then
  command -v nm >/dev/null || { echo "SKIP: nm not found"; exit 77; }
  [[ -x $bin ]] || fail "no binary $bin"
  n=$(nm -C "$bin" | grep -c 'testing::')
  [[ $n == 0 ]] || fail "$bin links GoogleTest ($n symbols in testing::)"
fi
echo "no test code outside tests/: ok"
