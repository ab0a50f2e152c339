"""The rules stage of a run: the desired state, evaluating only the people the source read changed
when the outcome of the snapshot it merged onto is stored.

At 150,000 people evaluating everyone takes ~2.5 s, in every run, though between full reads a run
typically changes a hundred of them. A person's outcome depends only on their own record, their
groups' names and the rules (`idsync.domain.outcome`), so each run stores the outcome it made
(idsync.store.outcomes) and the next one evaluates only `changed_people` and takes everyone else's
from there (`idsync.rules.desired.Reuse`). The stored outcome is used only when all of this holds:

- it was made under the same rules: the same profile settings and the same code of the rules
  (`outcome_key`; a new version of idsync, or any edit of the profile, evaluates everyone once);
- it was made of the very snapshot this run's read merged its changes onto (`SourceRead.merged_from`,
  a digest of the stored blob): after a full read, a snapshot dropped or written by another profile's
  read, or a failed save, there is nothing to reuse;
- the run is not a single-user run (which evaluates its one person against the source read now).

Anything else evaluates everyone, as every run did before, and stores the outcome for the next run.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import idsync
from idsync.config import profiles as profiles_module
from idsync.config.profiles import Profile
from idsync.domain import outcome as outcome_module
from idsync.domain import records
from idsync.domain.outcome import PeopleOutcome
from idsync.domain.records import DesiredState, Snapshot
from idsync.engine.written_state import changed_people
from idsync.rules import desired as rules_module
from idsync.rules.desired import Reuse, evaluate
from idsync.store import Store
from idsync.store.outcomes import StoredOutcome, encode


@functools.cache
def _code_digest() -> str:
    """A digest of the code that decides a person's outcome: every module of `idsync.rules`, the
    records they make and the profile model with its defaults (and idsync's version, should a module
    be installed without its source)."""
    files = [*sorted(Path(rules_module.__file__).parent.glob("*.py")),
             *(Path(str(module.__file__)) for module in (records, outcome_module, profiles_module))]
    digest = hashlib.blake2b(idsync.__version__.encode(), digest_size=16)
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"(no source)")
    return digest.hexdigest()


def outcome_key(profile: Profile) -> str:
    """What a stored outcome must have been made under to be reused: this profile, as configured now,
    and this code of the rules."""
    settings = profile.model_dump_json().encode()
    return hashlib.blake2b(_code_digest().encode() + b"\x00" + settings, digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Evaluated:
    """The rules stage's result."""

    desired: DesiredState
    outcome: PeopleOutcome
    changed: frozenset[str] | None
    """The people evaluated afresh when the stored outcome was reused (None: everyone was)."""


def evaluate_run(
    snapshot: Snapshot, profile: Profile, *, merged_from: str | None, prior: Snapshot | None,
    stored: StoredOutcome | None,
) -> Evaluated:
    """The desired state of `snapshot`: from the `stored` outcome and the people changed since `prior`
    when `stored` was made of the snapshot the read merged onto (`merged_from`), else from everyone.
    `prior` is None when the read merged nothing new (nobody changed)."""
    if stored is None or merged_from is None or stored.snapshot_mark != merged_from \
            or snapshot.single_user is not None:
        desired, outcome = evaluate(snapshot, profile)
        return Evaluated(desired, outcome, None)
    changed = changed_people(prior, snapshot) if prior is not None else frozenset()
    desired, outcome = evaluate(snapshot, profile, Reuse(stored.outcome, changed))
    return Evaluated(desired, outcome, changed)


async def stored_for(
    store: Store, name: str, profile: Profile, merged_from: str | None
) -> StoredOutcome | None:
    """The stored outcome of profile `name` under its current key, when the read merged its changes onto
    a stored snapshot (`merged_from`; after a full read nothing could be reused, and nothing is
    loaded). Loaded and decoded in a thread once the source read is done (~1.1-1.3 s at 150,000
    people): decoded beside the read, it held its records beside the read's own, and the change run's
    peak memory rose from 900 to 986-1,000 MiB."""
    if merged_from is None:
        return None
    return await asyncio.to_thread(store.rules_outcome, name, outcome_key(profile))


def saving(
    store: Store, name: str, profile: Profile, evaluated: Evaluated, *, mark: str | None,
    stored: StoredOutcome | None,
) -> asyncio.Future[None] | None:
    """Store the run's outcome as made of the snapshot `mark` (encoded and written in a thread while
    the run plans; the run awaits it with the snapshot's save), unless it is already stored as such.
    None when there is nothing to write: a source whose snapshots are not stored (`mark` None), or an
    outcome taken whole from `stored` for the same snapshot."""
    taken_whole = evaluated.changed == frozenset()  # reused, and nobody evaluated afresh
    if mark is None or (taken_whole and stored is not None and stored.snapshot_mark == mark):
        return None
    # a reused outcome's unchanged people are the very records `stored` decoded: their lines are kept
    lines = stored.lines if evaluated.changed is not None and stored is not None else None
    key = outcome_key(profile)
    people = evaluated.outcome

    def write() -> None:
        store.save_rules_outcome(name, key, mark, encode(people, lines), saved_at=datetime.now(UTC))

    return asyncio.ensure_future(asyncio.to_thread(write))
