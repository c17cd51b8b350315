#!/usr/bin/env bash
# What `make install` and `make deb` make, checked as a user gets them
# (`make test-package`, and CI after `make test`):
#   - `make install DESTDIR=…` lays out every file scripts/install.sh lists;
#   - the .deb installs with apt-get on this machine (its Depends resolve),
#     and, from a folder with no source tree, `imagegate --version` names
#     this checkout's commit, `imagegate check --no-boot --scenario
#     reinstance IMAGE` finds the scenario in /usr/share/imagegate and
#     judges the conformant fixture, `man imagegate-check` opens, and the
#     systemd units verify; the review queue's unit runs as the unprivileged
#     imagegate user the package made (in the kvm group), is rated at most
#     4.0 by `systemd-analyze security`, and its own command, run as that
#     user with its environment and umask, checks the conformant fixture
#     (systemd is not PID 1 where CI runs, so the sandbox's directives are
#     rated, not enforced, here); then the package is removed again.
# Usage: scripts/test-package.sh CONFIGURATION (release, or debug in CI: the
# same package from the build the tests already made).
set -euo pipefail
configuration=${1:-release}
cd "$(dirname "$0")/.."
checkout=$PWD
fail() { echo "test-package: $*" >&2; exit 1; }
if [[ $(id -u) -ne 0 ]]; then sudo=sudo; else sudo=; fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

make -s install CONFIGURATION="$configuration" DESTDIR="$scratch/root" PREFIX=/usr/local
for file in bin/imagegate share/man/man1/imagegate.1.gz share/man/man1/imagegate-check.1.gz share/man/man1/imagegate-queue-run.1.gz \
    share/bash-completion/completions/imagegate share/zsh/site-functions/_imagegate share/fish/vendor_completions.d/imagegate.fish \
    share/imagegate/Scenarios/default-linux.yaml share/imagegate/Scenarios/reinstance.yaml share/imagegate/profile.yaml \
    lib/systemd/system/imagegate-queue.service lib/systemd/system/imagegate-queue.timer; do
  [[ -s "$scratch/root/usr/local/$file" ]] || fail "make install did not lay out $file"
done
grep -q '^ExecStart=/usr/local/bin/imagegate queue run ' "$scratch/root/usr/local/lib/systemd/system/imagegate-queue.service" \
  || fail "the service does not run the installed binary"
grep -q 'cloud_init_tag:' "$scratch/root/usr/local/share/imagegate/profile.yaml" || fail "the installed profile is not the built-in one"
echo "test-package: make install DESTDIR= laid out $(find "$scratch/root" -type f | wc -l) files"

make -s deb CONFIGURATION="$configuration" DEB_DIR="$scratch"
deb=$(ls "$scratch"/imagegate_*.deb)
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q "$deb" > "$scratch/apt.log" 2>&1 || { cat "$scratch/apt.log"; fail "apt-get install $deb failed"; }
trap '$sudo apt-get remove -y -q imagegate > /dev/null 2>&1; rm -rf "$scratch"' EXIT

mkdir "$scratch/elsewhere" && cd "$scratch/elsewhere"
[[ $(command -v imagegate) == /usr/bin/imagegate ]] || fail "imagegate is not /usr/bin/imagegate"
head=$(git -C "$checkout" rev-parse HEAD)
version=$(imagegate --version)
[[ "$version" == *"commit ${head:0:12}"* ]] || fail "--version does not name commit ${head:0:12}: $version"
status=0
imagegate check --no-boot --scenario reinstance "$checkout/Fixtures/cache/debian12-conformant.qcow2" --json report.json > check.log 2>&1 || status=$?
# Under the seller guide's profile the conformant fixture is INCOMPLETE (README).
[[ $status -eq 4 ]] || { cat check.log; fail "imagegate check --no-boot exited $status, not 4 (incomplete)"; }
grep -q '"source" : "/usr/share/imagegate/Scenarios/reinstance.yaml"' report.json || fail "the scenario did not come from /usr/share/imagegate"
grep -q "\"commit\" : \"$head" report.json || fail "the report does not name commit $head"
man imagegate-check 2>/dev/null | grep -q 'imagegate check' || fail "man imagegate-check shows no page"
if command -v systemd-analyze > /dev/null; then
  systemd-analyze verify /usr/lib/systemd/system/imagegate-queue.service /usr/lib/systemd/system/imagegate-queue.timer > verify.log 2>&1 \
    || { cat verify.log; fail "systemd-analyze verify refused the units"; }
fi

unit=/usr/lib/systemd/system/imagegate-queue.service
id -nG imagegate 2>/dev/null | grep -qw kvm || fail "the package made no imagegate user in the kvm group"
grep -qx 'User=imagegate' "$unit" || fail "the queue's unit does not run as the imagegate user"
exposure=$(systemd-analyze security --offline=true "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 4.0) }' || fail "systemd-analyze security rates the queue's unit ${exposure:-?}, above 4.0"
queue=$(mktemp -d /tmp/imagegate-unit-XXXXXX)
trap '$sudo apt-get remove -y -q imagegate > /dev/null 2>&1; $sudo rm -rf "$scratch" "$queue"' EXIT
chmod 0755 "$queue"
cp "$checkout/Fixtures/cache/debian12-conformant.qcow2" "$queue/" && chmod 0644 "$queue/debian12-conformant.qcow2"
printf 'entries:\n  - {vendor: acme, product: conformant, version: "1", image: debian12-conformant.qcow2}\n' > "$queue/queue.yaml"
state="$queue/state"
$sudo install -d -o imagegate -g imagegate -m 0700 "$state"
command=$(sed -n 's/^ExecStart=//p' "$unit" | sed "s|/etc/imagegate/queue.yaml|$queue/queue.yaml|; s|/var/lib/imagegate|$state|g")
read -r -a environment <<< "$(sed -n 's/^Environment=//p' "$unit" | sed "s|/var/lib/imagegate|$state|g" | tr '\n' ' ')"
status=0
$sudo setpriv --reuid=imagegate --regid=imagegate --init-groups env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LIBGUESTFS_BACKEND=direct \
  "${environment[@]}" sh -c "umask 0077 && mkdir -p $state/site && cd $state && $command" > unit.log 2>&1 || status=$?
# A new entry that does not pass ends the night with 1; the conformant fixture's own check is INCOMPLETE (exit 4).
[[ $status -eq 1 ]] && grep -q '"exitCode" : 4' "$state/site/run.json" 2>/dev/null \
  || { cat unit.log; fail "the queue's unit, run as imagegate, exited $status and did not check the conformant fixture INCOMPLETE"; }
[[ $($sudo stat -c %U "$state/queue.sqlite") == imagegate ]] || fail "the queue's history is not the imagegate user's"
echo "test-package: the queue's unit runs as imagegate (systemd-analyze security: $exposure) and checked the conformant fixture (INCOMPLETE) as that user"
echo "test-package: $(basename "$deb") installed with apt-get; --version, check --no-boot (scenario from /usr/share), man and the units work"
