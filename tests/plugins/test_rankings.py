"""Rankings."""

from __future__ import annotations

import pytest

from tests.support import monthly_index


def test_field_ranking_any_numeric_field(tiny) -> None:  # type: ignore[no-untyped-def]
    import indexsmith

    # Rank by close, smallest first: C (5) then B (10) then A (20); top 2 by that rank.
    market = tiny(
        {"A": [20.0] * 21, "B": [10.0] * 21, "C": [5.0] * 21}, shares={"A": 1e5, "B": 1e6, "C": 1e7}
    )
    spec = monthly_index(
        ranking={"use": "field", "params": {"field": "close", "ascending": True}},
        bucketing={"use": "count-tiers", "params": {"tiers": [{"name": "cheap", "count": 2}]}},
    )
    result = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["t"]
    assert result.constituents.sort_values("rank")["security_id"].tolist() == ["C", "B"]
    with pytest.raises(indexsmith.DefinitionError, match=r"field.*'closing'"):
        spec["index"]["ranking"]["params"]["field"] = "closing"
        indexsmith.load_definition(spec, indexsmith.Plugins(autoload=False))
