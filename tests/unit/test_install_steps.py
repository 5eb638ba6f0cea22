"""The install step (`make install`, part of `make test`) must work on a clean clone: pip pinned
to a version Chalice accepts (an unpinned upgrade conflicted with Chalice's `pip<26.3`), and
only extras the pinned moto declares (`moto[sesv2]` warned on every install)."""
import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _install_recipe() -> str:
    makefile = (ROOT / "Makefile").read_text()
    return makefile.split("$(STAMP): requirements.txt requirements-dev.txt", 1)[1].split("\n\n")[0]


def test_the_install_step_pins_pip_to_a_version_chalice_accepts():
    recipe = _install_recipe()
    assert "--upgrade pip" not in recipe
    (pinned,) = re.findall(r'pip install[^\n]*"pip==([0-9.]+)"', recipe)
    chalice_needs = next(Requirement(r) for r in metadata.requires("chalice")
                         if Requirement(r).name == "pip")
    assert chalice_needs.specifier.contains(pinned), (pinned, str(chalice_needs.specifier))


def test_dev_requirements_ask_only_for_extras_the_pinned_packages_declare():
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r"):
            continue
        requirement = Requirement(line)
        declared = set(metadata.metadata(requirement.name).get_all("Provides-Extra") or [])
        assert requirement.extras <= declared, (requirement.name,
                                                requirement.extras - declared)
