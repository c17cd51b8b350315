#!/bin/bash
# ImageGate's benchmark suite. Every figure is a ratio against a baseline
# measured in the same run on the same machine, so it means the same on a
# fast or a slow host, under KVM or TCG. Each measurement is the median of
# $BENCH_RUNS runs (default 3).
#
#   Benchmarks/run.sh            (make bench builds the release binary first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
imagegate="${IMAGEGATE_BIN:-$root/.build/release/imagegate}"
image="${BENCH_IMAGE:-$root/Fixtures/cache/debian12-conformant.qcow2}"
runs="${BENCH_RUNS:-3}"
[ -x "$imagegate" ] || { echo "bench: $imagegate not built (make bench builds it)" >&2; exit 2; }
[ -f "$image" ] || { echo "bench: $image missing (make fixtures)" >&2; exit 2; }

# Baselines run under the same accelerator ImageGate chose.
export LIBGUESTFS_BACKEND=direct
if [ "$("$imagegate" accelerator --quiet)" = tcg ]; then export LIBGUESTFS_BACKEND_SETTINGS=force_tcg; fi

# median SECONDS of running "$@" $runs times (exit status 0 or 1 accepted)
median() {
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || [ $? -eq 1 ] || { echo "bench: '$*' failed" >&2; exit 3; }
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc)")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

ratio() { echo "scale=3; $1 / $2" | bc; }
report() {  # name measured baseline target-description verdict-expression
  local r; r=$(ratio "$2" "$3")
  local ok; ok=$(echo "$r $5" | bc)
  printf '%-58s %6.1f s / %6.1f s = %5.2f   target %-7s %s\n' "$1" "$2" "$3" "$r" "$4" "$([ "$ok" = 1 ] && echo ok || echo MISSED)"
}

echo "bench: image $(basename "$image"), $runs run(s) each, accelerator $("$imagegate" accelerator --quiet)"

# Static inspection (issue 4): the whole catalogue against one bare appliance launch,
# and against virt-inspector, which checks nothing.
inspect=$(median "$imagegate" inspect "$image" --json)
launch=$(median guestfish --ro --format=qcow2 -a "$image" -i exit)
inspector=$(median virt-inspector --format=qcow2 -a "$image")
report "inspect (full catalogue) / guestfish --ro -a IMG -i exit" "$inspect" "$launch" "<= 1.3" "<= 1.3"
report "inspect (full catalogue) / virt-inspector -a IMG" "$inspect" "$inspector" "< 1.0" "< 1.0"
