"""Notifications: triggers over plan, apply and drift results, one message per run and target.

The commands record what happened on a `RunNotices` and call `send` when they finish; the
message goes out through Apprise to the targets of `notifications:` that subscribe to one of the
run's triggers. A policy check that refuses a plan reports it with
`RunNotices.refused(reasons, trigger=Trigger.POLICY_REFUSED)`.
"""

from reconciler.notify.run import RunNotices
from reconciler.notify.triggers import Trigger

__all__ = ["RunNotices", "Trigger"]
