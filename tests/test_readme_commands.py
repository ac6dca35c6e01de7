"""Every `manage.py` command the README shows, and the one the app prints, runs as written
after `make run`, in a fresh database and a fresh environment (no DJANGO_* variables): the
way a reader copies it. `make run`'s set-up is done the way the Makefile does it, including
its `.env` recipe, in a temporary folder; a server (wsgi.py) never reads that file.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
PYTHON = ".venv/bin/python"
# What `make run` runs before it serves (see the Makefile's `run` target).
MAKE_RUN = [["migrate", "--noinput"], ["load_seeds"], ["create_demo_accounts"]]
NEW_PASSWORD = "a long passphrase nobody guesses 7"


def readme_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith(f"{PYTHON} manage.py ")]


@pytest.fixture(scope="module")
def after_make_run(tmp_path_factory):
    """A folder where `make run` has set up: its .env, a migrated database with the seed
    articles and the demo accounts. Returns run(command line) -> CompletedProcess."""
    where = tmp_path_factory.mktemp("fresh")
    (where / "fixtures").symlink_to(ROOT / "fixtures")
    # The Makefile's own recipe, with the running interpreter as the virtualenv's python.
    made = subprocess.run(
        ["make", "-s", "-f", str(ROOT / "Makefile"), ".env", f"BIN={Path(sys.executable).parent}"],
        cwd=where,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{where / 'db.sqlite3'}", DJANGO_ENV_FILE=str(where / ".env")
    )
    # A developer's own key would hide a command that needs one a fresh clone lacks.
    env.pop("EXPORT_PSEUDONYM_KEY", None)

    def run(line: str):
        assert line.startswith(f"{PYTHON} manage.py "), line
        args = line.split()[2:]
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=where,
            env=env,
            # Commands that ask (changepassword) read their answers from standard input.
            input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    for args in MAKE_RUN:
        result = run(" ".join([PYTHON, "manage.py", *args]))
        assert result.returncode == 0, result.stdout + result.stderr
    return run


def test_the_readme_shows_commands():
    commands = readme_commands()
    assert len(commands) >= 6
    for name in ("import_pages", "import_wxr", "import_disqus", "export_comments", "verify_audit"):
        assert any(f"manage.py {name} " in f"{c} " for c in commands), name


@pytest.mark.parametrize("line", readme_commands())
def test_readme_command_runs_as_written(after_make_run, line):
    result = after_make_run(line)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_command_create_demo_accounts_prints_runs_as_written(after_make_run):
    again = after_make_run(f"{PYTHON} manage.py create_demo_accounts")
    printed = re.findall(r"reset it with: (.+?)\)", again.stdout)
    assert printed, again.stdout
    for line in printed:
        result = after_make_run(line)
        assert result.returncode == 0, result.stdout + result.stderr


def python(*args, cwd, **env):
    """Run the interpreter as a fresh deployment would: no DJANGO_* or DATABASE_* variables
    but the ones given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_without_the_local_file_manage_py_keeps_the_production_defaults(tmp_path):
    missing = tmp_path / "missing.env"
    result = python(ROOT / "manage.py", "check", cwd=tmp_path, DJANGO_ENV_FILE=str(missing))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_a_server_never_reads_the_local_file(tmp_path):
    (tmp_path / ".env").write_text("DJANGO_DEBUG=true\n")
    result = python(
        "-c",
        "import moderation.wsgi, django.conf as c; print(c.settings.DEBUG)",
        cwd=ROOT,
        DJANGO_ENV_FILE=str(tmp_path / ".env"),
        DJANGO_SECRET_KEY="x" * 50,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_malformed_local_file_is_named_with_its_line(tmp_path):
    (tmp_path / ".env").write_text("DJANGO_DEBUG=true\nnot a setting\n")
    result = python(
        ROOT / "manage.py", "check", cwd=tmp_path, DJANGO_ENV_FILE=str(tmp_path / ".env")
    )
    assert result.returncode != 0
    assert f"{tmp_path / '.env'}: line 2: expected NAME=value" in result.stderr
