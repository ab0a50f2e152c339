"""A Jira Cloud site, for Jira Service Management customers only (`service_desks.connection`)."""
