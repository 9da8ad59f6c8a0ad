"""Tools that check a finished lottery.

``rerun`` (``lottery audit``) reruns a run from its inputs and ``compare`` holds the
byte-for-byte comparison; ``chain`` does the same for every round of a chain of later
rounds; ``verify`` (``lottery verify``) checks a results folder against the rules with
code of its own; ``bundle`` (``lottery audit-bundle``) writes the redacted zip for
auditors."""
