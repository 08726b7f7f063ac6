"""A real Ray cluster on this machine: a head and worker nodes, each its own ``ray start`` process tree.

Every process of a node carries a marker in its environment, so a node is killed (``kill -9``, as
a crashed machine) and the cluster torn down by process id, touching no other Ray on the machine.
Each worker node has its own embedding cache (``MIEB_CACHE_DIR``), as separate machines would.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

RAY_CLI = "import sys; from ray.scripts.scripts import main; sys.argv[0] = 'ray'; sys.exit(main())"
MARKER = "MIEB_TEST_RAY_NODE"
OBJECT_STORE_BYTES = 100 * 1024 * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _has_ray_client() -> bool:
    try:
        from ray._private.utils import get_ray_client_dependency_error
    except ImportError:  # a private helper: without it, Ray's own default stands
        return False
    return get_ray_client_dependency_error() is None


def node_pids(token: str) -> list[int]:
    """Processes whose environment carries ``token`` (every process a node started)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if f"{MARKER}={token}".encode() in environ.split(b"\0"):
            pids.append(int(entry.name))
    return pids


def kill_node(token: str, sig: int = signal.SIGKILL) -> int:
    """Send ``sig`` to every process of one node; how many there were."""
    pids = node_pids(token)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    return len(pids)


@dataclass
class LocalCluster:
    root: Path
    port: int = field(default_factory=_free_port)
    tokens: dict[str, str] = field(default_factory=dict)  # node name -> marker token

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _start(self, name: str, args: list[str]) -> None:
        token = f"{name}-{uuid.uuid4().hex[:8]}"
        self.tokens[name] = token
        folder = self.root / name
        (folder / "cache").mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            MARKER: token,
            "MIEB_CACHE_DIR": str(folder / "cache"),
            "RAY_USAGE_STATS_ENABLED": "0",
            "OMP_NUM_THREADS": "1",
        }
        env.pop("RAY_ADDRESS", None)
        command = [sys.executable, "-c", RAY_CLI, "start", *args, f"--object-store-memory={OBJECT_STORE_BYTES}"]
        command += ["--disable-usage-stats", f"--temp-dir={folder / 'ray'}"]
        # Ports Ray would otherwise take at fixed defaults, so another Ray on the machine is never hit.
        command += [f"--dashboard-agent-listen-port={_free_port()}"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            raise RuntimeError(f"ray start ({name}) failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")

    def start(self, workers: int = 2, cpus_per_worker: int = 1) -> LocalCluster:
        # The head holds no CPUs: groups run on the worker nodes only, as on a cluster whose driver is a login node.
        head = ["--head", f"--port={self.port}", "--num-cpus=0", "--include-dashboard=false"]
        if _has_ray_client():  # else no client server starts; with ray[client] it would take 10001
            head.append(f"--ray-client-server-port={_free_port()}")
        self._start("head", head)
        for index in range(1, workers + 1):
            self._start(f"worker{index}", [f"--address={self.address}", f"--num-cpus={cpus_per_worker}"])
        self.wait_for_nodes(workers + 1)
        return self

    def wait_for_nodes(self, count: int, timeout: float = 120) -> None:
        probe = (
            "import ray, sys; ray.init(address=sys.argv[1], log_to_driver=False); "
            "print(sum(n['Alive'] for n in ray.nodes()))"
        )
        deadline = time.monotonic() + timeout
        while True:
            done = subprocess.run(
                [sys.executable, "-c", probe, self.address], capture_output=True, text=True, timeout=120
            )
            alive = int(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 and done.stdout.strip() else 0
            if alive >= count:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {alive} of {count} Ray nodes came up: {done.stderr[-2000:]}")
            time.sleep(2)

    def node_ids(self) -> dict[str, str]:
        """Node name -> Ray's node id, matched by the node's own temp folder in its object-store socket path."""
        probe = (
            "import json, ray, sys; ray.init(address=sys.argv[1], log_to_driver=False); "
            "print(json.dumps({n['NodeID']: n['ObjectStoreSocketName'] for n in ray.nodes() if n['Alive']}))"
        )
        done = subprocess.run([sys.executable, "-c", probe, self.address], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"could not list the Ray nodes: {done.stderr[-2000:]}")
        sockets = json.loads(done.stdout.strip().splitlines()[-1])
        folders = {name: str(self.root / name / "ray") for name in self.tokens}
        return {
            name: node_id
            for node_id, socket_path in sockets.items()
            for name, folder in folders.items()
            if socket_path.startswith(folder + os.sep)
        }

    def node_pids(self, name: str) -> list[int]:
        return node_pids(self.tokens[name])

    def kill(self, name: str) -> int:
        return kill_node(self.tokens[name])

    def stop(self) -> None:
        """Terminate every node's processes (workers first), then kill what is left."""
        for name in reversed(list(self.tokens)):
            kill_node(self.tokens[name], signal.SIGTERM)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(node_pids(t) for t in self.tokens.values()):
            time.sleep(0.5)
        for token in self.tokens.values():
            kill_node(token)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(node_pids(t) for t in self.tokens.values()):
            time.sleep(0.2)
