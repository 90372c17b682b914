"""Gunicorn's access log, as production writes it: one JSON object per line, whatever a
request puts in its path."""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.plugin import application_environ
from tests.test_runportal import free_port

ROOT = Path(__file__).resolve().parent.parent

# Percent-encoded (Django sees the decoded character) and raw bytes in the request line
# (gunicorn refuses those itself, and says so in its error log).
ENCODED = {
    b"/buscar%0A%7B%22level%22%3A%22ERROR%22%7D": '/buscar\n{"level":"ERROR"}',
    b"/a%00b": "/a\x00b",
    b"/a%22b": '/a"b',
    b"/a%0D%0Ab": "/a\r\nb",
    b"/a%1B%5B31mb": "/a\x1b[31mb",
    b"/%C3%B1and%C3%BA": "/ñandú",
    b"/tarjeta/5137440000000391": "/tarjeta/513744XXXXXX0391",  # masked like app logs
}
RAW = [b"/a\x01b", b"/a\x1b[31mb", b"/a\x7fb"]


def send(port: int, path: bytes, *headers: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        lines = [b"GET " + path + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
        s.sendall(b"\r\n".join([*lines, *headers]) + b"\r\n\r\n")
        return s.recv(64)


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    env = application_environ(
        SECRET_KEY="access-log-" + "k" * 50,
        COOPROGRESO_VAR_DIR=str(tmp_path),
        STATIC_ROOT=str(tmp_path),
        WEB_BIND=f"127.0.0.1:{port}",
        WEB_WORKERS="1",
    )
    # As the Procfile starts it (gunicorn.conf.py from the checkout).
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "cooprogreso.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield port, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=30)


def stop(proc) -> list[dict]:
    proc.terminate()
    output, _ = proc.communicate(timeout=30)
    lines = [line for line in output.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"a log line is not JSON: {line!r}")
    return parsed


def test_every_access_log_line_is_json_whatever_the_path_holds(gunicorn):
    port, proc = gunicorn
    for path in ENCODED:
        assert send(port, path).startswith(b"HTTP/1.1 ")
    for path in RAW:
        assert send(port, path).startswith(b"HTTP/1.1 400")
    send(port, b"/ok", b"X-Request-ID: abcdefgh")
    records = stop(proc)

    access = [r for r in records if r.get("logger") == "gunicorn.access"]
    assert sorted(r["path"] for r in access) == sorted([*ENCODED.values(), "/ok"])
    for record in access:
        assert record["method"] == "GET"
        assert isinstance(record["status"], int)
        assert isinstance(record["ms"], int)
        assert record["request_id"]
    assert next(r for r in access if r["path"] == "/ok")["request_id"] == "abcdefgh"
    refused = " ".join(r["message"] for r in records if r.get("logger") == "gunicorn.error")
    for path in RAW:
        assert repr(path.decode("latin-1"))[1:-1] in refused
