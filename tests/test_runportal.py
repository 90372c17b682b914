"""The embedded default end to end: web, worker and beat on SQLite and a file broker."""

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.plugin import application_environ

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def embedded_env(tmp_path):
    env = application_environ(
        DJANGO_DEBUG="true",
        COOPROGRESO_VAR_DIR=str(tmp_path),
        HEARTBEAT_SECONDS="1",
        WEB_BIND=f"127.0.0.1:{free_port()}",
        WEB_WORKERS="1",
    )
    for command in (["migrate", "--noinput"], ["demo_load"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    return env


def get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return None, ""


def test_web_worker_and_beat_run_together_and_stop_cleanly(embedded_env):
    base = f"http://{embedded_env['WEB_BIND']}"
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runportal", "--grace", "30"],
        cwd=ROOT,
        env=embedded_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, body = get(f"{base}/healthz")
            if status == 200:
                health = json.loads(body)
                if health["worker_heartbeat_seconds"] is not None:
                    break
            time.sleep(0.5)
        # beat scheduled the heartbeat, the worker ran it, the web process reports it
        assert health.get("worker_heartbeat_seconds") is not None, health
        assert health["database"] == health["broker"] == "ok"
        status, html = get(f"{base}/ingresar/")
        assert status == 200
        assert "Iniciar Sesión" in html
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    for name in ("web", "worker", "beat"):
        assert f"{name} detenido (código 0)" in output, output
