"""What a profile asks of a target that cannot do it is said, not silently dropped."""

from __future__ import annotations

from idsync.config.loader import parse_config
from idsync.connectors import target_notes

CONFIG = """
connections:
  okta: {type: okta, url: https://example.okta.com, token: t}
  jira: {type: jira, url: https://jira.example.com, token: t}
  wiki: {type: confluence, url: https://wiki.example.com, token: t}
  crowd: {type: crowd, url: https://crowd.example.com, application: idsync, password: p}
profiles:
  p:
    source: okta
    targets: [jira, wiki, crowd]
    users: {custom_attributes: {department: department}}
    leads: {default_project_lead: admin}
"""


def test_custom_attributes_and_leads_a_target_cannot_take_are_named() -> None:
    notes = target_notes(parse_config(CONFIG, env={}))
    assert notes == [
        "profile 'p': users.custom_attributes (department) are ignored for target 'wiki': it has nowhere "
        "to put them",
        "profile 'p': leads are ignored for target 'wiki': it has no project or component leads",
        "profile 'p': leads are ignored for target 'crowd': it has no project or component leads",
    ]
