"""The stored rules outcome: what is encoded decodes to an equal outcome, each distinct reason stored
once; an encode reusing a decoded outcome's lines keeps the lines of the very records it decoded and
writes the others afresh, giving what a fresh encode gives; a row is used only under its own key and
format, and an unreadable one is not used at all (the run evaluates everyone)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import orjson
import zstandard

from idsync.domain.outcome import PeopleOutcome
from idsync.domain.records import DesiredUser, Reason
from idsync.store import Store
from idsync.store.outcomes import decode, encode

SAVED_AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
IN_SCOPE = Reason("scope", "status ACTIVE")


def _outcome(people: int) -> PeopleOutcome:
    """`people` people in three groups whose reasons are shared objects, as the rules make them."""
    by_group = {f"team-{g}": Reason("groups.on_the_fly", f"member of source group 'team-{g}'")
                for g in range(3)}
    users = {
        f"u{n:03d}": DesiredUser(
            f"u{n:03d}", f"user{n}", f"user{n}@x.io" if n % 4 else None, f"Zoë „{n}“", n % 5 != 0,
            {"department": f"d{n % 2}"} if n % 3 else {},
            {name: reason for g, (name, reason) in enumerate(by_group.items()) if (n + g) % 2 == 0},
            IN_SCOPE,
        )
        for n in range(people)
    }
    return PeopleOutcome(users, {"s1": "no login: left out"}, frozenset({"o1", "o2"}))


def _text(data: bytes) -> list[bytes]:
    return zstandard.ZstdDecompressor().decompressobj().decompress(data).split(b"\n")


def test_an_outcome_decodes_to_what_was_encoded_with_each_reason_stored_once() -> None:
    outcome = _outcome(40)

    decoded = decode(encode(outcome))

    assert decoded is not None
    assert decoded[0] == outcome
    assert list(decoded[0].users) == list(outcome.users)
    assert len(orjson.loads(_text(encode(outcome))[0])["reasons"]) == 4  # three groups and the scope
    # more fresh lines than are joined at a time, and group names held once, not once per member
    many = _outcome(2_500)
    decoded_many = decode(encode(many))
    assert decoded_many is not None and decoded_many[0] == many
    first, other = (next(iter(decoded_many[0].users[sid].groups)) for sid in ("u000", "u002"))
    assert first == other and first is other

    empty = PeopleOutcome({}, {}, frozenset())
    decoded_empty = decode(encode(empty))
    assert decoded_empty is not None and decoded_empty[0] == empty


def test_an_encode_reusing_the_lines_keeps_those_of_the_records_it_decoded_and_no_others() -> None:
    stored = decode(encode(_outcome(40)))
    assert stored is not None
    decoded, lines = stored
    # marked lines (a same-length edit of the stored text), to tell a reused line from one written afresh
    text = bytearray(zstandard.ZstdDecompressor().decompressobj().decompress(lines.data))
    for place, sid in enumerate(lines.users):
        if sid in ("u001", "u008"):
            start, end = lines.spans[2 * place], lines.spans[2 * place + 1]
            text[start:end] = bytes(text[start:end]).replace(b'"Zo', b'"ZZ')
    lines = replace(lines, data=zstandard.ZstdCompressor().compress(bytes(text)))
    changed = replace(decoded.users["u007"], display_name="Changed",
                      groups={"new-group": Reason("groups.on_the_fly", "member of source group 'new-group'")})
    equal_but_new = replace(decoded.users["u008"])  # equal, yet not the record that was decoded
    users = {**decoded.users, "u007": changed, "u008": equal_but_new}
    del users["u009"]
    users["u100"] = replace(decoded.users["u001"], source_id="u100", username="user100")
    merged = PeopleOutcome(dict(sorted(users.items())), decoded.skipped, decoded.out_of_scope)

    reused = encode(merged, lines)

    rows = {orjson.loads(line)[0]: orjson.loads(line) for line in _text(reused)[1:]}
    assert rows["u001"][3] == "ZZë „1“"  # the record it decoded: its line as read
    assert rows["u008"][3] == merged.users["u008"].display_name  # another record: written afresh
    assert rows["u007"][3] == "Changed" and "u009" not in rows and rows["u100"][1] == "user100"
    unmarked = {**merged.users, "u001": replace(merged.users["u001"], display_name="ZZë „1“")}
    again = decode(reused)
    assert again is not None and again[0] == replace(merged, users=unmarked)
    # the reasons table keeps the stored one's positions and grows by the new reason
    reasons = orjson.loads(_text(reused)[0])["reasons"]
    assert reasons[: len(lines.reasons)] == [[r.rule, r.detail] for r in lines.reasons]
    assert len(reasons) == len(lines.reasons) + 1


def test_a_row_is_used_only_under_its_own_key(store: Store) -> None:
    outcome = _outcome(5)
    store.save_rules_outcome("p", "key-1", "mark-1", encode(outcome), saved_at=SAVED_AT)

    stored = store.rules_outcome("p", "key-1")
    assert stored is not None and stored.outcome == outcome and stored.snapshot_mark == "mark-1"
    assert store.rules_outcome("p", "key-2") is None
    assert store.rules_outcome("other", "key-1") is None

    store.save_rules_outcome("p", "key-2", "mark-2", encode(_outcome(3)), saved_at=SAVED_AT)  # replaces it
    assert store.rules_outcome("p", "key-1") is None
    again = store.rules_outcome("p", "key-2")
    assert again is not None and len(again.outcome.users) == 3 and again.snapshot_mark == "mark-2"


def test_a_row_of_another_format_or_unreadable_is_not_used(store: Store) -> None:
    text = _text(encode(_outcome(3)))
    newer = orjson.dumps({**orjson.loads(text[0]), "format": 2})
    newer_data = zstandard.ZstdCompressor().compress(b"\n".join([newer, *text[1:]]))
    store.save_rules_outcome("p", "k", "m", newer_data, saved_at=SAVED_AT)
    assert store.rules_outcome("p", "k") is None

    for broken in (b"not zstandard", zstandard.ZstdCompressor().compress(b"[1, 2"),
                   zstandard.ZstdCompressor().compress(b"\n".join([text[0], b'["u1", "short"]']))):
        store.save_rules_outcome("p", "k", "m", broken, saved_at=SAVED_AT)
        assert store.rules_outcome("p", "k") is None
