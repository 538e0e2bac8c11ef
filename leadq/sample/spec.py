"""What to generate and the constants every part of the generator shares.

:class:`SampleSpec` (row counts, seed, the data set's "today" and its time
windows) plus the id bases of contacts and companies, the length of a day in
seconds, and the two site roots (marketing website and product app) that event
URLs are built on. It imports nothing else from the package, so every other
module can import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

_DAY = 86_400
_RECORD_ID_BASE = 1_000_001  # HubSpot-looking contact ids: "1000001", ...
_COMPANY_ID_BASE = 5_000_001
_WEBSITE = "https://www.example-saas.com"
_APP = "https://app.example-saas.com"


@dataclass(frozen=True)
class SampleSpec:
    """What to generate.

    Attributes:
        leads: Number of rows in the contacts export (duplicates included).
        events: Number of rows in the activity log.
        accounts: Number of companies; defaults to ``leads // 4``.
        seed: Seed of every pseudo-random draw.
        as_of: "Today" for the data set: nothing is dated after it.
        history_months: Contacts are created over this many months before ``as_of``.
        event_months: Events are spread over this many months before ``as_of``.
    """

    leads: int = 3000
    events: int = 40000
    accounts: int | None = None
    seed: int = 7
    as_of: datetime = datetime(2026, 11, 1, tzinfo=UTC)
    history_months: int = 14
    event_months: int = 6

    @property
    def n_accounts(self) -> int:
        """Number of companies actually generated (at least one)."""
        return max(1, self.accounts if self.accounts is not None else self.leads // 4)
