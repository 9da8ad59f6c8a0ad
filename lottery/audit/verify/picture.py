"""The picture of the run that the checks after the placement read.

:class:`Picture` gathers what earlier steps derived once: the inputs, the claimed
placement, the programs' orders, the recomputed lottery, who belongs to which reserve
and the recomputed seats. Nothing in it changes after it is made.
"""

from __future__ import annotations

from dataclasses import dataclass

from lottery.audit.verify.evidence import Inputs
from lottery.audit.verify.numbers import Lottery
from lottery.audit.verify.order import ProgramOrder
from lottery.audit.verify.placements import Placement
from lottery.audit.verify.seat_policy import Memberships, Seats


@dataclass(frozen=True)
class Picture:
    """What the waitlist, table and reserve checks read. ``lottery`` is None without a
    usable seed, and ``seats`` then too: the checks that need them are skipped."""

    inputs: Inputs
    placement: Placement
    order: ProgramOrder
    lottery: Lottery | None
    memberships: Memberships
    seats: Seats | None
