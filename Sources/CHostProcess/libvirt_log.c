// libvirt's own log (warnings such as "security driver none" or "tainted:
// high-privileges") goes to the state folder's libvirt.log, not to stderr,
// where it would land in a vendor's test output or the CLI's terminal.
//
// libvirt reads LIBVIRT_LOG_OUTPUTS once, when it initialises, and
// libguestfs's library constructor initialises it as the program loads,
// before any constructor of the program itself or any Swift code runs. An
// entry of the executable's .preinit_array runs earlier still, before every
// shared library's constructor; this file is linked into every program that
// boots (the CLI, a vendor's test runner), so the hook is in each of them.
// It cannot simply setenv: C's environment is not set up yet at that point
// (environ is NULL, and libc's own initialiser then sets it to the kernel's
// array, dropping anything added). So the hook executes the program again,
// unchanged but for the one variable, before anything has run.
//
// Nothing is changed when the user chose an output (LIBVIRT_LOG_OUTPUTS) or
// asked for traces (IMAGEGATE_TRACE): libvirt then logs as it would.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int nonempty(const char *value) { return value != NULL && value[0] != '\0'; }

// The value of `name` in `envp` (getenv cannot be used yet).
static const char *variable(char **envp, const char *name) {
    size_t length = strlen(name);
    for (char **entry = envp; entry && *entry; entry++) {
        if (strncmp(*entry, name, length) == 0 && (*entry)[length] == '=') return *entry + length + 1;
    }
    return NULL;
}

// The state folder as StateDirectory.default names it: $IMAGEGATE_STATE_DIR,
// else $XDG_STATE_HOME/imagegate, else $HOME/.local/state/imagegate.
static int state_folder(char **envp, char *path, size_t size) {
    const char *dir = variable(envp, "IMAGEGATE_STATE_DIR");
    if (nonempty(dir)) return snprintf(path, size, "%s", dir);
    const char *xdg = variable(envp, "XDG_STATE_HOME");
    if (nonempty(xdg)) return snprintf(path, size, "%s/imagegate", xdg);
    const char *home = variable(envp, "HOME");
    if (nonempty(home)) return snprintf(path, size, "%s/.local/state/imagegate", home);
    return -1;
}

// mkdir -p with mode 0700 for what is missing (StateDirectory.secure checks
// the folder's owner and mode later, as for any folder).
static int make_folders(char *path) {
    for (char *slash = strchr(path + 1, '/'); ; slash = strchr(slash + 1, '/')) {
        if (slash) *slash = '\0';
        int made = mkdir(path, 0700) == 0 || errno == EEXIST;
        if (slash) *slash = '/';
        if (!made) return -1;
        if (!slash) return 0;
    }
}

// Whether this is the CLI asked only for help or its version (no
// argument, `help`, `-h`, `--help`, `--version`): such a run touches
// nothing, not even the state folder, and starts no libvirt.
static int asks_only_for_help(int argc, char **argv) {
    const char *slash = argv[0] ? strrchr(argv[0], '/') : NULL;
    const char *name = slash ? slash + 1 : argv[0];
    if (name == NULL || strcmp(name, "imagegate") != 0) return 0;
    if (argc <= 1) return 1;
    if (strcmp(argv[1], "help") == 0) return 1;
    for (int index = 1; index < argc && argv[index]; index++) {
        const char *word = argv[index];
        if (strcmp(word, "--") == 0) return 0;
        if (strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0 || strcmp(word, "--version") == 0) return 1;
    }
    return 0;
}

static void imagegate_route_libvirt_log(int argc, char **argv, char **envp) {
    if (argv == NULL || envp == NULL) return;
    if (asks_only_for_help(argc, argv)) return;
    if (variable(envp, "LIBVIRT_LOG_OUTPUTS") != NULL || variable(envp, "IMAGEGATE_TRACE") != NULL) return;
    char folder[PATH_MAX];
    int length = state_folder(envp, folder, sizeof folder);
    // libvirt splits its outputs at spaces: such a path cannot be named.
    if (length <= 0 || (size_t)length >= sizeof folder || strchr(folder, ' ') != NULL) return;
    if (make_folders(folder) != 0) return;
    static char outputs[PATH_MAX + 64];
    length = snprintf(outputs, sizeof outputs, "LIBVIRT_LOG_OUTPUTS=3:file:%s/libvirt.log", folder);
    if (length <= 0 || (size_t)length >= sizeof outputs) return;
    size_t count = 0;
    while (envp[count]) count++;
    char **environment = calloc(count + 2, sizeof *environment);
    if (environment == NULL) return;
    memcpy(environment, envp, count * sizeof *environment);
    environment[count] = outputs;
    execve("/proc/self/exe", argv, environment);
    // Not executed again (no /proc): libvirt logs to stderr, as by default.
    free(environment);
}

__attribute__((section(".preinit_array"), used))
static void (*const imagegate_preinit_libvirt_log)(int, char **, char **) = imagegate_route_libvirt_log;
