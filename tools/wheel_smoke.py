"""Check the shipped build: the wheel, installed alone with the locked dependencies, outside the repository.

What a deployment gets is the wheel and ``uv.lock``'s pins, not this checkout. So this builds the wheel,
creates a throwaway venv in a temporary folder, installs the locked runtime dependencies (no dev extras)
and the wheel into it, and then, from a folder outside the repository, runs
``undersign templates check``, loads the French message catalogue, renders one shipped sample, and starts
``undersign dev`` until ``/readyz`` answers 200 (then stops it with Ctrl+C and expects a clean exit).
Any failure exits 1 and says which step.

Run: ``.venv/bin/python tools/wheel_smoke.py`` (``make test`` runs it after the suite).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
UV = Path(sys.executable).parent / "uv"
# Generous: a loaded two-core machine; nothing here measures speed.
READY_SECONDS = 300


def _run(step: str, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    print(f"wheel smoke: {step}", flush=True)
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"wheel smoke: {step} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _clean_env(**extra: str) -> dict[str, str]:
    """A fresh shell's environment: no undersign settings, no virtualenv of the checkout on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UNDERSIGN_", "VIRTUAL_ENV"))}
    return {**env, **extra}


def _serve_until_ready(binary: Path, folder: Path) -> None:
    port = _free_port()
    print(f"wheel smoke: undersign dev on port {port} until /readyz is 200", flush=True)
    process = subprocess.Popen(
        [str(binary), "dev", "--port", str(port), "--data-dir", str(folder / "data")],
        cwd=folder,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + READY_SECONDS
    ready = False
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as response:
                ready = response.status == 200
        except OSError:
            ready = False
        if ready:
            break
        time.sleep(1)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        sys.exit(f"wheel smoke: undersign dev did not stop on Ctrl+C:\n{out}\n{err}")
    if not ready:
        sys.exit(f"wheel smoke: undersign dev from the wheel never became ready:\n{out}\n{err}")
    if process.returncode != 0 or "Traceback" in err:
        sys.exit(f"wheel smoke: undersign dev did not stop cleanly ({process.returncode}):\n{err}")


def main() -> None:
    """Build, install and exercise the wheel; exit 1 naming the step that failed."""
    with tempfile.TemporaryDirectory(prefix="undersign-wheel-") as temp:
        folder = Path(temp)
        _run("build the wheel", [str(UV), "build", "--wheel", "--out-dir", str(folder / "dist"), str(REPO)])
        wheel = next((folder / "dist").glob("undersign-*.whl"))
        requirements = folder / "requirements.txt"
        _run(
            "export the locked runtime dependencies",
            [str(UV), "export", "--frozen", "--no-dev", "--no-emit-project", "--output-file", str(requirements)],
            cwd=REPO,
        )
        venv = folder / "venv"
        _run("create a throwaway venv", [str(UV), "venv", "--python", sys.executable, str(venv)])
        python = venv / "bin" / "python"
        _run(
            "install the locked dependencies",
            [str(UV), "pip", "install", "--python", str(python), "-r", str(requirements)],
        )
        _run("install the wheel", [str(UV), "pip", "install", "--python", str(python), "--no-deps", str(wheel)])
        binary = venv / "bin" / "undersign"
        work = folder / "elsewhere"
        work.mkdir()
        env = _clean_env()
        _run("undersign templates check", [str(binary), "templates", "check"], cwd=work, env=env)
        listing = _run("undersign templates list", [str(binary), "templates", "list"], cwd=work, env=env).stdout
        if "msa/msa" not in listing:
            sys.exit(f"wheel smoke: the installed library does not list msa/msa:\n{listing}")
        # The French message catalogue ships compiled inside the wheel (a French signer must get French).
        french = (
            "from undersign.message_catalogs import GettextCatalogs; "
            "print(GettextCatalogs().translator('fr').gettext('Certificate of completion'))"
        )
        said = _run("load the French catalogue", [str(python), "-c", french], cwd=work, env=env).stdout.strip()
        if said != "Certificat d\u2019achèvement":
            sys.exit(f"wheel smoke: the installed wheel does not serve French: {said!r}")
        sample = next(venv.glob("lib/python*/site-packages/undersign/templates/msa/msa/samples/us-tx-monthly.json"))
        output = work / "msa.pdf"
        _run(
            "undersign render a sample",
            [str(binary), "render", "msa/msa", str(sample), "-o", str(output)],
            cwd=work,
            env=env,
        )
        if not output.read_bytes().startswith(b"%PDF-"):
            sys.exit("wheel smoke: the rendered sample is not a PDF")
        _serve_until_ready(binary, work)
    print("wheel smoke: the installed wheel checks its templates, renders, and serves /readyz 200")


if __name__ == "__main__":
    main()
