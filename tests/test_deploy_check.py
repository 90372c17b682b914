import subprocess
import sys
from pathlib import Path

from tests.plugin import application_environ

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "SECRET_KEY": "p" * 20 + "roduction-secret-key-with-enough-entropy-1234567890",
    "ALLOWED_HOSTS": "enlinea.cooprogreso.example",
    "EMAIL_URL": "smtp+tls://portal:secret@smtp.cooprogreso.example:587",
    "SMS_GATEWAY_URL": "https://sms.cooprogreso.example/v1/messages",
    "SMS_GATEWAY_TOKEN": "token",
}


def run_check(extra: dict, tmp_path) -> subprocess.CompletedProcess:
    env = application_environ(
        keep_database=True, COOPROGRESO_VAR_DIR=str(tmp_path), **{**PRODUCTION, **extra}
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = run_check({}, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_development_settings(tmp_path):
    result = run_check({"DJANGO_DEBUG": "true"}, tmp_path)
    assert result.returncode != 0
    assert "DEBUG" in result.stdout + result.stderr


def test_check_deploy_refuses_a_missing_sms_gateway(tmp_path):
    result = run_check({"SMS_GATEWAY_URL": ""}, tmp_path)
    assert result.returncode != 0
    assert "cooprogreso.E001" in result.stdout + result.stderr


def test_check_deploy_refuses_a_cache_each_process_keeps_to_itself(tmp_path):
    result = run_check({"CACHE_URL": "locmemcache://"}, tmp_path)
    assert result.returncode != 0
    assert "cooprogreso.E003" in result.stdout + result.stderr
