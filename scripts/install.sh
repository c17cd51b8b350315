#!/usr/bin/env bash
# Lays out an installed ImageGate under DESTDIR/PREFIX from a release build
# (`make install`, `make deb`):
#   bin/imagegate, and lib/imagegate/ with the Swift runtime it links
#   share/man/man1/imagegate.1, imagegate-check.1, … (from the command definitions)
#   share/bash-completion/completions/imagegate, zsh and fish completions
#   share/imagegate/Scenarios/*.yaml, share/imagegate/profile.yaml
#   lib/systemd/system/imagegate-queue.{service,timer} (not enabled), and
#   lib/sysusers.d/imagegate.conf, the queue's unprivileged user (the Debian
#   package creates it; after make install: systemd-sysusers THAT_FILE)
# Usage: scripts/install.sh BINARY MANUAL_TOOL DESTDIR PREFIX
set -euo pipefail
binary=$1 manual_tool=$2 destdir=$3 prefix=$4
cd "$(dirname "$0")/.."

root="$destdir$prefix"
share="$root/share"
install -d "$root/bin" "$share/man/man1" "$share/bash-completion/completions" "$share/fish/vendor_completions.d" \
  "$share/imagegate/Scenarios" "$root/lib/systemd/system" "$root/lib/sysusers.d"
# zsh looks in vendor-completions for a distribution's own packages (/usr),
# in site-functions for the rest (/usr/local, a home folder).
if [[ "$prefix" == /usr ]]; then zsh_dir="$share/zsh/vendor-completions"; else zsh_dir="$share/zsh/site-functions"; fi
install -d "$zsh_dir"

install -m 0755 "$binary" "$root/bin/imagegate"
# Symbols make a release binary ten times its size; a crash report names functions without them.
strip --strip-unneeded "$root/bin/imagegate"
# The Swift runtime it links (libswiftCore, Foundation, dispatch … from the
# toolchain, not from the system's library folders) goes beside it in
# lib/imagegate, which the binary then searches alone: an installed
# ImageGate needs no Swift toolchain, and never loads another toolchain's.
runtime="$root/lib/imagegate"
bundled=0
while read -r library; do
  install -d "$runtime"
  install -m 0644 "$library" "$runtime/"
  patchelf --set-rpath '$ORIGIN' "$runtime/$(basename "$library")"
  bundled=$((bundled + 1))
done < <(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// && $3 !~ /^\/(usr\/)?lib(32|64|x32)?\// {print $3}')
if ((bundled)); then patchelf --set-rpath '$ORIGIN/../lib/imagegate' "$root/bin/imagegate"; fi
installed="$root/bin/imagegate"

# One page per command and subcommand (swift-argument-parser's
# generate-manual), named as git's are: imagegate-queue-run(1), not the
# generator's imagegate.queue.run(1), in file names and cross-references.
pages=$(mktemp -d)
trap 'rm -rf "$pages"' EXIT
"$manual_tool" "$installed" --multi-page --section 1 --output-directory "$pages" --authors "the ImageGate team" >/dev/null
for page in "$pages"/*.1; do
  name=$(basename "$page" .1)
  perl -pe 's/^(\.(?:Xr|Dt) )((?i)imagegate\.[\w.-]+)/$1 . ($2 =~ tr|.|-|r)/e' "$page" | gzip -9n > "$share/man/man1/${name//./-}.1.gz"
  chmod 0644 "$share/man/man1/${name//./-}.1.gz"
done

"$installed" --generate-completion-script bash > "$share/bash-completion/completions/imagegate"
"$installed" --generate-completion-script zsh > "$zsh_dir/_imagegate"
"$installed" --generate-completion-script fish > "$share/fish/vendor_completions.d/imagegate.fish"

install -m 0644 Scenarios/*.yaml "$share/imagegate/Scenarios/"
"$installed" profile > "$share/imagegate/profile.yaml"

sed "s|@BINDIR@|$prefix/bin|g" dist/systemd/imagegate-queue.service.in > "$root/lib/systemd/system/imagegate-queue.service"
install -m 0644 dist/systemd/imagegate-queue.timer "$root/lib/systemd/system/"
install -m 0644 dist/sysusers.d/imagegate.conf "$root/lib/sysusers.d/"
chmod 0644 "$root/lib/systemd/system/imagegate-queue.service" "$share/imagegate/profile.yaml" \
  "$share/bash-completion/completions/imagegate" "$zsh_dir/_imagegate" "$share/fish/vendor_completions.d/imagegate.fish"
echo "install: ImageGate in $root ($(find "$root" -type f | wc -l) files)"
