#!/bin/bash
# ImageGate's benchmark suite. Every figure is a ratio against a baseline
# measured in the same run on the same machine, so it means the same on a
# fast or a slow host, under KVM or TCG. Each measurement is the median of
# $BENCH_RUNS runs (default 3).
#
#   Benchmarks/run.sh            (make bench builds the release binary first)
#   BENCH_ONLY=queue Benchmarks/run.sh    one section: static, boot, check, outside, start, panic, wrong-root, queue, windows or remote
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

# median SECONDS of running "$@" $runs times (a verdict's exit status, 0, 1 or 4, accepted)
median() {
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s.%N)
    local status=0
    "$@" >/dev/null 2>&1 || status=$?
    case $status in 0|1|4) ;; *) echo "bench: '$*' failed (exit $status)" >&2; exit 3 ;; esac
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc)")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# true when section $1 runs (every section unless BENCH_ONLY names one)
section() { [ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = "$1" ]; }

ratio() { echo "scale=3; $1 / $2" | bc; }
report() {  # name measured baseline target-description verdict-expression
  local r; r=$(ratio "$2" "$3")
  local ok; ok=$(echo "$r $5" | bc)
  printf '%-58s %6.1f s / %6.1f s = %5.2f   target %-7s %s\n' "$1" "$2" "$3" "$r" "$4" "$([ "$ok" = 1 ] && echo ok || echo MISSED)"
}

echo "bench: image $(basename "$image"), $runs run(s) each, accelerator $("$imagegate" accelerator --quiet)"

work=$(mktemp -d)
# What a section set up (a queue folder, a test libvirt host) is undone at
# exit, whichever section ran last.
queue="" test_host=""
cleanup() {
  if [ -n "$test_host" ]; then "$root/scripts/test-libvirt-host.sh" stop "$test_host" || echo "bench: could not stop test host $test_host" >&2; fi
  pkill -f "$work/" 2>/dev/null || true  # pkill finds nothing: not a failure
  rm -rf "$work" ${queue:+"$queue"}
}
trap cleanup EXIT

# Static inspection (issue 4): the whole catalogue against one bare appliance launch,
# and against virt-inspector, which checks nothing.
if section static; then
inspect=$(median "$imagegate" inspect "$image" --json -)
launch=$(median guestfish --ro --format=qcow2 -a "$image" -i exit)
inspector=$(median virt-inspector --format=qcow2 -a "$image")
report "inspect (full catalogue) / guestfish --ro -a IMG -i exit" "$inspect" "$launch" "<= 1.3" "<= 1.3"
report "inspect (full catalogue) / virt-inspector -a IMG" "$inspect" "$inspector" "< 1.0" "< 1.0"
fi

# First boot (issue 5): time to a verdict with `imagegate boot` against plain
# qemu-system-x86_64 with the same devices and seed, timed to cloud-init's
# "finished" line.
if section boot; then
boot_runs=()
for _ in $(seq "$runs"); do
  start=$(date +%s.%N)
  "$imagegate" boot "$image" --keep > "$work/boot.out" 2>&1 || { cat "$work/boot.out" >&2; echo "bench: imagegate boot failed" >&2; exit 3; }
  end=$(date +%s.%N)
  boot_runs+=("$(echo "$end - $start" | bc)")
  kept=$(sed -n 's/^Run folder kept: //p' "$work/boot.out")
