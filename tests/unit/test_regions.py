"""Where an office is served (chalicelib/regions.py)."""
from __future__ import annotations

import pytest

from chalicelib import errors
from chalicelib.regions import MOVING, Regions

URLS = {"us-east-1": "https://east.example.gov/api", "us-west-2": "https://west.example.gov/api"}
EAST = Regions("us-east-1", URLS, retry_after_seconds=30)


def test_a_stage_with_one_region_or_none_serves_every_office_even_one_named_elsewhere():
    for single in (Regions("us-east-1"), Regions("us-east-1", {"us-east-1": URLS["us-east-1"]})):
        office = {"id": "seattle", "home_region": "us-west-2", "placement": MOVING}
        assert single.is_home(office) and single.base_url(office) is None
        single.check(office)  # no problem


def test_another_regions_office_is_refused_with_its_home_and_api():
    with pytest.raises(errors.OfficeInOtherRegion) as refused:
        EAST.check({"id": "seattle", "home_region": "us-west-2"})
    assert refused.value.extra == {"home_region": "us-west-2",
                                   "home_base_url": URLS["us-west-2"]}
    assert refused.value.headers() == {"Link": f'<{URLS["us-west-2"]}>; rel="alternate"'}


def test_an_office_without_a_home_is_this_stages_and_a_moving_one_nobodys():
    EAST.check({"id": "new"})
    assert EAST.is_home({"id": "new"})
    moving = {"id": "miami", "home_region": "us-east-1", "placement": MOVING}
    assert not EAST.is_home(moving)
    with pytest.raises(errors.OfficeMoving) as paused:
        EAST.check(moving)
    assert paused.value.headers() == {"Retry-After": "30"}
    with pytest.raises(errors.OfficeMoving):
        Regions("us-west-2", URLS).check(moving)  # the other region does not take it either
