"""The unit tier reads offices from the seed file (no AWS), whichever tier imported the
composition root first in this process."""
import pytest

from chalicelib.booking import offices


@pytest.fixture(autouse=True)
def seed_offices():
    before = offices.source()
    offices.use(offices.seed_directory, None, 3600)
    yield
    offices.use(*before)
