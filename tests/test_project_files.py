"""The README, the Procfile, docker-compose.yml and CI tell the same story."""

from pathlib import Path

import yaml

from accounts.demo import DEMO_LOGINS
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


def test_compose_migrates_as_the_owner_and_runs_the_portal_as_the_application_role():
    from urllib.parse import urlparse

    services = COMPOSE["services"]
    prepare = services["prepare"]["environment"]
    owner, app = urlparse(prepare["DATABASE_OWNER_URL"]), urlparse(prepare["DATABASE_URL"])
    assert (owner.hostname, owner.port, owner.path) == (app.hostname, app.port, app.path)
    assert owner.username != app.username
    for name in PROCFILE:
        environment = services[name]["environment"]
        assert "DATABASE_OWNER_URL" not in environment
        assert urlparse(environment["DATABASE_URL"]).username == app.username
    # The postgres service creates both roles with deploy/postgres/roles.sql and these
    # passwords; the script's default role names are the ones the URLs use.
    postgres = services["postgres"]
    assert (
        "./deploy/postgres/roles.sql:/docker-entrypoint-initdb.d/10-roles.sql:ro"
        in postgres["volumes"]
    )
    assert postgres["environment"]["COOPROGRESO_OWNER_PASSWORD"] == owner.password
    assert postgres["environment"]["COOPROGRESO_APP_PASSWORD"] == app.password
    script = (ROOT / "deploy" / "postgres" / "roles.sql").read_text()
    assert f"\\set owner {owner.username}\n" in script
    assert f"\\set app {app.username}\n" in script
    assert app.username != postgres["environment"].get("POSTGRES_USER", "postgres")


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


def programs_run_by(path: Path) -> set[str]:
    """The programs a file starts by name: the first item of a literal argument list passed
    to ``subprocess`` (``[sys.executable, …]`` is the project's own interpreter)."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        if not (isinstance(owner, ast.Name) and owner.id == "subprocess" and node.args):
            continue
        argv = node.args[0]
        if isinstance(argv, ast.List) and argv.elts and isinstance(argv.elts[0], ast.Constant):
            found.add(argv.elts[0].value)
    return found


def test_tests_run_only_programs_the_set_up_installs():
    """A fresh machine has Python and what `.ci/run` and the Makefile install: a test that
    runs another program (pdftotext, say) passes only where someone installed it by hand.
    Benchmarks may need more (pgbench), as long as the README says so."""
    import sys

    venv_programs = {p.name for p in Path(sys.executable).parent.iterdir()}
    set_up = (ROOT / ".ci" / "run").read_text() + (ROOT / "Makefile").read_text()
    strays = {}
    for pattern, documented in (("tests/**/*.py", set_up), ("bench/*.py", set_up + README)):
        for path in ROOT.glob(pattern):
            for program in programs_run_by(path) - venv_programs:
                if f"`{program}`" not in documented and f" {program} " not in documented:
                    strays.setdefault(program, []).append(str(path.relative_to(ROOT)))
    assert strays == {}
