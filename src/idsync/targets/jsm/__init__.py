"""Jira Service Management: the servicedeskapi code Jira Data Center and Jira Cloud share."""
