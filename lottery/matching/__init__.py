"""The matching algorithm: pure functions on numpy arrays, no files, no pandas."""

from lottery.matching.deferred_acceptance import (
    NOT_CHOSEN,
    OPEN_SLOT,
    UNPLACED,
    PartialMatch,
    SlotPlan,
    deferred_acceptance,
    deferred_acceptance_from,
    fill_slots,
)
from lottery.matching.ordering import program_order_by_position

__all__ = [
    "NOT_CHOSEN",
    "OPEN_SLOT",
    "UNPLACED",
    "PartialMatch",
    "SlotPlan",
    "deferred_acceptance",
    "deferred_acceptance_from",
    "fill_slots",
    "program_order_by_position",
]