done
boot=$(printf '%s\n' "${boot_runs[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

accel=$("$imagegate" accelerator --quiet); [ "$accel" = kvm ] || accel=tcg
mac=$(sed -n 's/.*macaddress: "\(.*\)"/\1/p' "$kept/seed/network-config")
ip=$(sed -n 's/.*addresses: \[\([0-9.]*\)\/.*/\1/p' "$kept/seed/network-config")
gw=$(sed -n 's/.*gateway4: //p' "$kept/seed/network-config")
qemu_once() {
  rm -f "$work/overlay.qcow2" "$work/data.qcow2" "$work/console.log"
  qemu-img create -q -f qcow2 -F qcow2 -b "$image" "$work/overlay.qcow2"
  qemu-img create -q -f qcow2 "$work/data.qcow2" 1G
  local start end
  start=$(date +%s.%N)
  qemu-system-x86_64 -machine pc,accel="$accel" -m 1024 -smp 2 -nodefaults -no-user-config -display none \
    -drive file="$work/overlay.qcow2",if=virtio,format=qcow2 -drive file="$work/data.qcow2",if=virtio,format=qcow2 \
    -drive file="$kept/seed.iso",if=ide,media=cdrom,format=raw,readonly=on \
    -netdev user,id=n0,restrict=on,net="${ip%.*}.0/24",host="$gw",dhcpstart="$ip" -device virtio-net-pci,netdev=n0,mac="$mac" \
    -device virtio-rng-pci -serial file:"$work/console.log" &
  local pid=$!
  until grep -q "Cloud-init v.* finished at" "$work/console.log" 2>/dev/null; do
    kill -0 $pid 2>/dev/null || { echo "bench: plain qemu exited early" >&2; exit 3; }
    sleep 0.1
  done
  end=$(date +%s.%N)
  kill $pid; wait $pid 2>/dev/null || true
  echo "$end - $start" | bc
}
qemu_runs=()
for _ in $(seq "$runs"); do qemu_runs+=("$(qemu_once)"); done
plain=$(printf '%s\n' "${qemu_runs[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
rm -rf "$kept"
report "boot (verdict) / plain qemu to cloud-init finished" "$boot" "$plain" "<= 1.10" "<= 1.10"
fi

# A check (issue 32): its static phase runs beside the first boot, and a
# scenario's instances boot side by side where the machine admits them
# (BootAdmission: a core per vCPU, the memory). Runs interleaved, so a drift
# of the host's speed touches both sides of a ratio alike.
if section check; then
  one_run() {  # seconds of "$@" (a verdict's exit status, 0, 1 or 4, accepted)
    local start end status=0
    start=$(date +%s.%N)
    "$@" >/dev/null 2>"$work/check.err" || status=$?
    end=$(date +%s.%N)
    case $status in 0|1|4) ;; *) cat "$work/check.err" >&2; echo "bench: '$*' failed (exit $status)" >&2; exit 3 ;; esac
    echo "$end - $start" | bc
  }
  middle() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  # The reinstance scenario with one-vCPU instances: two of them fit side by
  # side on two cores, where the two-vCPU default hardware does not.
  sed 's/^instances:/hardware:\n  cpus: 1\ninstances:/' "$root/Scenarios/reinstance.yaml" > "$work/reinstance-1cpu.yaml"
  c_boot=(); c_check=(); c_inspect=(); c_re=(); c_boot1=(); c_re1=()
  for _ in $(seq "$runs"); do
    c_boot+=("$(one_run "$imagegate" boot "$image")")
    c_check+=("$(one_run "$imagegate" check "$image")")
    c_inspect+=("$(one_run "$imagegate" inspect "$image")")
    c_re+=("$(one_run "$imagegate" check "$image" --scenario "$root/Scenarios/reinstance.yaml")")
    c_boot1+=("$(one_run "$imagegate" boot "$image" --cpus 1)")
    c_re1+=("$(one_run "$imagegate" check "$image" --scenario "$work/reinstance-1cpu.yaml")")
  done
  boot_m=$(middle "${c_boot[@]}"); inspect_m=$(middle "${c_inspect[@]}"); boot1_m=$(middle "${c_boot1[@]}")
  report "check (default scenario) / boot alone" "$(middle "${c_check[@]}")" "$boot_m" "<= 1.10" "<= 1.10"
  report "check reinstance (2 vCPUs each) / (inspect + 2 boots)" "$(middle "${c_re[@]}")" "$(echo "$inspect_m + 2 * $boot_m" | bc)" "<= 0.65" "<= 0.65"
  report "check reinstance (1 vCPU each) / (inspect + 2 boots)" "$(middle "${c_re1[@]}")" "$(echo "$inspect_m + 2 * $boot1_m" | bc)" "<= 0.65" "<= 0.65"
  echo "  (side by side: $("$imagegate" accelerator --quiet), $(nproc) cores; two-vCPU instances are admitted one at a time on fewer than four)"
fi

