#!/usr/bin/env bash
# Runs every XCTest class of the test binary, TEST_JOBS classes at once
# (default: the machine's cores), each class in a process of its own.
#
#   scripts/run-tests.sh PATH/TO/Package.xctest [LOG_FOLDER]
#
# Why not `swift test --parallel`: it runs each test *method* in its own
# process, and several classes share one boot (or one set of test hosts)
# among their methods; per method, that boot would run once per method.
# A class per process keeps that sharing, and BootLeftovers, which checks
# what one process left, stays exact.
#
# Why at all: a test boot under TCG keeps a 2-core machine about 60 % busy
# (the guest waits on timers, an appliance on I/O), so a second class
# beside it finishes the suite sooner: 2534 s for the whole suite against
# 3128 s one class after another (measured on this 2-core machine). With
# every boot class kept apart from every other, the suite took about as
# long as one after another: the boot classes' lane alone is most of it.
#
# The longest start first, so the short ones fill the gaps at the end.
# Each class's output is printed whole when it ends; a class that fails,
# or that ran no test, fails the run, and the summary names it.
set -uo pipefail

binary=${1:?usage: run-tests.sh PATH/TO/Package.xctest [LOG_FOLDER]}
logs=${2:-$(dirname "$binary")/test-logs}
jobs=${TEST_JOBS:-$(nproc)}

# The classes that boot full guests, longest first, with the seconds each
# took in a fresh-clone run (2 cores, TCG, two classes at once).
BOOTS=(
  ImageGateTests.BootDefectTests           # 748
  ImageGateTests.RemoteHostTests           # 450
  ImageGateTests.QueueNightTests           # about 300 (four boots, two at once)
  ImageGateTests.VendorPackageTests        # 307 (a compile, then one boot)
  ImageGateTests.KeptRunTests              # 273
  ImageGateTests.CheckTests                # 263
  ImageGateTests.FirstBootConformantTests  # 161
)
# The slowest of the others, longest first; the rest follow.
SLOW=(
  ImageGateTests.WindowsTests              # 274
  ImageGateTests.StaticBatchTests          # 260
  ImageGateTests.InspectTests              # 239
  ImageGateTests.QueueTests                # 223
  ImageGateTests.HostileInputTests         # 84
  ImageGateTests.GuestFaultTests           # 76
  ImageGateTests.FixtureTests              # 51
  GuestfsTests.GuestfsTests                # 46
)

listed=$("$binary" --list-tests) || { echo "run-tests: $binary --list-tests failed" >&2; exit 1; }
classes=$(sed -n 's|^\([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*\)/.*|\1|p' <<<"$listed" | sort -u)
[ -n "$classes" ] || { echo "run-tests: $binary lists no test" >&2; exit 1; }

rm -rf "$logs" && mkdir -p "$logs/queue" "$logs/running"
# The work list, one file per item, named so that `ls` gives the order:
# INDEX-KIND, KIND `boot` or `other`, holding the XCTest filter.
count=0
add() {  # KIND FILTER
  printf '%s' "$2" >"$logs/queue/$(printf '%03d' "$count")-$1"
  count=$((count + 1))
}
for class in "${BOOTS[@]}"; do grep -qx "$class" <<<"$classes" && add boot "$class"; done
for class in "${SLOW[@]}"; do grep -qx "$class" <<<"$classes" && add other "$class"; done
while read -r class; do
  case " ${BOOTS[*]} ${SLOW[*]} " in *" $class "*) continue ;; esac
  [[ $class == UnitTests.* ]] || add other "$class"
done <<<"$classes"
# UnitTests' classes, seconds each, together.
unit=$(grep '^UnitTests\.' <<<"$classes" | paste -sd, -)
[ -n "$unit" ] && add other "$unit"
echo "run-tests: $count items ($(wc -l <<<"$classes") classes) on $jobs workers; logs in $logs"

# Takes the next item in order; prints its name, or nothing when none is
# left. Under the queue's lock.
take() {
  (
    flock 9
    local item
    for item in $(ls "$logs/queue"); do
      : >"$logs/running/$item"
      mv "$logs/queue/$item" "$logs/$item.item"
      echo "$item"
      return
    done
  ) 9>>"$logs/queue.lock"
}

run_item() {  # ITEM
  local item=$1 filter log status executed started label
  filter=$(cat "$logs/$item.item")
  log="$logs/$item.log"
  label=$filter
  [[ $filter == *,* ]] && label="${filter%%.*} ($(tr ',' '\n' <<<"$filter" | wc -l) classes)"
  started=$(date +%s)
  "$binary" "$filter" >"$log" 2>&1 </dev/null
  status=$?
  rm -f "$logs/running/$item"
  executed=$(grep -Eo 'Executed [0-9]+ tests?' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  if [ "$status" -eq 0 ] && [ "$executed" -eq 0 ]; then status=99; fi
  {
    flock 9
    cat "$log"
    if [ "$status" -eq 0 ]; then
      echo "run-tests: PASSED $label ($executed tests, $(($(date +%s) - started)) s)"
    else
      echo "run-tests: FAILED $label (status $status, $executed tests, $(($(date +%s) - started)) s)"
      echo "$label" >>"$logs/failed"
    fi
  } 9>>"$logs/output.lock"
}

worker() {
  local item
  while item=$(take) && [ -n "$item" ]; do
    run_item "$item"
  done
}

started=$(date +%s)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; exit 130' INT TERM
for _ in $(seq "$jobs"); do worker & pids+=($!); done
wait "${pids[@]}"
elapsed=$(($(date +%s) - started))

if [ -s "$logs/failed" ]; then
  echo "run-tests: FAILED after $elapsed s: $(paste -sd' ' "$logs/failed")"
  exit 1
fi
echo "run-tests: all $count items passed in $elapsed s"
