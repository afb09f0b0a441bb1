"""tools/system-deps.sh waits for apt's locks instead of failing at once.

The tests hold an fcntl lock (what apt and dpkg take) on stand-in lock files
and run the script's own `wait_for_apt_locks` function against them.
"""

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "system-deps.sh"

HOLD = """
import fcntl, sys, time
f = open(sys.argv[1], "w")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_lock(path, seconds):
    """Start a process that holds an exclusive fcntl lock on `path` for `seconds`."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline() == "locked\n"
    return holder


def wait_for_locks(locks, timeout):
    env = dict(
        os.environ,
        APT_LOCKS=" ".join(str(p) for p in locks),
        APT_LOCK_TIMEOUT=str(timeout),
        APT_LOCK_POLL="0.2",
    )
    start = time.monotonic()
    result = subprocess.run(
        ["bash", "-c", f"source {SCRIPT} && wait_for_apt_locks"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return result, time.monotonic() - start


def test_free_or_absent_locks_pass_at_once(tmp_path):
    (tmp_path / "lock").touch()
    result, seconds = wait_for_locks([tmp_path / "lock", tmp_path / "absent"], timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and seconds < 5


def test_waits_for_a_held_lock_and_says_who_holds_it(tmp_path):
    lock = tmp_path / "lock-frontend"
    holder = hold_lock(lock, seconds=2)
    try:
        result, seconds = wait_for_locks([tmp_path / "absent", lock], timeout=30)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 0, result.stderr
    assert seconds >= 1.5, "returned before the lock was released"
    assert f"waiting up to 30s for the apt/dpkg lock {lock} (held by process {holder.pid}" in (
        result.stdout
    )


def test_gives_up_after_the_timeout_with_a_clear_message(tmp_path):
    lock = tmp_path / "lock"
    holder = hold_lock(lock, seconds=60)
    try:
        result, seconds = wait_for_locks([lock], timeout=2)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert 1 <= seconds < 10  # bash counts whole seconds: 2 s is at least 1
    assert f"Gave up after 2s waiting for the apt/dpkg lock {lock}" in result.stderr
    assert "raise APT_LOCK_TIMEOUT" in result.stderr


def test_our_own_probe_does_not_block_apt(tmp_path):
    # The probe takes a shared lock and lets go at once: a writer gets the lock after it.
    lock = tmp_path / "lock"
    lock.touch()
    result, _ = wait_for_locks([lock], timeout=5)
    with open(lock, "w") as f:
        fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert result.returncode == 0