# The outside evidence (issue 42): the data disk read back and the guest
# reached from the host, against the boot's whole time to its verdict.
if section outside; then
  o_cost=(); o_boot=()
  for _ in $(seq "$runs"); do
    start=$(date +%s.%N)
    IMAGEGATE_TRACE=1 "$imagegate" boot "$image" > /dev/null 2> "$work/outside.err" || true
    end=$(date +%s.%N)
    cost=$(sed -n 's/^trace: .*: observed from outside in \([0-9.e-]*\) s$/\1/p' "$work/outside.err" | head -1)
    [ -n "$cost" ] || { cat "$work/outside.err" >&2; echo "bench: no outside-evidence trace" >&2; exit 3; }
    o_cost+=("$(printf '%.6f' "$cost")"); o_boot+=("$(echo "$end - $start" | bc)")
  done
  middle_of() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  report "outside evidence / boot verdict" "$(middle_of "${o_cost[@]}")" "$(middle_of "${o_boot[@]}")" "<= 0.05" "<= 0.05"
fi

# Start latency (issue 15): from the boot command's start to the domain's
# first console byte, the accelerator already known. Where KVM is offered but
# hangs, libvirt's capability probe once cost ~80 s here. Then two boots at
# once, as parallel runs get embedded roots of their own: neither may probe.
start_latency() {  # FILE: the stderr of `IMAGEGATE_TRACE=1 imagegate boot`
  sed -n 's/^trace: .*: first byte .* (\([0-9.]*\) s after the process started)$/\1/p' "$1" | head -1
}
latency_line() {  # name seconds
  printf '%-58s %6.1f s                      target %-7s %s\n' "$1" "$2" "<= 3 s" \
    "$([ "$(echo "$2 <= 3" | bc)" = 1 ] && echo ok || echo MISSED)"
}
if section start; then
IMAGEGATE_TRACE=1 "$imagegate" boot "$image" > /dev/null 2> "$work/start.err" || true
one=$(start_latency "$work/start.err")
[ -n "$one" ] || { cat "$work/start.err" >&2; echo "bench: no first-byte trace" >&2; exit 3; }
latency_line "boot command start -> first console byte" "$one"
IMAGEGATE_TRACE=1 "$imagegate" boot "$image" > /dev/null 2> "$work/start-a.err" &
a=$!
IMAGEGATE_TRACE=1 "$imagegate" boot "$image" > /dev/null 2> "$work/start-b.err" &
b=$!
wait $a $b || true
for side in a b; do
  t=$(start_latency "$work/start-$side.err")
  [ -n "$t" ] || { cat "$work/start-$side.err" >&2; echo "bench: no first-byte trace (parallel $side)" >&2; exit 3; }
  latency_line "  two boots at once ($side): start -> first console byte" "$t"
done
fi

# A fixture that panics: the verdict comes within 5 s of the panic line.
# (The cached variant is an overlay, which ImageGate refuses: flatten it.)
panic_image="$work/init-missing.qcow2"
if section panic && [ -f "$(dirname "$image")/init-missing.qcow2" ]; then
  qemu-img convert -U -O qcow2 "$(dirname "$image")/init-missing.qcow2" "$panic_image"
  "$imagegate" boot "$panic_image" > "$work/panic.out" 2>&1 || true
  latency=$(sed -n 's/^Verdict \([0-9.]*\) s after the console line.*/\1/p' "$work/panic.out")
  [ -n "$latency" ] || { cat "$work/panic.out" >&2; echo "bench: no panic verdict" >&2; exit 3; }
  printf '%-58s %6.1f s                      target %-7s %s\n' "panic fixture: verdict after the panic line" "$latency" "<= 5 s" \
    "$([ "$(echo "$latency <= 5" | bc)" = 1 ] && echo ok || echo MISSED)"
fi

# A root= that names no filesystem on the disk (grub-root-elsewhere): the
# kernel and initramfs start, the initramfs waits for the root device, gives
# up and drops to its shell. The figures: from the first console byte to the
# verdict, and how long after the line that named the failure the verdict
# came (the guest's own wait is the baseline the verdict cannot beat).
wrong_root_image="$work/grub-root-elsewhere.qcow2"
if section wrong-root && [ -f "$(dirname "$image")/grub-root-elsewhere.qcow2" ]; then
  qemu-img convert -U -O qcow2 "$(dirname "$image")/grub-root-elsewhere.qcow2" "$wrong_root_image"
  "$imagegate" boot "$wrong_root_image" --post-mortem never > "$work/wrong-root.out" 2>&1 || true
  first=$(sed -n 's/.*first byte at \([0-9.]*\) s.*/\1/p' "$work/wrong-root.out" | head -1)
  ended=$(sed -n 's/^Watch ended at \([0-9.]*\) s.*/\1/p' "$work/wrong-root.out")
  after=$(sed -n 's/^Verdict \([0-9.]*\) s after the console line (at \([0-9.]*\) s).*/\1 \2/p' "$work/wrong-root.out")
  [ -n "$first" ] && [ -n "$ended" ] && [ -n "$after" ] || { cat "$work/wrong-root.out" >&2; echo "bench: the wrong-root boot ended on no failure line" >&2; exit 3; }
  set -- $after
  grep -q 'root-not-found' "$work/wrong-root.out" || { cat "$work/wrong-root.out" >&2; echo "bench: the wrong-root boot was not named root-not-found" >&2; exit 3; }
  printf '%-58s %6.1f s (its line at %.1f s)    target %-7s %s\n' "wrong-root fixture: first byte -> verdict" "$(echo "$ended - $first" | bc)" "$2" \
    "<= line + 10 s" "$([ "$(echo "$1 <= 10" | bc)" = 1 ] && echo ok || echo MISSED)"
