"""Waiting for a Confluence long task (a user deletion runs as one) with a bounded wait.

The task is polled with growing pauses until it says `finished`. A task that finishes unsuccessfully
is a BadRequestError carrying the task's messages (the item fails, the run goes on); a task still
running when the wait is over is a TransientError: Confluence goes on with it, and the next run reads
whether the user is gone.
"""

from __future__ import annotations

import asyncio
import time

from idsync.domain.errors import BadRequestError, TransientError
from idsync.http import HttpClient
from idsync.targets.confluence.client import API, LongTaskStatus, LongTaskSubmission
from idsync.targets.confluence.quirks import task_messages

FIRST_PAUSE = 0.1
MAX_PAUSE = 2.0


async def wait_for_task(
    http: HttpClient, submission: LongTaskSubmission, what: str, *, wait_seconds: float
) -> LongTaskStatus:
    """Poll the task of `submission` until it finishes; `what` names the item for messages."""
    url = submission.links.status or f"{API}/longtask/{submission.id}"
    deadline = time.monotonic() + wait_seconds
    pause = FIRST_PAUSE
    while True:
        response = await http.request("GET", url, ok=(200,), label=f"{API}/longtask/{{id}}")
        status = LongTaskStatus.model_validate_json(response.content)
        if status.finished:
            if not status.successful:
                raise BadRequestError(
                    f"{what}: Confluence's long task {submission.id} failed: {task_messages(status.messages)}"
                )
            return status
        if time.monotonic() + pause > deadline:
            done = (
                f"{status.percentage_complete}% done" if status.percentage_complete is not None else "running"
            )
            raise TransientError(
                f"{what}: Confluence's long task {submission.id} is still {done} after {wait_seconds:g} s; "
                "Confluence carries on with it and the next run sees the outcome"
            )
        await asyncio.sleep(pause)
        pause = min(pause * 2, MAX_PAUSE)
