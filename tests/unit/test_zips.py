"""The compact ZIP table (chalicelib/zips.py) answers what the `zipcodes` package answers,
without loading that package's database on a request."""
import subprocess
import sys
from pathlib import Path

import pytest
import zipcodes

from chalicelib import zips

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_table_is_the_one_the_zipcodes_package_gives():
    assert zips._DATA.read_text(encoding="utf-8") == zips.build(), \
        "stale: run `python -m chalicelib.zips` and commit chalicelib/zips.tsv"


@pytest.mark.parametrize("zip5", ["00501", "02108", "06103", "06830", "33139", "96813", "99950"])
def test_a_lookup_gives_the_zipcodes_place(zip5):
    known = zipcodes.matching(zip5)[0]
    assert zips.lookup(zip5) == (known["lat"], known["long"], known["state"],
                                 known["county"] or None)


@pytest.mark.parametrize("raw", ["99999", "0210", "021080", "０２１０８", "02108\t", "\n0210"])
def test_unknown_or_malformed_zips_have_no_place(raw):
    assert zips.lookup(raw) is None


def test_routing_and_distances_never_load_the_zipcodes_package():
    code = ("import sys\n"
            "from chalicelib.booking import offices\n"
            "from chalicelib.triage import service_area\n"
            "offices.zip_coordinates('02108'); service_area.area_of('06103-2501')\n"
            "print('zipcodes' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    assert loaded == "False"
