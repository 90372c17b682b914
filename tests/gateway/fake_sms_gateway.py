"""A stand-in for the operator's SMS gateway, run as its own process by the tests.

``python tests/fake_sms_gateway.py`` listens on a free port of 127.0.0.1 and prints it
on the first line of its output. It speaks the gateway's protocol (``POST`` a JSON
message, 202 when accepted) and takes orders on ``/control``:

- ``POST /control {"mode": "ok"}`` accepts messages (the start);
- ``{"mode": "fail"}`` answers 500 to every message;
- ``{"mode": "fail_once"}`` answers 500 to the next message, then accepts again;
- ``{"mode": "hang"}`` never answers (until the process ends);
- ``GET /control`` returns the messages it accepted.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Gateway(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.mode = "ok"
        self.accepted: list[dict] = []
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    server: Gateway

    def _answer(self, status: int, body: object = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")

    def do_GET(self):
        with self.server.lock:
            self._answer(200, {"mode": self.server.mode, "accepted": self.server.accepted})

    def do_POST(self):
        body = self._body()
        if self.path == "/control":
            with self.server.lock:
                self.server.mode = body["mode"]
            self._answer(200, {"mode": body["mode"]})
            return
        with self.server.lock:
            mode = self.server.mode
            if mode == "fail_once":
                self.server.mode = "ok"
        if mode == "hang":
            time.sleep(3600)
        elif mode in ("fail", "fail_once"):
            self._answer(500, {"error": "unavailable"})
        else:
            with self.server.lock:
                self.server.accepted.append(
                    {"authorization": self.headers.get("Authorization"), **body}
                )
            self._answer(202, {"id": len(self.server.accepted)})

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = Gateway()
    sys.stdout.write(f"{server.server_port}\n")
    sys.stdout.flush()
    server.serve_forever()
