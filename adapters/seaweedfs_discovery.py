"""Find the embedded SeaweedFS that is serving a data folder right now, from the live process itself.

``endpoint.json`` says where an instance *was* started. After an outage it can be stale: the
``weed`` process that wrote it died and an operator started the store again with the same command
line, so the file names a dead pid and CLI commands such as ``undersign run-due`` believed no store
was running ("No object store configured"), while the store answered on the same ports. The
command line of the live process is the truth: its ``-dir`` names the data folder and its
``-s3.port``/``-ip`` the endpoint, and its ``-s3.config`` file holds the credentials it enforces.

Where ``/proc`` cannot be read (not Linux), the endpoint file is still used, with its pid checked.
"""

from __future__ import annotations

import json
from pathlib import Path

from adapters.seaweedfs import SeaweedEndpoint, read_running_endpoint

_PROC = Path("/proc")
_DEFAULT_REGION = "us-east-1"


def _arguments(argv: list[str]) -> dict[str, str]:
    """Return the ``-name=value`` flags of a ``weed`` command line."""
    flags: dict[str, str] = {}
    for arg in argv:
        name, sep, value = arg.partition("=")
        if sep and name.startswith("-"):
            flags[name.lstrip("-")] = value
    return flags


def _absolute(path: str, cwd: Path) -> Path:
    """Resolve a path from a process's command line against that process's working folder."""
    candidate = Path(path)
    return (candidate if candidate.is_absolute() else cwd / candidate).resolve()


def _credentials(config: Path) -> tuple[str, str] | None:
    try:
        identities = json.loads(config.read_text(encoding="utf-8"))
        creds = identities["identities"][0]["credentials"][0]
        return str(creds["accessKey"]), str(creds["secretKey"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def _region(data_dir: Path) -> str:
    """The region the instance was started with (from its endpoint file, even a stale one), else the default."""
    try:
        raw = json.loads((data_dir / "seaweedfs" / "endpoint.json").read_text(encoding="utf-8"))
        return str(raw.get("region") or _DEFAULT_REGION)
    except (OSError, ValueError, AttributeError):
        return _DEFAULT_REGION


def live_weed_servers() -> list[tuple[int, list[str], Path]]:
    """Return (pid, argv, working folder) of every running ``weed server`` this user may inspect."""
    found: list[tuple[int, list[str], Path]] = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = [part.decode("utf-8", "replace") for part in (entry / "cmdline").read_bytes().split(b"\0") if part]
            if len(argv) < 2 or Path(argv[0]).name != "weed" or argv[1] != "server":
                continue
            cwd = (entry / "cwd").readlink()
        except OSError:
            continue  # gone meanwhile, or another user's process
        found.append((int(entry.name), argv, cwd))
    return found


def find_running_store(data_dir: Path) -> SeaweedEndpoint | None:
    """Return how to reach the live SeaweedFS keeping its data in ``data_dir``, or None when none runs."""
    if not _PROC.is_dir():
        return read_running_endpoint(data_dir)
    wanted = (Path(data_dir) / "seaweedfs" / "data").resolve()
    for pid, argv, cwd in live_weed_servers():
        flags = _arguments(argv)
        if "dir" not in flags or "s3.port" not in flags or _absolute(flags["dir"], cwd) != wanted:
            continue
        credentials = _credentials(_absolute(flags.get("s3.config", ""), cwd)) if flags.get("s3.config") else None
        if credentials is None:
            continue  # a store without the identities we generate is not ours to use
        host = flags.get("ip", "127.0.0.1")
        return SeaweedEndpoint(
            endpoint_url=f"http://{host}:{int(flags['s3.port'])}",
            region=_region(Path(data_dir)),
            access_key=credentials[0],
            secret_key=credentials[1],
            pid=pid,
        )
    return None
