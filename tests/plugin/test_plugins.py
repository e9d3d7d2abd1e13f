"""Plugin manager: built-ins, entry-point discovery, kill switches and start-up errors."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import attrs
import indexsmith
import pandas as pd
import pytest
from indexsmith import DEFAULT_PLUGINS, PluginError, Plugins, Weighting, hookimpl
from indexsmith.errors import UnknownComponent
from indexsmith.plugin import HOOKS


@attrs.frozen(kw_only=True)
class Halves(Weighting):
    """Test weighting: the first member gets half, the rest share the other half."""

    def weigh(self, view, members):  # type: ignore[no-untyped-def]
        w = pd.Series(0.5 / max(len(members) - 1, 1), index=members.index)
        w.iloc[0] = 0.5 if len(members) > 1 else 1.0
        return w


def test_builtins_provide_every_stage(plugins: Plugins) -> None:
    assert [info.name for info in plugins.info.values()] == list(DEFAULT_PLUGINS)
    for kind in HOOKS:
        assert plugins.entries(kind), f"no built-in {kind}"
    entry = plugins.lookup("weighting", "float-cap")
    assert entry.plugin.distribution == "indexsmith"
    assert entry.plugin.builtin


def test_alias_resolves_to_the_same_component(plugins: Plugins) -> None:
    assert (
        plugins.lookup("schedule", "quarterly-third-friday").cls
        is plugins.lookup("schedule", "nth-weekday").cls
    )


def test_unknown_name_suggests_and_lists(plugins: Plugins) -> None:
    with pytest.raises(UnknownComponent) as info:
        plugins.lookup("weighting", "flaot-cap")
    assert info.value.message == "no weighting named 'flaot-cap'"
    assert (
        info.value.hint
        == "did you mean 'float-cap'? Available: cap, equal, float-cap, price, style (indexsmith 0.1.0)"
    )


def test_add_from_script(plugins: Plugins) -> None:
    entry = plugins.add("weighting", "halves", Halves)
    assert plugins.lookup("weighting", "halves") is entry
    assert entry.plugin.distribution is None
    assert "halves (plugin 'script:halves')" in plugins.available("weighting")


def test_duplicate_name_names_both_providers(plugins: Plugins) -> None:
    with pytest.raises(PluginError) as info:
        plugins.add("weighting", "equal", Halves, plugin_name="my-plugin")
    assert str(info.value) == (
        "weighting name 'equal' is registered twice: by plugin 'indexsmith_plugins.weightings' "
        "(indexsmith 0.1.0) and by plugin 'my-plugin' (registered from Python code) — uninstall "
        "one, or disable it with INDEXSMITH_DISABLE_PLUGINS"
    )


def test_misspelled_hook_fails_check_pending(plugins: Plugins) -> None:
    class Typo:
        @hookimpl
        def indexsmith_register_weighting(self, register):  # type: ignore[no-untyped-def]
            register("x", Halves)

    plugins.register(Typo(), name="typo-plugin")
    with pytest.raises(
        PluginError, match=r"plugin 'typo-plugin' \(registered from Python code\) implements an unknown hook"
    ):
        plugins.check_pending()


def test_register_requires_attrs_subclass(plugins: Plugins) -> None:
    class NotAttrs(Weighting):
        pass

    with pytest.raises(PluginError, match=r"not an attrs class; decorate it with @attrs\.frozen"):
        plugins.add("weighting", "plain", NotAttrs)


def test_bad_component_name(plugins: Plugins) -> None:
    with pytest.raises(PluginError, match="names are lower-case words joined by '-'"):
        plugins.add("weighting", "Sqrt Cap", Halves)


# -- entry points, for real: a distribution on sys.path ------------------------------------


def make_distribution(root: Path, dist: str, version: str, entry: str, module: str, source: str) -> None:
    """An installed-looking distribution: a module and a .dist-info with entry points."""
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[indexsmith]\n{entry} = {module}\n")


PLUGIN_SOURCE = """
    import attrs
    import pandas as pd
    from indexsmith import Weighting, hookimpl

    @attrs.frozen(kw_only=True)
    class SqrtCap(Weighting):
        def weigh(self, view, members):
            w = view.market_cap(members.index) ** 0.5
            return w / w.sum()

    @hookimpl
    def indexsmith_register_weightings(register):
        register("sqrt-cap", SqrtCap)
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("INDEXSMITH_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("fake_plugin")]:
        del sys.modules[name]


def test_entry_point_plugin_is_discovered(site: Path) -> None:
    make_distribution(site, "indexsmith-fake", "1.2.3", "fake", "fake_plugin_ok", PLUGIN_SOURCE)
    plugins = Plugins()
    entry = plugins.lookup("weighting", "sqrt-cap")
    assert (entry.plugin.name, entry.plugin.distribution, entry.plugin.version) == (
        "fake",
        "indexsmith-fake",
        "1.2.3",
    )
    listed = {row["name"]: row for row in plugins.describe()}
    assert listed["fake"]["components"] == {"weighting": ["sqrt-cap"]}


def test_disable_env_names_the_disabled_plugin(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_distribution(site, "indexsmith-fake", "1.2.3", "fake", "fake_plugin_off", PLUGIN_SOURCE)
    monkeypatch.setenv("INDEXSMITH_DISABLE_PLUGINS", "fake")
    plugins = Plugins()
    with pytest.raises(UnknownComponent) as info:
        plugins.lookup("weighting", "sqrt-cap")
    assert info.value.hint.endswith("disabled by INDEXSMITH_DISABLE_PLUGINS: 'fake' (indexsmith-fake 1.2.3)")


def test_autoload_switch(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_distribution(site, "indexsmith-fake", "1.2.3", "fake", "fake_plugin_noauto", PLUGIN_SOURCE)
    monkeypatch.setenv("INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert "fake" not in Plugins().info
    monkeypatch.delenv("INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD")
    assert "fake" in Plugins().info


def test_broken_plugin_names_entry_point_distribution_version(site: Path) -> None:
    make_distribution(
        site, "indexsmith-broken", "0.4.0", "broken", "fake_plugin_broken", "import no_such_module_here\n"
    )
    with pytest.raises(PluginError) as info:
        Plugins()
    assert str(info.value) == (
        "plugin 'broken' (indexsmith-broken 0.4.0) failed to import from entry point "
        "'broken = fake_plugin_broken': ModuleNotFoundError: No module named 'no_such_module_here' "
        "— fix or uninstall indexsmith-broken, or set INDEXSMITH_DISABLE_PLUGINS=broken"
    )


def test_entry_point_duplicate_names_both(site: Path) -> None:
    clash = PLUGIN_SOURCE.replace('register("sqrt-cap", SqrtCap)', 'register("equal", SqrtCap)')
    make_distribution(site, "indexsmith-clash", "2.0.0", "clash", "fake_plugin_clash", clash)
    with pytest.raises(
        PluginError,
        match=r"'equal' is registered twice: by plugin 'indexsmith_plugins.weightings' \(indexsmith 0.1.0\) and by plugin 'clash' \(indexsmith-clash 2.0.0\)",
    ):
        Plugins().lookup("weighting", "equal")


def test_a_plugin_object_provides_a_component_for_every_hook(tiny) -> None:  # type: ignore[no-untyped-def]
    # One hook implementation per stage (indexsmith_register_schedules ... _cappings),
    # each registering a thin subclass of a built-in; a definition using all six builds.
    import attrs
    import indexsmith
    from indexsmith import hookimpl
    from indexsmith_plugins.bucketings import Everything
    from indexsmith_plugins.cappings import SingleNameCap
    from indexsmith_plugins.rankings import FloatMarketCap
    from indexsmith_plugins.schedules import Monthly
    from indexsmith_plugins.screens import MinPrice
    from indexsmith_plugins.weightings import EqualWeight

    from tests.support import monthly_index

    made = {
        kind: attrs.frozen(kw_only=True)(type(f"My{base.__name__}", (base,), {}))
        for kind, base in {
            "schedule": Monthly,
            "screen": MinPrice,
            "ranking": FloatMarketCap,
            "bucketing": Everything,
            "weighting": EqualWeight,
            "capping": SingleNameCap,
        }.items()
    }

    class EveryStage:
        @hookimpl
        def indexsmith_register_schedules(self, register):  # type: ignore[no-untyped-def]
            register("my-schedule", made["schedule"])

        @hookimpl
        def indexsmith_register_screens(self, register):  # type: ignore[no-untyped-def]
            register("my-screen", made["screen"])

        @hookimpl
        def indexsmith_register_rankings(self, register):  # type: ignore[no-untyped-def]
            register("my-ranking", made["ranking"])

        @hookimpl
        def indexsmith_register_bucketings(self, register):  # type: ignore[no-untyped-def]
            register("my-bucketing", made["bucketing"])

        @hookimpl
        def indexsmith_register_weightings(self, register):  # type: ignore[no-untyped-def]
            register("my-weighting", made["weighting"])

        @hookimpl
        def indexsmith_register_cappings(self, register):  # type: ignore[no-untyped-def]
            register("my-capping", made["capping"])

    plugins = indexsmith.Plugins(autoload=False)
    plugins.register(EveryStage(), "every-stage")
    for kind in made:
        assert plugins.lookup(kind, f"my-{kind}").plugin.name == "every-stage"
    market = tiny({c: [10.0 + i] * 45 for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTU")})
    spec = monthly_index(
        schedule={"use": "my-schedule", "params": {"rank_lag_sessions": 0, "announce_lag_sessions": 0}},
        universe=[{"use": "my-screen"}],
        ranking={"use": "my-ranking"},
        bucketing={"use": "my-bucketing"},
        weighting={"use": "my-weighting"},
        capping={"use": "my-capping", "params": {"max_weight": 0.1}},
    )
    result = indexsmith.build(spec, market, plugins=plugins)["t"]
    assert result.constituents.groupby("effective_date").size().eq(21).all()
    assert {c["name"] for c in result.run_info["components"]} >= {f"my-{k}" for k in made}


class PresetPlugin:
    """A plugin shipping one definition file through the preset hook."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @hookimpl
    def indexsmith_register_presets(self, register):  # type: ignore[no-untyped-def]
        register("my-two-tiers", self.path)


def test_a_plugin_registers_a_preset_through_its_hook(plugins: Plugins, tmp_path: Path, demo) -> None:  # type: ignore[no-untyped-def]
    from indexsmith.definition import preset_catalogue

    path = tmp_path / "my-two-tiers.toml"
    text = plugins.presets()["demo-tiers"].read_text().replace('id = "demo-tiers"', 'id = "my-two-tiers"')
    path.write_text(text, encoding="utf-8")
    plugins.register(PresetPlugin(path), name="my-presets")
    catalogue = preset_catalogue(plugins)
    assert catalogue["my-two-tiers"] == ("my-two-tiers", None)
    assert catalogue["demo-tiers"] == ("demo-tiers", None)
    result = indexsmith.build("my-two-tiers", demo, plugins=plugins)
    assert result.family_id == "my-two-tiers"
    assert list(result.indices) == ["demo-large", "demo-small", "demo-broad-equal"]
    assert result["demo-large"].run_info["definition_source"] == "preset my-two-tiers"
    assert "my-two-tiers" in plugins.describe()[-1]["presets"]


def test_a_preset_id_registered_twice_names_both_plugins(plugins: Plugins, tmp_path: Path) -> None:
    path = tmp_path / "demo-tiers.toml"
    path.write_text("[index]\n", encoding="utf-8")

    class Clash:
        @hookimpl
        def indexsmith_register_presets(self, register):  # type: ignore[no-untyped-def]
            register("demo-tiers", path)

    plugins.register(Clash(), name="clash")
    with pytest.raises(PluginError) as info:
        plugins.presets()
    assert str(info.value) == (
        "preset 'demo-tiers' is registered twice: by plugin 'indexsmith_plugins.presets' (indexsmith 0.1.0) "
        "and by plugin 'clash' (registered from Python code) — uninstall one, or disable it with "
        "INDEXSMITH_DISABLE_PLUGINS"
    )
