"""The rows of ``applicants.csv`` and ``programs.csv``, in the documented input format
(``docs/file-formats.md``, ``docs/seat-policy.md``), from the drawn arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lottery.io.inputs import GRADES
from lottery.synth.applicants import Applicants
from lottery.synth.parameters import (
    LANGUAGES,
    SPECIAL_EDUCATION_TAG,
    TAGS,
)
from lottery.synth.schools import CityMap, Programs, Schools
from lottery.synth.seats import administrative_programs


def applicant_rows(
    people: Applicants, rows: np.ndarray, city: Schools, programs: Programs
) -> pd.DataFrame:
    """The rows of ``applicants.csv`` for applicants ``rows``."""
    school_ids = np.append(city.id, "")  # index -1 gives a blank cell
    zone_codes = np.append(city.zone_codes, "")
    sibling = people.sibling[rows]
    siblings = school_ids[sibling[:, 0]]
    two = sibling[:, 1] >= 0
    # IDs have equal width, so numeric order is the order the reader sorts lists in.
    low, high = np.sort(sibling[two], axis=1).T
    siblings[two] = school_ids[low] + ";" + school_ids[high]
    table = pd.DataFrame(
        {
            "applicant_id": people.id[rows],
            "first_name": people.first_name[rows],
            "last_name": people.last_name[rows],
            "grade": np.array(GRADES, dtype=object)[people.grade[rows]],
            "zone": zone_codes[people.zone[rows]],
            "current_school_id": school_ids[people.current[rows]],
            "sibling_school_ids": siblings,
            "staff_school_id": school_ids[people.staff[rows]],
            "language": np.array(LANGUAGES, dtype=object)[people.language[rows]],
            "guardian_name": people.guardian_name[rows],
            "address": people.address[rows],
        }
    )
    if people.tags is None:
        return table
    tag_cells = np.array(
        [";".join(t for i, t in enumerate(TAGS) if bits >> i & 1) for bits in range(8)],
        dtype=object,
    )
    family = people.family[rows]
    in_family = family > 0
    width = max(6, len(str(len(people.id))))
    family_ids = np.full(len(rows), "", dtype=object)
    family_ids[in_family] = [f"F{number:0{width}d}" for number in family[in_family].tolist()]
    false = np.array(["", "false"], dtype=object)
    program_ids = np.append(programs.id, "")
    table["tags"] = tag_cells[people.tags[rows]]
    table["guaranteed_program_id"] = program_ids[people.guaranteed[rows]]
    table["accepts_administrative"] = false[people.declines[rows].astype(np.int64)]
    table["family_id"] = family_ids
    table["link_family"] = false[people.unlinked[rows].astype(np.int64)]
    table["latitude"] = _decimal(people.latitude[rows])
    table["longitude"] = _decimal(people.longitude[rows])
    return table


def _decimal(degrees: np.ndarray) -> np.ndarray:
    """Degrees with five decimals (about a metre), as text."""
    return np.array([f"{value:.5f}" for value in degrees.tolist()], dtype=object)


def program_rows(city: Schools, programs: Programs, seats: np.ndarray) -> pd.DataFrame:
    """The plain columns of ``programs.csv``, for every program (lottery grade or not)."""
    school = programs.school
    return pd.DataFrame(
        {
            "program_id": programs.id,
            "school_id": city.id[school],
            "school_name": np.array(city.name, dtype=object)[school],
            "sector": np.where(city.charter[school], "charter", "district"),
            "grade": np.array(GRADES, dtype=object)[programs.grade],
            "seats": seats,
            # Charter schools serve the whole city: no zone priority.
            "zones": np.where(city.charter[school], "", city.zone_codes[city.zone[school]]),
        }
    )


def with_program_policy(
    table: pd.DataFrame, city: Schools, programs: Programs, held: np.ndarray, area: CityMap
) -> pd.DataFrame:
    """programs.csv's seat-policy columns: held seats, eligibility, the zone guarantee
    and where the school is."""
    school = programs.school
    administrative = administrative_programs(city, programs)
    latitude, longitude = area.degrees(area.school_x[school], area.school_y[school])
    table["held_seats"] = np.where(held > 0, held.astype(str).astype(object), "")
    table["requires_tags"] = np.where(programs.special, SPECIAL_EDUCATION_TAG, "")
    table["administrative_zones"] = np.where(administrative, city.zone_codes[city.zone[school]], "")
    table["latitude"] = _decimal(latitude)
    table["longitude"] = _decimal(longitude)
    return table
