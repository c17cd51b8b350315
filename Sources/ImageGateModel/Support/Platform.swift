// ImageGate reads /proc, calls prctl, enters a mount namespace and runs
// libvirt's embedded QEMU driver: Linux only.
#if !os(Linux)
#error("ImageGate runs on Linux only. On macOS: `vagrant up` and work in the dev VM (docs/development.md, 'No Linux with libvirt at hand?').")
#endif
