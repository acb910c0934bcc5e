"""Hot reload: a changed file is swapped in, a broken one is refused and logged without content,
and the last good version stays in force."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from service.core.rules import RulesHolder
from triage import RulesError
from triage.ruleset import default_paths

RULES, GAZETTEER = default_paths()


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return (
        Path(shutil.copy(RULES, tmp_path / "rules.yaml")),
        Path(shutil.copy(GAZETTEER, tmp_path / "gazetteer.yaml")),
    )


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def test_a_changed_file_is_swapped_in_after_the_check_interval(files: tuple[Path, Path]) -> None:
    clock = _Clock()
    holder = RulesHolder(*files, check_every=2.0, clock=clock)
    first = holder.current()
    _append(files[1], "# new comment\n")
    assert holder.current() is first  # not looked at before the interval
    clock.now = 2.5
    second = holder.current()
    assert second is not first
    assert second.version != first.version
    assert holder.current() is second


def test_a_broken_edit_is_refused_and_the_last_good_stays(
    files: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    clock = _Clock()
    holder = RulesHolder(*files, clock=clock)
    good = holder.current()
    text = files[0].read_text(encoding="utf-8")
    files[0].write_text(text.replace("substance: chicha", "substance: unobtainium"), "utf-8")
    clock.now = 3.0
    with caplog.at_level(logging.WARNING, logger="service.core.rules"):
        assert holder.current() is good
    assert "refused" in caplog.text
    assert "unknown substance" in caplog.text
    assert str(files[0]) in caplog.text
    # Fixed again: the next check takes the new version.
    files[0].write_bytes(RULES.read_bytes() + b"# fixed\n")
    clock.now = 6.0
    assert holder.current().version != good.version


def test_a_touched_but_unchanged_file_keeps_the_same_object(files: tuple[Path, Path]) -> None:
    clock = _Clock()
    holder = RulesHolder(*files, clock=clock)
    first = holder.current()
    files[0].write_bytes(files[0].read_bytes())
    files[0].touch()
    clock.now = 5.0
    assert holder.current() is first


def test_a_broken_file_at_start_up_is_an_error(files: tuple[Path, Path]) -> None:
    files[0].write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(RulesError):
        RulesHolder(*files)


def test_none_means_the_packaged_files() -> None:
    holder = RulesHolder(None, None)
    assert holder.current().version == RulesHolder(RULES, GAZETTEER).current().version
