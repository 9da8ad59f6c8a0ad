"""Tools that check a finished lottery: ``rerun`` (audit), ``verify`` (the independent
rules), ``bundle`` (the redacted zip for auditors)."""
