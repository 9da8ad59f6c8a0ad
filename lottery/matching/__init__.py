"""The matching algorithm: pure functions on numpy arrays, no files, no pandas."""

from lottery.matching.deferred_acceptance import UNPLACED, deferred_acceptance
from lottery.matching.ordering import program_order, program_order_by_position

__all__ = ["UNPLACED", "deferred_acceptance", "program_order", "program_order_by_position"]
