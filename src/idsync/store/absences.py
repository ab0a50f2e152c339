"""What runs between full reads may take as known about a target, per profile and target: people it was
asked about and did not have (`absent_users`, see `idsync.engine.absences`) and managed groups a run
left exactly as wanted (`group_digests`, see `idsync.engine.group_digests`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, bindparam, delete, insert, select
from sqlalchemy.engine import Engine

from idsync.store.db import read_transaction, write_transaction
from idsync.store.models import AbsentUserRow, GroupDigestRow

_TABLE = cast(Table, AbsentUserRow.__table__)


def load_absences(engine: Engine, profile: str, target: str) -> dict[str, str]:
    """Source id → the fingerprint the person had when the target was found not to have them."""
    query = select(_TABLE.c.source_id, _TABLE.c.fingerprint).where(
        _TABLE.c.profile == profile, _TABLE.c.target == target
    )
    with read_transaction(engine) as db:
        return {sid: fp for sid, fp in db.execute(query).all()}


def save_absences(
    engine: Engine, profile: str, target: str, found_absent: Mapping[str, str], forget: Iterable[str],
    checked_at: datetime, *, replace_all: bool = False,
) -> None:
    """Record `found_absent` (source id → fingerprint) and drop `forget`; `replace_all` drops every
    other record of the profile and target first (after a run that looked everyone up)."""
    gone = set(forget) | set(found_absent)
    with write_transaction(engine) as db:
        if replace_all:
            db.execute(delete(_TABLE).where(_TABLE.c.profile == profile, _TABLE.c.target == target))
        elif gone:
            where = and_(_TABLE.c.profile == profile, _TABLE.c.target == target,
                         _TABLE.c.source_id == bindparam("sid"))
            db.execute(delete(_TABLE).where(where), [{"sid": sid} for sid in sorted(gone)])
        if found_absent:
            db.execute(insert(_TABLE), [
                {"profile": profile, "target": target, "source_id": sid, "fingerprint": fp,
                 "checked_at": checked_at}
                for sid, fp in sorted(found_absent.items())
            ])


_DIGESTS = cast(Table, GroupDigestRow.__table__)


def load_group_digests(engine: Engine, profile: str, target: str) -> dict[str, str]:
    """Group name → the digest of its wanted members when a run last left it exactly so."""
    query = select(_DIGESTS.c.group_name, _DIGESTS.c.digest).where(
        _DIGESTS.c.profile == profile, _DIGESTS.c.target == target
    )
    with read_transaction(engine) as db:
        return {name: digest for name, digest in db.execute(query).all()}


def save_group_digests(
    engine: Engine, profile: str, target: str, digests: Mapping[str, str], forget: Iterable[str],
    *, replace_all: bool = False,
) -> None:
    """Record `digests` and drop `forget` (`replace_all`: drop every other record first)."""
    gone = set(forget) | set(digests)
    with write_transaction(engine) as db:
        if replace_all:
            db.execute(delete(_DIGESTS).where(_DIGESTS.c.profile == profile, _DIGESTS.c.target == target))
        elif gone:
            where = and_(_DIGESTS.c.profile == profile, _DIGESTS.c.target == target,
                         _DIGESTS.c.group_name == bindparam("g"))
            db.execute(delete(_DIGESTS).where(where), [{"g": name} for name in sorted(gone)])
        if digests:
            db.execute(insert(_DIGESTS), [
                {"profile": profile, "target": target, "group_name": name, "digest": digest}
                for name, digest in sorted(digests.items())
            ])
