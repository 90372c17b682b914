"""A per-checkout secret key for development, so ``make run`` needs no manual step."""

import secrets
from pathlib import Path


def development_secret_key(var_dir: Path) -> str:
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()
