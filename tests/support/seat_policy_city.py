"""The seat-policy example city: a tiny city that uses every part of the seat policy.

It is the *seat-policy example* of docs/outputs.md (run there with ``--seed s``, this
module's ``SEED``): three kindergarten programs, eight applicants, reserves, held seats,
an offer target, a required tag, a guarantee, a linked family, coordinates and the zone
guarantee (``administrative_zones``)::

    programs.csv
      1  program_id,school_id,school_name,sector,grade,seats,zones,held_seats,offer_target,
         requires_tags,administrative_zones,latitude,longitude
      2  P1,S1,One,district,K,2,Z1,,,,Z1,40.0,-75.0        zone guarantee for Z1
      3  P2,S2,Two,charter,K,2,,,3,,,40.1,-75.0            3 offers for 2 seats
      4  P3,S3,Three,district,K,3,Z2,1,,iep,Z1;Z2,,        1 seat held back, iep only

    applicants.csv  (all K; names a..h, guardian g)
      1  applicant_id,first_name,last_name,grade,guardian_name,zone,tags,
         guaranteed_program_id,family_id,latitude,longitude,accepts_administrative
      2  A1  Z1 frl    family F1, 0.07 miles from P1
      3  A2  Z1        family F1, 0.07 miles from P1
      4  A3  Z2 iep    guaranteed P1
      5  A4  Z1
      6  A5  Z1 frl    refuses the zone guarantee (accepts_administrative = false)
      7  A6  Z1
      8  A7  Z2 iep
      9  A8  Z1        ranks nothing

    choices.csv   A1: P2, P1   A2: P2   A3: P2   A4: P2, P3   A5, A6, A7: P2

    reserves.csv  P2 keeps 1 seat for tag:frl; P1 keeps half its seats (1) for
                  applicants within half a mile (proximity:0.5)

    policy.toml   priority order continuing, sibling_offered, tag:iep, zone;
                  open seats are filled before reserved ones (precedence = "open_first")

With the seed ``s`` the engine places A1, A2 (open seats) and A5 (the frl seat) at P2, A3
at P1 through the guarantee, and then A4 at P1 and A7 at P3 by the zone guarantee; A6 and
A8 are owed a seat that no program has left. The one ineligible choice is A4's P3 (A4
lacks the tag iep).

``write_seat_policy_city(folder, **overrides)`` writes it (keywords as in
``support.small_city.write_city``: ``programs=``, ``reserves=``, ``policy=``...).
"""

from __future__ import annotations

from pathlib import Path

from support.small_city import City, write_files

SEED = "s"
"""The seed docs/outputs.md runs the example with."""

PROGRAMS = """\
program_id,school_id,school_name,sector,grade,seats,zones,held_seats,offer_target,\
requires_tags,administrative_zones,latitude,longitude
P1,S1,One,district,K,2,Z1,,,,Z1,40.0,-75.0
P2,S2,Two,charter,K,2,,,3,,,40.1,-75.0
P3,S3,Three,district,K,3,Z2,1,,iep,Z1;Z2,,
"""

APPLICANTS = """\
applicant_id,first_name,last_name,grade,guardian_name,zone,tags,guaranteed_program_id,\
family_id,latitude,longitude,accepts_administrative
A1,a,a,K,g,Z1,frl,,F1,40.001,-75.0,
A2,b,b,K,g,Z1,,,F1,40.001,-75.0,
A3,c,c,K,g,Z2,iep,P1,,,,
A4,d,d,K,g,Z1,,,,,,
A5,e,e,K,g,Z1,frl,,,,,false
A6,f,f,K,g,Z1,,,,,,
A7,g,g,K,g,Z2,iep,,,,,
A8,h,h,K,g,Z1,,,,,,
"""

CHOICES = """\
applicant_id,rank,program_id
A1,1,P2
A1,2,P1
A2,1,P2
A3,1,P2
A4,1,P2
A4,2,P3
A5,1,P2
A6,1,P2
A7,1,P2
"""

RESERVES = """\
program_id,category,seats,share
P2,tag:frl,1,
P1,proximity:0.5,,0.5
"""

POLICY = """\
[priority]
order = ["continuing", "sibling_offered", "tag:iep", "zone"]
[reserves]
precedence = "open_first"
"""

CITY_FILES = {
    "programs.csv": PROGRAMS,
    "applicants.csv": APPLICANTS,
    "choices.csv": CHOICES,
    "reserves.csv": RESERVES,
    "policy.toml": POLICY,
}
"""The seat-policy example: file name -> text."""


def write_seat_policy_city(folder: Path, **overrides: str | bytes | None) -> City:
    """Write the seat-policy example into ``folder`` (created if needed) and return it.

    Keyword arguments replace or add files, as for ``support.small_city.write_city``:
    ``programs=``, ``applicants=``, ``choices=``, ``reserves=``, ``lottery=`` (the
    ``.csv`` files), ``policy=`` (``policy.toml``); ``None`` leaves a file out.
    """
    return write_files(folder, CITY_FILES, **overrides)
