"""The numbers a synthetic city is drawn from: shares, rates and sizes, tuned as the
calibration in :mod:`lottery.synth` records.

Changing one changes the cities every seed gives; the plain city's constants come first,
then those of the seat policy (step 5 of the description in :mod:`lottery.synth`).
"""

CHUNK = 50_000
"""Applicants whose lists are drawn and written in one step (bounds memory; paces progress)."""


# ----------------------------------------------------------------------------- model constants

SCHOOL_TYPES = (
    # (name suffix, first grade, last grade, share of schools)
    ("Elementary", "PK", "5", 0.25),
    ("Elementary", "K", "5", 0.25),
    ("K-8 School", "K", "8", 0.10),
    ("Middle School", "6", "8", 0.17),
    ("High School", "9", "12", 0.15),
    ("Secondary School", "6", "12", 0.08),
)
CHARTER_SHARE = 1 / 3
POPULARITY_SPREAD, POPULARITY_CAP = 1.5, 1.5
"""Popularity is exp(SPREAD * z) for a standard normal z capped at CAP."""
DUAL_LANGUAGE_SHARE = 0.15
"""Share of schools ending by grade 8 that run a dual-language strand."""
DUAL_LANGUAGE_SEATS = 0.5
"""A dual-language strand's size relative to the school's main program."""
DUAL_LANGUAGE_APPEAL = {False: 0.5, True: 3.0}
"""Popularity factor of a dual-language strand for English (False) and other home languages."""

GRADE_SHARE = {
    # Most applicants enter at PK, K, 6 or 9; a few move between schools in other grades.
    "PK": 0.16,
    "K": 0.20,
    "1": 0.025,
    "2": 0.025,
    "3": 0.025,
    "4": 0.025,
    "5": 0.025,
    "6": 0.17,
    "7": 0.025,
    "8": 0.025,
    "9": 0.20,
    "10": 0.02,
    "11": 0.02,
    "12": 0.02,
}
NO_ZONE_SHARE = 0.01
LANGUAGES = ("en", "es", "pt", "vi")
LANGUAGE_SHARE = (0.78, 0.14, 0.04, 0.04)
ENROLLED_NOW = {"PK": 0.0, "K": 0.45}
"""Share of applicants with a current school, by grade (0.9 for grades not listed)."""
NEAR_HOME = 0.85
"""Chance that a current or sibling's school is in the home zone rather than next to it."""
CONTINUING_FIRST, CONTINUING_LAST = 0.1, 0.5
"""Continuing students rank their school first, last (as a fallback) or, otherwise, not at all."""
SIBLING_SHARE = 0.20
SIBLING_SAME_GRADE_SCHOOL = 0.75
SECOND_SIBLING_SHARE = 0.10
SIBLING_FIRST = 0.6
STAFF_SHARE = 0.01
APARTMENT_SHARE = 0.2

NO_CHOICES_SHARE = 0.02
SHORT_LIST_SHARE = 0.15
LIST_FILL = 0.7
"""List length is 1 + Binomial(max_choices - 1, LIST_FILL), or 1-2 for short lists."""
ZONE_PULL = 0.3
"""Chance that a draw for a list comes from the home zone rather than a neighbouring one."""

SEAT_RATIO = 1.1
"""Open seats per applicant in each grade (before continuing students' own seats)."""
FIRST_CHOICE_FIT = 0.65
"""Share of first choices that the seats could hold if nobody else competed for them."""

# ----------------------------------------------------------------------------- seat policy

CITY_CENTER = (39.95, -83.0)
"""Latitude and longitude of the middle of the city (decimal degrees)."""
CITY_MILES = 10.0
"""Width of the city in miles; cities of more than :data:`CITY_SCHOOLS` schools are wider."""
CITY_SCHOOLS = 400
"""Schools a city of :data:`CITY_MILES` holds; beyond that its area grows with the schools."""
MILES_PER_DEGREE = 69.0
"""Miles per degree of latitude (and of longitude at the equator)."""
SCHOOL_MARGIN = 0.1
"""Schools keep this share of their zone's width from its edges."""
HOME_NEAR_SCHOOL, HOME_SPREAD = 0.5, 0.5
"""Share of homes scattered around a school of their zone (normal, this many miles
either way); the rest lie anywhere in the zone."""
NEIGHBOURHOOD_FIRST = 0.25
"""Chance that an applicant living around a school that teaches their grade ranks it
first (unless staying or a sibling decides their first choice)."""

TAGS = ("ell", "frl", "iep")
"""Applicant tags in alphabetical order (the order written in a ``tags`` cell)."""
FRL_SHARE, FRL_ZONE_SPREAD = 0.45, 0.15
"""Free or reduced-price lunch: each zone's share is normal around FRL_SHARE, clipped."""
ELL_SHARE = {False: 0.02, True: 0.6}
"""English learners, among applicants whose home language is English (False) or not."""
IEP_SHARE = 0.12

FAMILY_SHARE = 0.025
"""Chance that an applicant applies together with the one just before them (so about
twice this share of applicants are in families; a few families have three)."""
TWIN_SHARE = 0.35
"""Share of family members who apply for the same grade as the first of the family."""
UNLINKED_FAMILY_SHARE = 0.1
"""Share of families that do not ask to be linked (``link_family`` false)."""
GUARANTEE_SHARE = 0.3
"""Share of continuing students guaranteed their school's program in their grade."""
ADMINISTRATIVE_GRADES = ("K", "1", "2", "3", "4", "5")
"""Grades whose district programs promise a seat to their zone (the zone guarantee)."""
ZONE_GUARANTEE_COVER = 0.9
"""The programs promising seats to a zone have, together, seats for this share of the
applicants of the zone and grade (others go to charter schools or other zones)."""
DECLINES_ADMINISTRATIVE = 0.05
"""Share of applicants in those grades who would rather have no seat than a zone seat."""
SPECIAL_EDUCATION_SHARE = 0.12
"""Share of district schools running a special-education program (tag ``iep``)."""
SPECIAL_EDUCATION_CLASS = 12
"""Seats of a special-education program: one small class."""
SPECIAL_EDUCATION_APPEAL = {False: 0.01, True: 0.5}
"""Popularity factor of a special-education program for applicants without ``iep``
(False: they rank it rarely, and that choice is ineligible) and with it."""
SPECIAL_EDUCATION_TAG = "iep"
HELD_SHARE, HELD_MIN_SEATS = 0.05, 10
"""Share of main programs with at least HELD_MIN_SEATS seats that hold 1 to 3 seats back."""
FRL_RESERVE_SCHOOLS, FRL_RESERVE = 0.2, "0.3"
"""Share of schools reserving a share (FRL_RESERVE) of every main program for tag:frl."""
PROXIMITY_RESERVE_SCHOOLS, PROXIMITY_RESERVE = 0.15, 0.2
"""Share of district schools reserving seats (this share of capacity, rounded down) for
families within PROXIMITY_MILES."""
PROXIMITY_MILES = "0.5"
ELL_RESERVE = "0.4"
"""Share of every dual-language strand reserved for tag:ell."""
RESERVE_MIN_CAPACITY = 5
"""Programs offering fewer seats than this reserve none."""
