"""`make package STAGE=...`: the deployable template and zip for one stage, offline.

    python -m infra.package --stage prod-us-east-1 [--out build/prod-us-east-1]

1. `chalice package` once to learn what Chalice generates for the stage (functions, roles,
   event sources, log groups), in a scratch directory;
2. `infra.template` renders the merge template (`<out>/merge.json`) from the shared table and
   queue definitions plus overrides of those Chalice resources;
3. `chalice package --merge-template <out>/merge.json <out>` writes `<out>/sam.json` and
   `<out>/deployment.zip`; a stage whose tables are global tables also gets its data stack's
   templates in `<out>/data/` (`infra.data`);
4. the zip loses what the Lambda runtime already provides (boto3, botocore, s3transfer,
   urllib3: PynamoDB pulls botocore in, the runtime's copy serves it) and what no route or job
   loads: Babel's CLDR data beyond our locales and their parents, `holidays` beyond the US
   calendar (both found by probing a fresh interpreter), and whole parts of dependencies listed
   in `NEVER_LOADED`. `make bench-package` measures the share of the zip still never loaded;
5. every module a cold start of the API imports (`cold_start_modules`: the app and what the
   before-snapshot hook loads) gets its compiled .pyc beside it (`bytecode`): Lambda cannot
   write them, so a cold start would otherwise compile every module it imports.

Offline: Chalice's pip runs with --no-index against `build/wheelhouse` (Lambda-platform wheels
that `make wheelhouse` downloads with the other installs), and Chalice caches the built
dependencies in `.chalice/deployments/`, so later runs do not even call pip.
The region comes from the stage (`infra.stages.region_of`), exported as AWS_DEFAULT_REGION,
which `chalice package` needs even offline.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from infra import data as data_stack
from infra.stages import ROOT, Stage, load
from infra.template import merge_template

WHEELHOUSE = ROOT / "build" / "wheelhouse"
# Provided by the Lambda Python runtime; shipping them would add ~16 MB to every cold start.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "urllib3")


def packaging_env(stage: Stage) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"AWS_ENDPOINT_URL", "AWS_PROFILE"}}
    # Import-time code (e.g. a queue name in `@app.on_sqs_message`) sees the stage's settings.
    env.update({k: v for k, v in stage.env.items() if "${" not in v and "{{" not in v})
    env.update({"AWS_DEFAULT_REGION": stage.region, "AWS_REGION": stage.region,
                "PYTHONDONTWRITEBYTECODE": "1"})
    if WHEELHOUSE.is_dir():
        env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELHOUSE)})
    return env


def chalice(stage: Stage, out: Path, *extra: str) -> None:
    command = [str(Path(sys.executable).parent / "chalice"), "--project-dir", str(ROOT),
               "package", "--stage", stage.name, *extra, str(out)]
    done = subprocess.run(command, cwd=ROOT, env=packaging_env(stage), capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"chalice package failed for {stage.name}:\n{done.stdout}\n"
                           f"{done.stderr}\nIf pip could not find a wheel, run `make wheelhouse`.")


def is_runtime_provided(name: str) -> bool:
    top = name.split("/", 1)[0]
    return top in RUNTIME_PROVIDED or any(
        top.startswith(f"{package}-") and top.endswith((".dist-info", ".data"))
        for package in RUNTIME_PROVIDED)


# Parts of dependencies that no route or job loads (`make bench-package` audits every file a
# run opens): the app routes with Chalice, not Powertools' event handler, and of Powertools'
# utilities it uses only `batch` (which loads parts of data_classes and parser); email
# addresses are checked for syntax only, so email-validator never imports dnspython;
# cryptography's Rust bindings need `_cffi_backend` but never the pure-Python cffi and its C
# parser; time zones come from the stdlib's zoneinfo and tzdata, never dateutil's own copy
# (without its tarball dateutil's gettz finds no zone and warns; nothing here calls it);
# phone numbers are parsed and validated, never matched against short codes (911, 311).
_POWERTOOLS_UNUSED = ("auth_alpha", "circuit_breaker", "data_masking", "feature_flags",
                      "idempotency", "kafka", "metadata", "parameters", "streaming",
                      "validation")
NEVER_LOADED = ("aws_lambda_powertools/event_handler/", "dns/", "icalendar/tests/",
                "pydantic/v1/", "cffi/", "pycparser/", "phonenumbers/shortdata/region_",
                "dateutil/zoneinfo/dateutil-zoneinfo.tar.gz",
                *(f"aws_lambda_powertools/utilities/{name}/" for name in _POWERTOOLS_UNUSED))
# Never read at run time: type stubs (for type checkers) and the install RECORD (for pip's
# uninstall, and no longer true once the zip is pruned). Licenses and METADATA stay.
NEVER_LOADED_SUFFIXES = (".pyi", ".dist-info/RECORD")
# Bytecode as Chalice's build left it (whatever compiled it, checked against timestamps): dropped,
# and every module compiled again for the runtime (`bytecode`).
BUILT_BYTECODE = ".pyc"
# Packages whose __init__ imports every sibling module: rewritten to import the ones kept.
EAGER_PACKAGES = ("holidays/countries/__init__.py", "holidays/financial/__init__.py")

# Run in a fresh interpreter: records every file opened (data, and .py sources by the import
# system) and every module's file; prints them as real paths.
AUDIT_PRELUDE = """
import json, os, sys
_opened = set()
sys.addaudithook(lambda event, args: _opened.add(args[0])
                 if event == "open" and isinstance(args[0], str) else None)
