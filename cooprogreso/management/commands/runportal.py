"""Runs the Procfile's processes (web, worker, beat) together in the foreground.

Each process starts in its own session; Ctrl-C (or SIGTERM) asks each main process to
stop — gunicorn and Celery then stop their own children, and a worker finishes the task
it is running — and only a process still alive after the grace period is killed.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def parse_procfile(path: Path) -> dict[str, str]:
    processes = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not command.strip():
            raise CommandError(f"Línea no válida en {path.name}: {raw!r}")
        processes[name.strip()] = command.strip()
    return processes


class Command(BaseCommand):
    help = "Arranca web, worker y beat del Procfile; Ctrl-C los detiene juntos."

    def add_arguments(self, parser):
        parser.add_argument("--procfile", default=str(Path(settings.BASE_DIR) / "Procfile"))
        parser.add_argument(
            "--grace", type=float, default=30.0, help="segundos de espera al detener"
        )

    def handle(self, *args, procfile: str, grace: float, **options):
        commands = parse_procfile(Path(procfile))
        width = max(map(len, commands))
        stop = threading.Event()
        lock = threading.Lock()

        def say(name: str, text: str) -> None:
            with lock:
                sys.stdout.write(f"{name:<{width}} | {text}\n")
                sys.stdout.flush()

        def pump(name: str, proc: subprocess.Popen) -> None:
            for line in proc.stdout:
                say(name, line.rstrip("\n"))

        def request_stop(signum, frame) -> None:
            stop.set()

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)

        # The Procfile names console scripts of this environment (gunicorn, celery).
        env = os.environ.copy()
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        procs: dict[str, subprocess.Popen] = {}
        for name, command in commands.items():
            procs[name] = subprocess.Popen(  # noqa: S602 - commands come from our Procfile
                f"exec {command}",
                shell=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
                start_new_session=True,
                env=env,
            )
            threading.Thread(target=pump, args=(name, procs[name]), daemon=True).start()
            say("system", f"{name} iniciado (pid {procs[name].pid})")

        while not stop.is_set():
            exited = [n for n, p in procs.items() if p.poll() is not None]
            if exited:
                say("system", f"{', '.join(exited)} terminó; deteniendo los demás")
                break
            stop.wait(0.5)

        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name, proc in procs.items():
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say("system", f"{name} no se detuvo a tiempo; forzando")
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            say("system", f"{name} detenido (código {proc.returncode})")
        failed = [n for n, p in procs.items() if p.returncode not in (0, -signal.SIGTERM)]
        if failed and not stop.is_set():
            raise CommandError(f"Terminó con error: {', '.join(failed)}")
