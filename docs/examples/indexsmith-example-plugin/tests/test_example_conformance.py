"""The example plugin's components pass indexsmith's contract tests."""

import pytest
from indexsmith.testing import ScreenContract, WeightingContract
from indexsmith_example import ExclusionList, InverseVolatility

pytest_plugins = ["indexsmith.testing"]


class TestInverseVolatility(WeightingContract):
    @pytest.fixture
    def component(self):
        return InverseVolatility(sessions=60)


class TestExclusionList(ScreenContract):
    @pytest.fixture
    def component(self, tmp_path):
        listing = tmp_path / "exclusions.csv"
        listing.write_text("security_id,reason\nS000001,tobacco\nS000002,\n")
        return ExclusionList(file=str(listing))
