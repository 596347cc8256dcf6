"""Sending one message to one target through Apprise, the one library that speaks Slack, Teams,
e-mail, generic JSON webhooks and a hundred more services from a URL.

Apprise reports a failure only in its log. While it sends, its log is captured here rather than
passed on: the run says one line per failed target, and the reason comes from the capture,
without a secret of the run (its tokens are registered with the redaction before any send).
"""

from __future__ import annotations

import logging
import warnings

from reconciler.redaction import redact

# Apprise's e-mail plugin imports the standard library's `imghdr`, which Python 3.11 and 3.12
# deprecate; the plugins load on the first URL, here, and the warning is Apprise's to fix.
_IMGHDR = r"'imghdr' is deprecated"


def deliver(url: str, *, title: str, body: str, severity: str) -> str | None:
    """Send the message; None once it is delivered, else why not (one line, redacted)."""
    import apprise  # a third of a second to import: only for a run that has something to say

    # In memory only: Apprise may keep state between sends, and a run leaves no file of it.
    sender = apprise.Apprise(asset=apprise.AppriseAsset(storage_mode="memory"))
    logger = logging.getLogger("apprise")
    propagates = logger.propagate
    logger.propagate = False
    try:
        with (
            warnings.catch_warnings(),
            apprise.LogCapture(  # type: ignore[no-untyped-call]
                level=logging.WARNING, fmt="%(message)s"
            ) as captured,
        ):
            warnings.filterwarnings("ignore", _IMGHDR, DeprecationWarning)
            if not sender.add(url):
                return "the URL is not one Apprise can use (see https://appriseit.com/services/)"
            delivered = sender.notify(
                body=body, title=title, notify_type=apprise.NotifyType(severity)
            )
            log = captured.getvalue()
    finally:
        logger.propagate = propagates
    if delivered:
        return None
    said = [line.strip() for line in log.splitlines() if line.strip()]
    return redact(said[-1]) if said else "the service did not accept it"
