import Foundation
import ImageGateModel

/// The facts first boot is judged by, read inside the guest. The same
/// script runs over SSH (channel one) and, installed by user-data, writes
/// one base64 JSON line between markers on ttyS0 (channel two, which needs
/// no network). Either way its second argument is the run's nonce, which
/// the JSON carries: a block without it is not the probe's
/// (``FactsBlocks``).
public enum GuestProbe {
    public static let path = "/usr/local/sbin/imagegate-probe"
    public static let beginMarker = "IMAGEGATE-FACTS-BEGIN"
    public static let endMarker = "IMAGEGATE-FACTS-END"

    /// POSIX sh; every command may be missing on a given image.
    public static let script = #"""
        #!/bin/sh
        # ImageGate guest probe: prints first boot's facts as one JSON object.
        json() { v=$("$@" 2>/dev/null); [ -n "$v" ] && printf '%s' "$v" || printf null; }
        str() { printf '"%s"' "$("$@" 2>/dev/null | tr '\n\t' '  ' | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
        # One cloud-init call (its Python starts slowly under TCG). On the
        # console the probe starts while cloud-init's last stage still runs,
        # so the call waits for cloud-init to finish (and, should it not
        # know --wait or JSON, so does the loop on result.json, which
        # cloud-init writes last). Progress dots before the JSON are dropped.
        cistatus() {
          v=$(cloud-init status $wait --long --format json 2>/dev/null)
          n=0; while [ -n "$wait" ] && [ ! -e /run/cloud-init/result.json ] && [ $n -lt 1200 ]; do sleep 0.5; n=$((n + 1)); done
          case "$v" in *"{"*) printf '{%s' "${v#*\{}" ;; *) printf null ;; esac
        }
        wait=; [ "$1" = --console ] && wait=--wait
        nonce=$(printf '%s' "$2" | tr -cd '0-9a-f')
        # What may still print a login prompt on ttyS0: the processes whose
        # terminal is ttyS0 (tty_nr 1088: major 4, minor 64) — a getty, on
        # every image that has one, and then nothing more is asked —, else
        # systemd's queued jobs, its running or starting services for ttyS0
        # and the getty unit's state; each list's lines joined by "|"; null
        # where systemd does not answer (another init system).
        joined() { printf '"%s"' "$(printf '%s' "$1" | tr '\t\n' ' |' | tr -d '\000-\037\177' | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
        serialgetty() {
          processes=$(sed -n 's/^[0-9]* (\(.*\)) [A-Za-z] [0-9-]* [0-9-]* [0-9-]* 1088 .*/\1/p' /proc/[0-9]*/stat 2>/dev/null)
          if [ -n "$processes" ]; then printf '{"processes":'; joined "$processes"; printf '}'; return; fi
          jobs=$(systemctl list-jobs --no-legend --plain 2>/dev/null) || { printf null; return; }
          units=$(systemctl list-units --all --no-legend --plain --type=service --state=active,activating,reloading '*ttyS0*' 2>/dev/null)
          printf '{"jobs":'; joined "$jobs"
          printf ',"units":'; joined "$units"
          printf ',"processes":""'
          printf ',"unitFile":'; str systemctl is-enabled serial-getty@ttyS0.service
          printf '}'
        }
        facts() {
          printf '{"nonce":"%s"' "$nonce"
          printf ',"cloudInitStatus":'; cistatus
          printf ',"hostname":'; str hostname
          printf ',"addresses":'; json ip -j addr show
          printf ',"routes":'; json ip -j route show
          printf ',"data":'; json findmnt -J /data
          printf ',"auditd":'; str systemctl is-active auditd
          printf ',"firewalld":'; str systemctl is-active firewalld
          printf ',"cloudInitResult":'; json cat /run/cloud-init/result.json
          printf ',"cmdline":'; str cat /proc/cmdline
          printf ',"swaps":'; str sed 1d /proc/swaps
          printf ',"machineID":'; str cat /etc/machine-id
          printf ',"hostKeys":'; str sh -c 'cat /etc/ssh/ssh_host_*_key.pub | sha256sum | cut -c1-64'
          printf ',"failedUnits":'; str systemctl --failed --no-legend --plain
          printf ',"serialGetty":'; serialgetty
          printf ',"listeningTCP":'; str sed -n 's/^ *[0-9]*: \([0-9A-F]*:[0-9A-F]*\) [0-9A-F]*:[0-9A-F]* 0A .*/\1/p' /proc/net/tcp /proc/net/tcp6
          printf '}'
        }
        if [ "$1" = --console ]; then
          facts > /run/imagegate-facts.json
          printf '\n%s %s %s\n' IMAGEGATE-FACTS-BEGIN "$(base64 -w 76 /run/imagegate-facts.json)" IMAGEGATE-FACTS-END > /dev/ttyS0
        else
          facts
        fi
        """#

    /// A fresh nonce for one run: 128 random bits, hex.
    public static func makeNonce() -> String {
        (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}