fi

# The review queue (issue 10), on hard links of the image (distinct entries,
# one file's bytes): static phases batched in one appliance against one
# appliance per image; two boots at once (--jobs auto) against one at a
# time; and a run killed half-way, resumed, against the whole run.
if section queue; then
  queue="$root/.build/bench-queue"
  rm -rf "$queue"; mkdir -p "$queue/static" "$queue/boots" "$queue/resume"
  manifest() {  # FOLDER COUNT BOOT [SCENARIO]: COUNT links of the image, a manifest naming the folder
    for i in $(seq -w 1 "$2"); do ln "$image" "$1/img-$i.qcow2"; done
    printf 'defaults: {vendor: bench, boot: %s%s}\nentries:\n  - {image: ./, product: p}\n' "$3" "${4:+, scenario: $4}" > "$1/queue.yaml"
  }
  timed() {  # seconds of "$@" (exit 0 or 1 accepted: a verdict)
    local start end status=0
    start=$(date +%s.%N)
    "$@" >/dev/null 2>"$queue/last.err" || status=$?
    end=$(date +%s.%N)
    case $status in 0|1) ;; *) cat "$queue/last.err" >&2; echo "bench: '$*' failed (exit $status)" >&2; exit 3 ;; esac
    echo "$end - $start" | bc
  }
  # The static phase of the conformant fixture and every Linux variant
  # (flattened: a candidate has no backing file): one `imagegate inspect`
  # per image, serially, against the queue's shared appliance.
  for variant in "$(dirname "$image")"/*.qcow2; do
    case $(basename "$variant") in win*) continue ;; esac
    qemu-img convert -U -O qcow2 "$variant" "$queue/static/$(basename "$variant")"
  done
  n=$(ls "$queue/static" | wc -l)
  printf 'defaults: {vendor: bench, boot: false}\nentries:\n  - {image: ./, product: p}\n' > "$queue/static/queue.yaml"
  alone_start=$(date +%s.%N)
  for candidate in "$queue"/static/*.qcow2; do
    status=0; "$imagegate" inspect "$candidate" --json - > /dev/null 2>&1 || status=$?
    case $status in 0|1|4) ;; *) echo "bench: imagegate inspect $candidate failed (exit $status)" >&2; exit 3 ;; esac
  done
  alone=$(echo "$(date +%s.%N) - $alone_start" | bc)
  batched=$(timed "$imagegate" queue run "$queue/static/queue.yaml" --db "$queue/batched.sqlite" --batch "$n")
  report "queue: $n static phases, imagegate inspect each / one appliance" "$alone" "$batched" ">= 5" ">= 5"
  rm -f "$queue"/static/*.qcow2

  # Four boot-defect fixtures booted as one-vCPU instances: --jobs auto
  # reserves each boot's vCPUs, so on a two-core host it runs two of these
  # at once (and one two-vCPU boot). It runs on a copy of the --jobs 1
  # run's history, as a night follows the one before: it admits the
  # entries longest first. Both runs must reach the same verdicts.
  for name in auditd-fails-to-start firewalld-enabled no-serial-getty cloud-init-bootcmd-fails; do
    qemu-img convert -U -O qcow2 "$(dirname "$image")/$name.qcow2" "$queue/boots/$name.qcow2"
  done
  printf 'defaults: {vendor: bench, scenario: %s}\nentries:\n  - {image: ./, product: p}\n' "$root/Scenarios/one-vcpu.yaml" > "$queue/boots/queue.yaml"
  one=$(timed "$imagegate" queue run "$queue/boots/queue.yaml" --db "$queue/one.sqlite" --jobs 1)
  cp "$queue/one.sqlite" "$queue/auto.sqlite"
  auto=$(timed "$imagegate" queue run "$queue/boots/queue.yaml" --db "$queue/auto.sqlite" --jobs auto)
  report "queue: 4 boot fixtures, 1-vCPU, --jobs 1 / --jobs auto" "$one" "$auto" ">= 1.85" ">= 1.85"
  verdicts() { sqlite3 "$1" 'select key, verdict from entry where runID = (select max(id) from run) order by key'; }
  [ "$(verdicts "$queue/one.sqlite")" = "$(verdicts "$queue/auto.sqlite")" ] || { echo "bench: --jobs auto reached other verdicts than --jobs 1" >&2; exit 3; }
  # The same night again with nothing changed (issue 30): --incremental
  # carries every entry over without a check (each image is still hashed),
  # against the full run.
  carried=$(timed "$imagegate" queue run "$queue/boots/queue.yaml" --db "$queue/one.sqlite" --incremental)
  report "queue: --incremental, nothing changed / the full run" "$carried" "$one" "<= 0.05" "<= 0.05"
  [ "$(sqlite3 "$queue/one.sqlite" 'select count(*) from entry where carriedFrom is not null')" = 4 ] || { echo "bench: --incremental checked an unchanged entry" >&2; exit 3; }
  rm -f "$queue"/boots/*.qcow2

  manifest "$queue/resume" 4 false
  whole=$(timed "$imagegate" queue run "$queue/resume/queue.yaml" --db "$queue/whole.sqlite" --batch 1)
  "$imagegate" queue run "$queue/resume/queue.yaml" --db "$queue/killed.sqlite" --batch 1 >/dev/null 2>&1 &
  victim=$!
  until [ "$(sqlite3 "$queue/killed.sqlite" 'select count(*) from entry' 2>/dev/null || echo 0)" -ge 2 ]; do
    kill -0 $victim 2>/dev/null || { echo "bench: the queue run ended before it could be killed" >&2; exit 3; }
    sleep 0.2
  done
  kill -9 $victim; wait $victim 2>/dev/null || true
  resumed=$(timed "$imagegate" queue run "$queue/resume/queue.yaml" --db "$queue/killed.sqlite" --batch 1 --resume)
  report "queue: resumed after 2 of 4 recorded / the whole run" "$resumed" "$whole" "<= 0.6" "<= 0.6"
fi

# Windows (issue 13): the static WIN rules on the Windows fixture (libguestfs's
# Windows inspection, the registry through hivex) against guestfish's own
# launch and inspection of the same image.
windows_image="$(dirname "$image")/windows2019-conformant.qcow2"
if section windows && [ -f "$windows_image" ]; then
  windows=$(median "$imagegate" inspect "$windows_image" --json -)
  windows_launch=$(median guestfish --ro --format=qcow2 -a "$windows_image" -i exit)
  report "inspect Windows fixture / guestfish --ro -a IMG -i exit" "$windows" "$windows_launch" "<= 1.3" "<= 1.3"
fi

# Remote hosts (issue 11): the same image booted on a libvirt host of the
# tests' own (libvirtd in its own network and mount namespace, over
# qemu+tcp; needs root) with the candidate already cached there, against
# the embedded driver on this machine. The first boot's upload is printed
# on its own (MB/s), not part of the ratio.
if section remote; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: remote section skipped: starting a test libvirt host needs root"
  else
    export IMAGEGATE_POOL_CAP_GIB=20
    test_host=7
    uri=$("$root/scripts/test-libvirt-host.sh" start "$test_host")
    "$imagegate" boot "$image" --connect "$uri" > /dev/null 2> "$work/upload.err" || true
    upload=$(sed -n 's/.*\(uploaded the candidate .*\)/\1/p' "$work/upload.err" | head -1)
    [ -n "$upload" ] || { cat "$work/upload.err" >&2; echo "bench: the first remote boot uploaded nothing" >&2; exit 3; }
    printf '%-58s %s\n' "remote: first boot on the host" "$upload"
    remote=$(median "$imagegate" boot "$image" --connect "$uri")
    embedded=$(median "$imagegate" boot "$image")
    report "remote boot (candidate cached) / embedded boot" "$remote" "$embedded" "<= 1.15" "<= 1.15"
  fi
fi
