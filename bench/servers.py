"""Start and stop the pieces a speed run needs: a seeded SQLite shop DB, the action server, Rasa."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.common import PYTHON, RASA, ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CODE_DIRS = ("actions", "shop", "addons")


def snapshot_code(dest: Path) -> Path:
    """Copy actions/, shop/ and addons/ once per bench run, so edits in the shared checkout during a
    long run cannot change (or break) the servers between repeats. The servers are started in the
    copy: `rasa run` puts its working directory first on sys.path, and so does `python -m`."""
    if dest.exists():
        shutil.rmtree(dest)
    for name in CODE_DIRS:
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


_code_path: list[Path] = []


def use_code_snapshot(path: Path) -> None:
    _code_path[:] = [path]


# The load comes from one client address, many times faster than a shopper types: the channels' rate
# limits (addons/channels.py) would answer most of it with HTTP 429. Off unless the caller sets them.
UNLIMITED_RATES = {"XIAOER_CLIENT_RATE_PER_MINUTE": "0", "XIAOER_SENDER_RATE_PER_MINUTE": "0"}


def base_env(db_url: str) -> dict[str, str]:
    pythonpath = os.pathsep.join([*(str(p) for p in _code_path), str(ROOT)])
    return {**UNLIMITED_RATES, **os.environ, "SHOP_DB_URL": db_url, "PYTHONPATH": pythonpath}


def seed_db(workdir: Path) -> str:
    """A fresh demo DB (seeded relative to now); returns its URL."""
    path = workdir / "shop.db"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    for command in ("init", "seed"):
        subprocess.run([str(PYTHON), "-m", "shop", command], cwd=ROOT, env=base_env(url), check=True,
                       stdout=subprocess.DEVNULL)
    return url


def mint_token(db_url: str, customer_id: int = 1) -> str:
    result = subprocess.run([str(PYTHON), "-m", "shop", "token", str(customer_id)], cwd=ROOT,
                            env=base_env(db_url), check=True, capture_output=True, text=True)
    return result.stdout.strip()


def write_endpoints(workdir: Path, actions_port: int, redis_db: int | None) -> Path:
    """Endpoints pointing at our own action server; Redis tracker + lock store for multi-worker runs."""
    endpoints: dict[str, object] = {"action_endpoint": {"url": f"http://127.0.0.1:{actions_port}/webhook"},
                                    "nlg": {"type": "addons.nlg.MostSpecificResponseGenerator"}}  # as endpoints.yml
    if redis_db is not None:
        prefix = f"xiaoerbench{os.getpid()}"
        common = {"url": "127.0.0.1", "port": 6379, "db": redis_db, "key_prefix": prefix}
        endpoints["tracker_store"] = {"type": "redis", **common, "record_exp": 600}
        endpoints["lock_store"] = {"type": "redis", **common}
    path = workdir / f"endpoints_{actions_port}.yml"
    path.write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    return path


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float) -> float:
    """Seconds until `url` answers 200 (raises if the process dies or time runs out)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def descendants(pid: int) -> list[int]:
    """pid and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def peak_rss_mb(pid: int) -> float:
    """Sum of VmHWM (peak resident set) over a process tree, in MiB."""
    total_kb = 0
    for member in descendants(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process tree so far (from /proc), in seconds."""
    ticks = 0
    for member in descendants(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server we started (its own process group), politely first."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    startup_s: float


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    cwd = _code_path[0] if _code_path else ROOT  # the code snapshot, if any, must shadow the checkout
    with log.open("wb") as out:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


@contextmanager
def action_server(workdir: Path, db_url: str) -> Iterator[Server]:
    port = free_port()
    cmd = [str(PYTHON), "-m", "bench.actions_server", str(port)]
    proc = _spawn(cmd, base_env(db_url), workdir / f"actions_{port}.log")
    try:
        startup = wait_http(f"http://127.0.0.1:{port}/health", proc, timeout=120)
        yield Server(proc, port, startup)
    finally:
        stop(proc)


@contextmanager
def rasa_server(workdir: Path, model: Path, db_url: str, endpoints: Path, workers: int = 1) -> Iterator[Server]:
    """`rasa run` on a free port; startup_s is until /status answers (the model is loaded by then)."""
    port = free_port()
    cmd = [str(RASA), "run", "-m", str(model), "--enable-api", "-p", str(port), "-i", "127.0.0.1",
           "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml")]
    env = dict(base_env(db_url), SANIC_WORKERS=str(workers))
    proc = _spawn(cmd, env, workdir / f"rasa_{port}.log")
    try:
        startup = wait_http(f"http://127.0.0.1:{port}/status", proc, timeout=300)
        yield Server(proc, port, startup)
    finally:
        stop(proc)
