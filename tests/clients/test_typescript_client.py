"""The TypeScript client (openapi-typescript + openapi-fetch, clients/typescript): generated from
the committed openapi.json, a booking call type-checks with `tsc --noEmit`, and a reason code
the API does not have is a compile error. Needs `npm ci` in clients/typescript (make test does
it)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "typescript"
BIN = CLIENT / "node_modules" / ".bin"


def run(*args: str, cwd: Path = CLIENT) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def generated():
    if not (BIN / "tsc").exists():
        pytest.fail("clients/typescript has no node_modules: run `make ts-client` (make test does)")
    done = run(str(BIN / "openapi-typescript"), "../../openapi.json", "-o", "src/schema.d.ts",
               "--default-non-nullable", "false")
    assert done.returncode == 0, done.stderr
    return CLIENT / "src" / "schema.d.ts"


def test_the_typescript_version_is_5(generated):
    assert run(str(BIN / "tsc"), "--version").stdout.startswith("Version 5.")


def test_a_booking_call_type_checks(generated):
    done = run(str(BIN / "tsc"), "--noEmit", "-p", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_wrong_reason_code_does_not_compile(generated, tmp_path):
    """wrong-reason.ts carries `@ts-expect-error` (so the project check above fails if it ever
    compiles); without the directive, tsc must reject it for the unknown code."""
    for name in ("client.ts", "schema.d.ts"):
        shutil.copy(CLIENT / "src" / name, tmp_path / name)
    source = (CLIENT / "src" / "wrong-reason.ts").read_text()
    assert "@ts-expect-error" in source
    (tmp_path / "wrong-reason.ts").write_text(
        "\n".join(line for line in source.splitlines() if "@ts-expect-error" not in line))
    os.symlink(CLIENT / "node_modules", tmp_path / "node_modules")
    shutil.copy(CLIENT / "tsconfig.json", tmp_path / "tsconfig.json")
    (tmp_path / "tsconfig.json").write_text(
        (CLIENT / "tsconfig.json").read_text().replace('"src/**/*.ts"', '"*.ts"'))
    done = run(str(BIN / "tsc"), "--noEmit", "-p", ".", cwd=tmp_path)
    assert done.returncode != 0
    assert "wrong-reason.ts" in done.stdout and "passport_renewal" in done.stdout, done.stdout