"""
AUDIT_REPORT = """
_paths = _opened | {getattr(m, "__file__", None) or "" for m in list(sys.modules.values())}
print(json.dumps(sorted({os.path.realpath(p) for p in _paths if p})))
"""

# The US federal calendar, as chalicelib.booking.schedule builds it, with holidays.countries
# (and .financial) importing only what is asked: `holidays/countries/__init__.py` imports all
# 251 countries, and the registry imports `holidays.countries.united_states` through it.
HOLIDAYS_PROBE = """
import importlib.util, types
_base = os.path.dirname(importlib.util.find_spec("holidays").origin)
for _part in ("countries", "financial"):
    _package = types.ModuleType("holidays." + _part)
    _package.__path__ = [os.path.join(_base, _part)]
    sys.modules[_package.__name__] = _package
import holidays
for _year in (2025, 2026, 2027):
    holidays.US(years=_year)
"""

# What chalicelib.i18n.Translator reads: each language's locale and its parents (Babel loads
# the chain, e.g. es_US -> es_419 -> es -> root), and en_US for the zone names of `ht`.
BABEL_PROBE = """
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
from babel import Locale
from babel.dates import format_date, format_time, get_timezone_name
_moment = datetime(2026, 12, 3, 14, 30, tzinfo=ZoneInfo("America/New_York"))
for _name in {locales!r}:
    _locale = Locale.parse(_name)
    format_date(_moment, "full", locale=_locale), format_date(_moment, "medium", locale=_locale)
    format_time(_moment, "short", tzinfo=_moment.tzinfo, locale=_locale)
    get_timezone_name(_moment, "long", locale=_locale), _locale.datetime_formats["full"]
"""


def site_packages() -> Path:
    import sysconfig

    return Path(sysconfig.get_paths()["purelib"]).resolve()


def loaded_by(code: str) -> frozenset[str]:
    """Files (relative to site-packages, as the zip names them) a fresh interpreter loads
    running `code`: the packaging venv holds the same pinned versions as the zip."""
    done = subprocess.run([sys.executable, "-I", "-B", "-c", AUDIT_PRELUDE + code + AUDIT_REPORT],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"probe failed:\n{done.stderr}")
    base = site_packages()
    return frozenset(str(Path(p).relative_to(base)) for p in json.loads(done.stdout)
                     if Path(p).is_relative_to(base) and "__pycache__" not in p)


def babel_locales() -> tuple[str, ...] | None:
    """CLDR locales the app formats in (chalicelib.i18n); None keeps all of Babel's data."""
    try:
        from chalicelib.i18n import BABEL_LOCALES
    except ImportError:
        return None
    return (*BABEL_LOCALES.values(), "en_US")


# What a cold start of the API imports: the app and, through the before-snapshot hook, every
# module a request loads on first use. These modules ship compiled (`bytecode`); the others
# (jobs' and tools' modules, unused parts of libraries) would only add bytes no request reads.
COLD_START_PROBE = """
sys.path.insert(0, {root!r})
import app
from chalicelib import snapstart
snapstart.warm_up()
"""


