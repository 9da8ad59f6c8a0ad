"""lottery: a unified citywide school-choice lottery engine.

Seeded, publicly checkable lottery numbers; student-proposing deferred acceptance;
reproducible placement files. Charter and district programs are treated identically.
"""

__version__ = "0.1.0"
