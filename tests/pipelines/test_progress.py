"""Stage timing and the progress events a terminal display is drawn from."""

import io

import pytest
from rich.console import Console

from pipelines.progress import StageClock, TerminalProgress, watching

pytestmark = pytest.mark.unit


def test_the_clock_times_each_stage_and_tells_listeners_what_happens():
    events = []
    clock = StageClock()
    with watching(events.append):
        with clock.stage("ingest", total=2) as advance:
            assert advance("batch") == "batch"
            advance("batch")
        with clock.stage("match"):
            pass
    assert list(clock.seconds) == ["ingest", "match"]
    assert all(seconds >= 0 for seconds in clock.seconds.values())
    assert [(event.stage, event.kind, event.done) for event in events] == [
        ("ingest", "start", 0),
        ("ingest", "advance", 1),
        ("ingest", "advance", 2),
        ("ingest", "finish", 2),
        ("match", "start", 0),
        ("match", "finish", 0),
    ]


def test_a_failing_stage_is_reported_and_its_error_goes_on():
    events = []
    clock = StageClock()
    with watching(events.append), pytest.raises(KeyError), clock.stage("publish"):
        raise KeyError("x")
    assert [event.kind for event in events] == ["start", "fail"]
    assert "publish" in clock.seconds


def test_a_broken_listener_never_breaks_a_run():
    def broken(event):
        raise RuntimeError("display gone")

    clock = StageClock()
    with watching(broken), clock.stage("report"):
        pass
    assert "report" in clock.seconds


def test_listeners_hear_only_while_they_watch():
    events = []
    with watching(events.append):
        pass
    with StageClock().stage("ingest"):
        pass
    assert events == []


def test_the_terminal_display_shows_every_stage_with_its_steps():
    output = io.StringIO()
    console = Console(file=output, force_terminal=True, width=100, color_system=None)
    clock = StageClock()
    with TerminalProgress(console) as display, watching(display):
        with clock.stage("ingest", total=3) as advance:
            for _ in range(3):
                advance(None)
        with clock.stage("match"):
            pass
    text = output.getvalue()
    assert "ingest" in text and "3/3" in text
    assert "match" in text and "1/1" in text
