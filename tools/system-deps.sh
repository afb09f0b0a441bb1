#!/usr/bin/env bash
# Make sure the system packages the notebooks need are present:
#   - Graphviz (`dot`), which keras.utils.plot_model draws with;
#   - Debian's dataset-fashion-mnist, the full dataset, read offline.
# Installs them with apt-get when run as root or with password-less sudo;
# otherwise stops and names exactly what to install.
#
# A fresh cloud machine often runs unattended-upgrades at boot, which holds
# apt's locks for minutes. Rather than fail at once, we wait for the locks
# (APT_LOCK_TIMEOUT seconds, default 600) and say which lock and process we
# are waiting for.
set -euo pipefail

APT_LOCKS=${APT_LOCKS:-/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock}
APT_LOCK_TIMEOUT=${APT_LOCK_TIMEOUT:-600}
APT_LOCK_POLL=${APT_LOCK_POLL:-5}

# Print "LOCK (held by PROCESS)" for the first apt/dpkg lock another process
# holds, or nothing. apt and dpkg take fcntl locks, so we try one ourselves.
lock_holder() {
  python3 - "$@" <<'PY'
import fcntl, os, sys
for lock in sys.argv[1:]:
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        continue  # no such lock file: nobody holds it
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        inode = os.fstat(fd).st_ino
        holder = "another process"
        with open("/proc/locks") as locks:  # "1: POSIX ADVISORY WRITE PID MAJ:MIN:INODE ..."
            for line in locks:
                fields = line.split()
                if len(fields) > 5 and fields[5].rsplit(":", 1)[-1] == str(inode):
                    try:
                        name = open(f"/proc/{fields[4]}/comm").read().strip()
                    except OSError:
                        name = "?"
                    holder = f"process {fields[4]} ({name})"
                    break
        print(f"{lock} (held by {holder})")
        break
    finally:
        os.close(fd)
PY
}

# Wait until no apt/dpkg lock is held, at most APT_LOCK_TIMEOUT seconds.
wait_for_apt_locks() {
  local start=$SECONDS said="" held
  # shellcheck disable=SC2086  # APT_LOCKS is a space-separated list
  while held=$(lock_holder $APT_LOCKS) && [ -n "$held" ]; do
    if (( SECONDS - start >= APT_LOCK_TIMEOUT )); then
      echo "Gave up after ${APT_LOCK_TIMEOUT}s waiting for the apt/dpkg lock $held." >&2
      echo "Another package manager (often unattended-upgrades on a fresh machine) is still" >&2
      echo "running. Wait for it to finish, or raise APT_LOCK_TIMEOUT, then run make again." >&2
      return 1
    fi
    if [ "$said" != "$held" ]; then
      echo "system packages: waiting up to ${APT_LOCK_TIMEOUT}s for the apt/dpkg lock $held"
      said=$held
    fi
    sleep "$APT_LOCK_POLL"
  done
}

main() {
  local need=()
  command -v dot >/dev/null 2>&1 || need+=(graphviz)
  [ -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ] || need+=(dataset-fashion-mnist)

  if [ ${#need[@]} -eq 0 ]; then
    echo "system packages: graphviz and dataset-fashion-mnist are present"
    return 0
  fi

  local sudo
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    sudo=none
  fi

  if [ "${sudo[*]}" = none ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing system packages: ${need[*]}" >&2
    echo "Install them, then run make again:" >&2
    echo "  Debian/Ubuntu: sudo apt-get install ${need[*]}" >&2
    echo "  macOS/Windows: use the conda route in README.md (it brings Graphviz); get the" >&2
    echo "  dataset with keras.datasets.fashion_mnist.load_data() once while online," >&2
    echo "  or set FASHION_MNIST_DIR to a folder holding the four .gz files." >&2
    return 1
  fi

  echo "system packages: installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  wait_for_apt_locks
  # apt waits too (DPkg::Lock::Timeout), should another process take a lock after our check.
  local wait=(-o "DPkg::Lock::Timeout=$APT_LOCK_TIMEOUT")
  "${sudo[@]}" apt-get "${wait[@]}" update -qq
  wait_for_apt_locks
  "${sudo[@]}" apt-get "${wait[@]}" install -y -qq --no-install-recommends "${need[@]}"
}

# Run when executed; when sourced (the tests do), only define the functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
