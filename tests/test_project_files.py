"""The README, the Procfile, docker-compose.yml and CI tell the same story."""

from pathlib import Path

import yaml

from cooprogreso.demo import DEMO_LOGINS
from cooprogreso.management.commands.runportal import parse_procfile

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PROCFILE = parse_procfile(ROOT / "Procfile")
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_procfile_runs_web_worker_and_beat():
    assert set(PROCFILE) == {"web", "worker", "beat"}


def test_compose_runs_the_same_stack_with_the_same_commands():
    services = COMPOSE["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name, command in PROCFILE.items():
        assert services[name]["command"] == command
        assert (
            services[name]["depends_on"]["prepare"]["condition"] == "service_completed_successfully"
        )
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://")
        assert services[name]["environment"]["REDIS_URL"].startswith("redis://")
    assert "migrate" in services["prepare"]["command"]
    assert "demo_load" in services["prepare"]["command"]


def test_the_readme_shows_the_commands_compose_and_the_procfile_run():
    for command in PROCFILE.values():
        assert f"`{command}`" in README
    assert "docker compose up" in README


def test_the_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    assert "make run" in README
    assert "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.rstrip().splitlines()[-1] == "make test"


def test_the_readme_lists_every_demo_login():
    for login in DEMO_LOGINS:
        assert f"`{login.username}`" in README
        assert f"`{login.password}`" in README
