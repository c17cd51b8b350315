#!/usr/bin/env bash
# A libvirt host of the tests' own: libvirtd and virtlogd in a network
# namespace and a mount namespace of their own, reached from this machine
# only over a veth pair, at qemu+tcp://10.231.N.2/system (auth none; the
# address exists only between this machine and that namespace).
#
#   scripts/test-libvirt-host.sh start N   prints the URI once libvirtd answers
#   scripts/test-libvirt-host.sh stop N    kills every process in the namespace, removes it
#   scripts/test-libvirt-host.sh kill N    kills libvirtd alone (a host that drops mid-run)
#
# Nothing but the network is shared: the daemons get private /run,
# /etc/libvirt, /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt and
# /var/lib/imagegate, and /root, /home, /tmp, /var/tmp and /work are empty
# tmpfs to them, so a local path that leaked into a domain or volume fails.
# /dev has no kvm: where KVM hangs, libvirt's capability probe would too.
set -euo pipefail


# The daemons log as their own libvirtd.conf says; a caller's libvirt
# logging settings (make exports LIBVIRT_LOG_OUTPUTS to a file under this
# machine's state folder, which the daemons' namespace does not have) stay out.
unset LIBVIRT_LOG_OUTPUTS LIBVIRT_LOG_FILTERS LIBVIRT_DEBUG

action=${1:?usage: $0 start|stop|kill N}
n=${2:?usage: $0 start|stop|kill N}
[[ "$n" =~ ^[0-9]{1,2}$ ]] || { echo "$0: host number must be 0-99, not $n" >&2; exit 2; }
ns=imagegate-h$n
outer=veth-igh$n
address=10.231.$n.2
base=/var/lib/imagegate-test-hosts/h$n
uri=qemu+tcp://$address/system

stop() {
  if ip netns list 2>/dev/null | grep -qw "$ns"; then
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    for _ in $(seq 50); do [[ -z "$(ip netns pids "$ns" 2>/dev/null)" ]] && break; sleep 0.1; done
    ip netns delete "$ns" || true
  fi
  ip link delete "$outer" 2>/dev/null || true
  rm -rf "$base"
}

case "$action" in
stop) stop; exit 0 ;;
kill)
  for pid in $(ip netns pids "$ns" 2>/dev/null); do
    [[ "$(cat /proc/"$pid"/comm 2>/dev/null)" == libvirtd ]] && kill -9 "$pid"
  done
  exit 0 ;;
start) ;;
*) echo "$0: unknown action $action (start, stop or kill)" >&2; exit 2 ;;
esac

stop
mkdir -p "$base"/{run,etc,lib,log,cache,imagegate}
cp -a /etc/libvirt/. "$base/etc/"
cat > "$base/etc/libvirtd.conf" <<EOF
listen_tls = 0
listen_tcp = 1
listen_addr = "$address"
auth_tcp = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
ip netns add "$ns"
ip link add "$outer" type veth peer name eth0 netns "$ns"
ip addr add 10.231.$n.1/24 dev "$outer"
ip link set "$outer" up
ip -n "$ns" addr add "$address/24" dev eth0
ip -n "$ns" link set eth0 up
ip -n "$ns" link set lo up

ip netns exec "$ns" unshare -m --propagation private bash -euo pipefail -c '
  base=$1
  mount -t tmpfs tmpfs /run
  mkdir -p /run/libvirt /run/lock
  mount --bind "$base/etc" /etc/libvirt
  mount --bind "$base/lib" /var/lib/libvirt
  mount --bind "$base/log" /var/log/libvirt
  mount --bind "$base/cache" /var/cache/libvirt
  mkdir -p /var/lib/imagegate
  mount --bind "$base/imagegate" /var/lib/imagegate
  for private in /root /home /tmp /var/tmp /work; do [ -d $private ] && mount -t tmpfs tmpfs $private; done
  # Hide this machine'"'"'s own view of the test hosts too.
  mount -t tmpfs tmpfs /var/lib/imagegate-test-hosts
  # A /dev without kvm (a masked node still exists, and libvirt would
  # re-probe QEMU at every domain start).
  # A caller that masked /dev/kvm with a bind mount (ImageGate does, in its
  # own namespace) leaves that mount under /dev: libvirt would try to carry
  # it into each QEMU'"'"'s /dev and fail on it.
  while grep -q " /dev/kvm " /proc/self/mounts; do umount /dev/kvm; done
  mkdir -p /run/host-dev && mount --bind /dev /run/host-dev
  mount -t tmpfs -o mode=0755 tmpfs /dev
  for node in null zero full random urandom tty; do touch /dev/$node; mount --bind /run/host-dev/$node /dev/$node; done
  mkdir -p /dev/pts /dev/shm /dev/net
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
  ln -s pts/ptmx /dev/ptmx
  mount -t tmpfs tmpfs /dev/shm
  [ -e /run/host-dev/net/tun ] && touch /dev/net/tun && mount --bind /run/host-dev/net/tun /dev/net/tun
  umount -l /run/host-dev
  virtlogd -d
  libvirtd --listen -d
' _ "$base" </dev/null >"$base/start.log" 2>&1 || { cat "$base/start.log" >&2; exit 1; }

for _ in $(seq 300); do
  if virsh -q -c "$uri" version >/dev/null 2>&1; then echo "$uri"; exit 0; fi
  sleep 0.1
done
echo "$0: libvirtd in $ns did not answer at $uri within 30 s" >&2
exit 1
