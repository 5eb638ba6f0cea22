"""`make package STAGE=...`: the deployable template and zip for one stage, offline.

    python -m infra.package --stage prod-us-east-1 [--out build/prod-us-east-1]

1. `chalice package` once to learn what Chalice generates for the stage (functions, roles,
   event sources, log groups), in a scratch directory;
2. `infra.template` renders the merge template (`<out>/merge.json`) from the shared table and
   queue definitions plus overrides of those Chalice resources;
3. `chalice package --merge-template <out>/merge.json <out>` writes `<out>/sam.json` and
   `<out>/deployment.zip`;
4. the zip loses what the Lambda runtime already provides (boto3, botocore, s3transfer,
   urllib3: PynamoDB pulls botocore in, the runtime's copy serves it) and Babel's CLDR data
   for languages the app never formats in (`chalicelib.i18n.BABEL_LOCALES`).

Offline: Chalice's pip runs with --no-index against `build/wheelhouse` (Lambda-platform wheels
that `make wheelhouse` downloads with the other installs), and Chalice caches the built
dependencies in `.chalice/deployments/`, so later runs do not even call pip.
The region comes from the stage (`infra.stages.region_of`), exported as AWS_DEFAULT_REGION,
which `chalice package` needs even offline.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

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


def babel_languages() -> frozenset[str] | None:
    """CLDR languages the app formats in (chalicelib.i18n); None keeps all of Babel's data."""
    try:
        from chalicelib.i18n import BABEL_LOCALES
    except ImportError:
        return None
    return frozenset(locale.split("_")[0] for locale in BABEL_LOCALES.values()) | {"root"}


def is_unused_locale_data(name: str, languages: frozenset[str] | None) -> bool:
    """Babel ships CLDR data for ~1,000 locales (30 MB); the app formats in a dozen languages.
    Every region variant of those languages stays, so parent locales (es_419 for es_US) resolve."""
    if languages is None or not name.startswith("babel/locale-data/"):
        return False
    stem = name.rsplit("/", 1)[1].split(".")[0]
    return bool(stem) and stem.split("_")[0] not in languages


def strip_runtime_provided(archive: Path) -> None:
    lean = archive.with_suffix(".lean.zip")
    languages = babel_languages()
    with zipfile.ZipFile(archive) as source, \
            zipfile.ZipFile(lean, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if is_runtime_provided(info.filename) or info.filename.endswith(".pyc") \
                    or is_unused_locale_data(info.filename, languages):
                continue
            target.writestr(info, source.read(info.filename), compresslevel=9)
    lean.replace(archive)


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
    strip_runtime_provided(out / "deployment.zip")
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
