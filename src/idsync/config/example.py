"""The example configuration `idsync init` writes and the README shows; tests load it."""

EXAMPLE_CONFIG = """\
# idsync configuration. Every key is described in docs/configuration.md of idsync; unknown keys
# are an error.
# ${NAME} is replaced from the environment (upper-case names only; $${NAME} is a literal ${NAME}).

# Where runs, links and history are kept. A relative SQLite path is relative to this file.
database: sqlite:///idsync.db          # or postgresql+psycopg://user:${PGPASSWORD}@host/idsync

connections:                           # each has a unique name and a type
  okta-prod:
    type: okta
    url: https://example.okta.com      # http:// is allowed only for 127.0.0.1 / localhost (sandbox)
    token: ${OKTA_TOKEN}               # an Okta API token (SSWS), read-only admin is enough
    app_id: 0oa1abcd                   # optional: only users and groups assigned to this app
  jira:
    type: jira                         # Jira Data Center
    url: https://jira.example.com
    token: ${JIRA_PAT}                 # a personal access token, or username: + password:
    concurrency: 8                     # requests in flight at once

profiles:
  okta-to-jira:
    source: okta-prod
    targets: [jira]
    users:
      create: true
      update: true
      sync_status: true                # deactivate / reactivate follows the source
      when_removed: deactivate         # deactivate | delete | ignore
      match_existing_by: username      # claim existing Jira users by: username | email | none
      username:
        attribute: login               # source attribute
        regex: "(.*)@.*"               # optional
        replace: "$1"                  # $1.. or ${name} (regex groups)
        lowercase: true
      attributes:                      # target field: source attribute or template (a list = fallbacks)
        email: email
        display_name: "{firstName} {lastName}"
      custom_attributes:               # written as Jira user properties
        department: department
      active_statuses: [ACTIVE, PASSWORD_EXPIRED, LOCKED_OUT, RECOVERY]
    groups:
      mode: on_the_fly                 # on_the_fly | manual (use mapping:) | none
      include: ["^jira-", "^eng-"]     # regexes on source group names; empty = all
      exclude: []
      rename: {regex: "^okta-(.*)$", replace: "$1"}
      create_missing: true
      keep_existing_memberships: true  # false = idsync is authoritative for the groups it manages
      default_groups:
        new_users: [jira-software-users]
        all_users: []
    leads:                             # who takes over a project / component lead before deactivation
      default_project_lead: jadmin
      default_component_lead: jadmin
    safety:                            # a plan over a limit is refused (exit 3) unless --allow-over-limit
      max_deactivations: 50            # per run and target
      max_deactivation_percent: 10     # of the users idsync manages in the target
      max_deletions: 10
      max_membership_removals: 500
      protected_users: [admin]         # never touched
      protected_groups: [jira-administrators]
      refuse_empty_source: true        # refuse when the source suddenly returns no users
    # schedule:                        # run by `idsync serve` (UTC; or interval: 15m)
    #   cron: "*/30 * * * *"

# server:                              # for `idsync serve`
#   host: 127.0.0.1
#   port: 8080
"""
