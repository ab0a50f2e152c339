"""Slot computation: the due times every replica derives from `schedule:` alone, their jitter and the
next run time that `idsync check`, `idsync history`, the API and /metrics show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from idsync.config.loader import parse_config
from idsync.config.profiles import ScheduleRules
from idsync.service.schedule import (
    MAX_JITTER,
    Schedule,
    interval_seconds,
    next_run,
    next_run_notes,
    next_runs,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_interval_slots_are_epoch_aligned_whatever_the_start() -> None:
    every = Schedule("p", period=timedelta(minutes=15))
    assert every.latest_due(at("2025-03-01 12:07:13")) == at("2025-03-01 12:00:00")
    assert every.next_slot(at("2025-03-01 12:07:13")) == at("2025-03-01 12:15:00")
    # a time on a slot is that slot, and the next one is a period later
    assert every.latest_due(at("2025-03-01 12:15:00")) == at("2025-03-01 12:15:00")
    assert every.next_slot(at("2025-03-01 12:15:00")) == at("2025-03-01 12:30:00")
    odd = Schedule("p", period=timedelta(seconds=7))
    slot = odd.latest_due(at("2025-03-01 12:07:13"))
    assert slot.timestamp() % 7 == 0 and odd.next_slot(slot) - slot == timedelta(seconds=7)


def test_cron_slots_include_now_when_it_matches() -> None:
    cron = Schedule("p", cron="*/30 * * * *")
    assert cron.latest_due(at("2025-03-01 12:30:00")) == at("2025-03-01 12:30:00")
    assert cron.latest_due(at("2025-03-01 12:29:59.999")) == at("2025-03-01 12:00:00")
    assert cron.next_slot(at("2025-03-01 12:30:00")) == at("2025-03-01 13:00:00")
    nightly = Schedule("p", cron="0 2 * * *")
    assert nightly.next_slot(at("2025-03-01 12:30:00")) == at("2025-03-02 02:00:00")
    seconds = Schedule("p", cron="* * * * * */3")  # a sixth field gives seconds
    assert seconds.next_slot(at("2025-03-01 12:30:01.5")) == at("2025-03-01 12:30:03")


def test_an_aware_time_in_another_zone_is_the_same_instant() -> None:
    cron = Schedule("p", cron="0 * * * *")
    plus_two = datetime(2025, 3, 1, 14, 30, tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))
    assert cron.latest_due(plus_two) == at("2025-03-01 14:00:00")
    with pytest.raises(ValueError, match="naive datetime"):
        cron.latest_due(datetime(2025, 3, 1, 12, 0))


def test_jitter_is_deterministic_small_and_per_profile() -> None:
    slot = at("2025-03-01 12:00:00")
    a = Schedule("alpha", period=timedelta(minutes=1))
    assert a.jitter(slot) == Schedule("alpha", period=timedelta(minutes=1)).jitter(slot)
    jitters = {Schedule(f"p{i}", period=timedelta(minutes=1)).jitter(slot) for i in range(50)}
    assert len(jitters) > 40, "profiles sharing a schedule should not all start in the same second"
    assert all(timedelta(0) <= j < MAX_JITTER for j in jitters)
    # at most a tenth of the period: a 2-second interval starts within 200 ms of its slot
    fast = Schedule("alpha", period=timedelta(seconds=2))
    assert all(fast.jitter(fast.next_slot(slot + timedelta(seconds=2 * i))) < timedelta(milliseconds=200)
               for i in range(30))  # fmt: skip
    assert a.run_at(slot) == slot + a.jitter(slot)


def test_next_run_is_the_pending_slot_until_its_run_starts() -> None:
    every = Schedule("p", period=timedelta(minutes=1))
    slot = at("2025-03-01 12:01:00")
    start = every.run_at(slot)
    assert start > slot  # this profile's jitter is not zero
    assert every.next_run(slot) == start
    assert every.next_run(start - timedelta(milliseconds=1)) == start
    assert every.next_run(start) == every.run_at(at("2025-03-01 12:02:00"))


def test_next_run_over_rules_and_over_the_config() -> None:
    now = at("2025-03-01 12:07:13")
    assert next_run(None, now) is None
    assert next_run(ScheduleRules(), now) is None
    found = next_run(ScheduleRules(interval="15m"), now, profile="p")
    assert found == Schedule("p", period=timedelta(minutes=15)).run_at(at("2025-03-01 12:15:00"))
    config = parse_config(
        """
connections:
  okta: {type: okta, url: "http://127.0.0.1:1", token: t}
  jira: {type: jira, url: "http://127.0.0.1:2", token: t}
profiles:
  hourly: {source: okta, targets: [jira], schedule: {cron: "0 * * * *"}}
  quarter: {source: okta, targets: [jira], schedule: {interval: 15m}}
  manual: {source: okta, targets: [jira]}
"""
    )
    upcoming = next_runs(config, now)
    assert set(upcoming) == {"hourly", "quarter"}
    assert upcoming["hourly"] - at("2025-03-01 13:00:00") < MAX_JITTER
    quarter = Schedule("quarter", period=timedelta(minutes=15))
    assert upcoming["quarter"] == quarter.run_at(at("2025-03-01 12:15"))
    notes = next_run_notes(config, now)
    assert notes[0].startswith("profile 'hourly' (cron '0 * * * *' (UTC)) runs next at 2025-03-01 13:00:0")
    assert notes[1].startswith("profile 'quarter' (interval 15m) runs next at 2025-03-01 12:15:0")
    assert all(note.endswith("UTC under `idsync serve`") for note in notes)


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("15m", 900), ("1h", 3600), ("1d", 86400)])
def test_interval_units(text: str, seconds: int) -> None:
    assert interval_seconds(text) == seconds
    assert Schedule.of("p", ScheduleRules(interval=text)) == Schedule("p", period=timedelta(seconds=seconds))


@pytest.mark.parametrize("bad", ["0s", "00m", "15", "m", "1.5h", "15 m"])
def test_a_bad_or_zero_interval_is_refused_at_load(bad: str) -> None:
    with pytest.raises(ValueError, match="interval must look like 30s, 15m, 1h or 1d"):
        ScheduleRules(interval=bad)