def cold_start_modules() -> frozenset[str]:
    """Zip paths of the .py files that the cold-start probe imports (the app's own files are at
    the zip's root, the dependencies' as in site-packages)."""
    done = subprocess.run([sys.executable, "-I", "-B", "-c", AUDIT_PRELUDE
                           + COLD_START_PROBE.format(root=str(ROOT)) + AUDIT_REPORT],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    if done.returncode != 0:
        raise RuntimeError(f"cold-start probe failed:\n{done.stderr}")
    found = set()
    for path in map(Path, json.loads(done.stdout)):
        for base in (site_packages(), ROOT.resolve()):
            if path.suffix == ".py" and path.is_relative_to(base):
                found.add(str(path.relative_to(base)))
                break
    return frozenset(found)


def kept_data() -> dict[str, frozenset[str]]:
    """Per pruned tree, the files to keep: those the probes load."""
    kept = {"holidays/": loaded_by(HOLIDAYS_PROBE)}
    locales = babel_locales()
    if locales is not None:
        kept["babel/locale-data/"] = loaded_by(BABEL_PROBE.format(locales=locales))
    return kept


def is_unused(name: str, kept: dict[str, frozenset[str]]) -> bool:
    if name.startswith(NEVER_LOADED) or name.endswith((*NEVER_LOADED_SUFFIXES, BUILT_BYTECODE)):
        return True
    for tree, files in kept.items():
        if name.startswith(tree) and not name.endswith("/"):
            return name not in files and name not in EAGER_PACKAGES
    return False


def only_kept_imports(source: str, package: str, kept: frozenset[str]) -> str:
    """`from holidays.countries.x import (X, ...)` statements stay only for kept modules."""
    import ast

    lines = source.splitlines(keepends=True)
    dropped: set[int] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                package.replace("/", ".") + ".") \
                and f"{node.module.replace('.', '/')}.py" not in kept:
            dropped.update(range(node.lineno - 1, node.end_lineno))
    return "".join(line for number, line in enumerate(lines) if number not in dropped)


def bytecode(name: str, source: bytes) -> tuple[str, bytes] | None:
    """The zip entry and contents of `name`'s compiled module, for the interpreter that packages
    (Chalice sets the functions' runtime from it, so it is the runtime's Python version).

    Lambda's code directory is read-only, so without these every cold start compiles every
    module it imports from source. Unchecked-hash .pyc files are used without comparing the
    source's timestamp (which a zip does not carry reliably); the import system still names the
    .py file in tracebacks. None for a file this Python cannot compile."""
    import importlib.util
    from importlib._bootstrap_external import _code_to_hash_pyc

    try:
        code = compile(source, name, "exec", dont_inherit=True, optimize=0)
    except (SyntaxError, ValueError):
        return None
    folder, _, file = name.rpartition("/")
    target = f"{folder + '/' if folder else ''}__pycache__/{file[:-3]}.{sys.implementation.cache_tag}.pyc"
    return target, bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), False))


def strip_runtime_provided(archive: Path) -> None:
    lean = archive.with_suffix(".lean.zip")
    kept = kept_data()
    compiled_modules = cold_start_modules()
    with zipfile.ZipFile(archive) as source, \
            zipfile.ZipFile(lean, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if is_runtime_provided(info.filename) or is_unused(info.filename, kept):
                continue
            data = source.read(info.filename)
            if info.filename in EAGER_PACKAGES:
                data = only_kept_imports(data.decode(), info.filename.rsplit("/", 1)[0],
                                         kept["holidays/"]).encode()
            target.writestr(info, data, compresslevel=9)
            compiled = (bytecode(info.filename, data) if info.filename in compiled_modules
                        else None)
            if compiled:
                entry = zipfile.ZipInfo(compiled[0], date_time=info.date_time)
                entry.external_attr = info.external_attr
                target.writestr(entry, compiled[1], zipfile.ZIP_DEFLATED, compresslevel=9)
    lean.replace(archive)


# Chalice's zip is the same bytes for every stage (the stage's settings are in the template),
# so a process that packages several stages (the infra tests) prunes and compiles it once.
_LEAN_ZIPS: dict[str, bytes] = {}


def lean(archive: Path) -> None:
    built = hashlib.sha256(archive.read_bytes()).hexdigest()
    if built not in _LEAN_ZIPS:
        strip_runtime_provided(archive)
        _LEAN_ZIPS[built] = archive.read_bytes()
    archive.write_bytes(_LEAN_ZIPS[built])


def package(name: str, out: Path | None = None) -> Path:
    stage = load(name)
    out = (out or ROOT / "build" / name).resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix=f"chalice-{name}-") as scratch:
        chalice(stage, Path(scratch) / "out")
        generated = json.loads((Path(scratch) / "out" / "sam.json").read_text())
    merge = out / "merge.json"
    merge.write_text(json.dumps(merge_template(stage, generated), indent=2) + "\n")
    chalice(stage, out, "--merge-template", str(merge))
    as_built = (out / "deployment.zip").stat().st_size
    lean(out / "deployment.zip")
    data_stack.write(stage, out / "data")
    (out / "sizes.json").write_text(json.dumps({
        "chalice_zip_bytes": as_built,
        "deployment_zip_bytes": (out / "deployment.zip").stat().st_size}) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    out = package(args.stage, args.out)
    size = (out / "deployment.zip").stat().st_size
    print(f"{args.stage} ({load(args.stage).region}): {out / 'sam.json'}, "
          f"{out / 'deployment.zip'} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
