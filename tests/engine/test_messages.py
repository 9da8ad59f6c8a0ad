"""Messages about the office's files are plain English, for enrollment staff.

- policy.toml values are taken as written: ``max_iterations = "5"`` or
  ``accept_ends_waiting = "yes"`` is a problem, not quietly converted;
- no pydantic or Python wording (``Input should be a valid tuple``,
  ``datetime.date(2026, 6, 30)``): values are shown as TOML writes them;
- a value quoted in a message is cut when it is long (a 10 MB cell), and characters that
  do not show (a NUL before ``S001-6``) are written as escapes.
"""

from __future__ import annotations

import pytest

from lottery.engine import run_lottery
from lottery.errors import InputError, shown
from lottery.io.inputs import read_input_folder
from lottery.io.policy_file import load_policy
from lottery.policy import POLICY_FILE
from lottery.rounds import run_round


def policy_problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / POLICY_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_policy(path)
    return [problem.render() for problem in caught.value.problems]


def input_problems(city) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_input_folder(city.path)
    return [problem.render() for problem in caught.value.problems]


# ----------------------------------------------------------------------------- policy.toml


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[families]\nmax_iterations = "5"\n',
            'families.max_iterations: must be a whole number, without quotes, not "5"',
        ),
        (
            "[families]\nmax_iterations = 5.0\n",
            "families.max_iterations: must be a whole number, without quotes, not 5.0",
        ),
        (
            "[families]\nmax_iterations = true\n",
            "families.max_iterations: must be a whole number, without quotes, not true",
        ),
        (
            '[rounds]\naccept_ends_waiting = "yes"\n',
            'rounds.accept_ends_waiting: must be true or false, without quotes, not "yes"',
        ),
        (
            "[rounds]\naccept_ends_waiting = 1\n",
            "rounds.accept_ends_waiting: must be true or false, without quotes, not 1",
        ),
    ],
)
def test_a_setting_of_the_wrong_type_is_a_problem_not_converted(tmp_path, text, message):
    assert policy_problems(tmp_path, text) == [f"policy.toml:2: {message}"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[rounds]\nrespond_by = 2026-06-30\n",
            "rounds.respond_by: must be text in quotes, not 2026-06-30",
        ),
        (
            "[priority]\norder = 5\n",
            'priority.order: must be a list of tiers in brackets, such as ["continuing", '
            '"sibling", "zone"]',
        ),
        (
            '[priority]\norder = [1, "zone"]\n',
            "priority.order: item 1 of the list must be text in quotes, not 1",
        ),
        (
            '[reserves]\nunfilled = ["open"]\n',
            'reserves.unfilled: must be "open" or "empty", not ["open"]',
        ),
        (
            "[lottery]\ntiebreak = 2026-06-30T17:00:00\n",
            'lottery.tiebreak: must be "single" or "multiple", not 2026-06-30T17:00:00',
        ),
        ("[families]\nmax_iterations = 1\n", "families.max_iterations: must be at least 2, not 1"),
        (
            "[families]\nmax_iterations = 500\n",
            "families.max_iterations: must be at most 100, not 500",
        ),
        ("priority = 5\n", "priority: must be a table of settings, not 5"),
    ],
)
def test_values_are_shown_as_toml_writes_them(tmp_path, text, message):
    (problem,) = policy_problems(tmp_path, text)
    assert problem.split(": ", 1)[1] == message
    assert "Input should" not in problem and "datetime" not in problem


def test_a_long_text_setting_is_cut_with_its_length(tmp_path):
    (problem,) = policy_problems(tmp_path, f'[lottery]\ntiebreak = "{"x" * 5000}"\n')
    assert problem.endswith(f'not "{"x" * 60}…" (5,000 characters)')


def test_a_policy_with_every_type_right_still_reads(tmp_path):
    path = tmp_path / POLICY_FILE
    path.write_text(
        '[priority]\norder = ["continuing", "zone"]\n[families]\nmax_iterations = 5\n'
        '[rounds]\naccept_ends_waiting = true\nrespond_by = "2026-06-30"\n',
        encoding="utf-8",
    )
    policy = load_policy(path)
    assert policy.priority.order == ("continuing", "zone")
    assert policy.families.max_iterations == 5
    assert policy.rounds.accept_ends_waiting is True


# ----------------------------------------------------------------------------- shown()


def test_shown_escapes_what_does_not_show():
    assert shown("\x00S001-6") == "\\x00S001-6"
    assert shown("a\tb\r\n") == "a\\tb\\r\\n"
    assert shown("\u202eS001") == "\\u202eS001"  # would print the ID right to left
    assert shown(b"\xffA".decode("utf-8", "surrogateescape")) == "\\xffA"


def test_shown_cuts_a_long_value_and_gives_its_length():
    assert shown("A" * 10_485_760) == "A" * 60 + "… (10,485,760 characters)"
    assert shown("A" * 60) == "A" * 60


def test_shown_leaves_ordinary_text_alone():
    assert shown("Escuela Niños Héroes, K-5") == "Escuela Niños Héroes, K-5"


# ----------------------------------------------------------------------------- CSV files


def test_a_huge_bad_id_is_cut_in_the_message(city):
    city.replace_line("choices", 2, f"{'A' * 100_000},1,ELM-K")
    problems = input_problems(city)
    assert problems
    assert all(len(p) < 400 for p in problems)
    assert any("… (100,000 characters)" in p for p in problems)


def test_a_huge_bad_number_is_cut_in_the_message(city):
    city.replace_line("programs", 2, f"ELM-K,ELM,Elm Elementary,district,K,{'x' * 100_000},N;E")
    problems = input_problems(city)
    assert any("… (100,000 characters)" in p for p in problems)
    assert all(len(p) < 400 for p in problems)


def test_an_unknown_program_with_a_long_id_is_cut(city):
    city.replace_line("choices", 2, f"A1,1,{'P' * 70}")
    assert input_problems(city) == [
        f'choices.csv:2: program_id: unknown program "{"P" * 60}… (70 characters)"'
    ]


def test_a_round_quotes_an_unknown_event_escaped_and_cut(city, tmp_path):
    first = tmp_path / "round-1"
    run_lottery(city.path, first, "2026-spring")
    changes = tmp_path / "changes"
    changes.mkdir()
    (changes / "changes.csv").write_text(
        "event,applicant_id,program_id,value,note\n"
        f"{'x' * 1000},A1,,,\n"
        'decline,"\tA1",,,\n'
        'seat_change,,ELM-K,"\u202e5",\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        run_round(first, changes, tmp_path / "round-2", inputs_dir=city.path)
    text = "\n".join(p.render() for p in caught.value.problems)
    assert f'unknown event "{"x" * 60}… (1,000 characters)"' in text
    assert '"\\u202e5" is not a whole number of seats' in text


def test_a_number_too_long_for_python_in_policy_toml_is_a_problem(invoke, city):
    city.write("policy", "[families]\nmax_iterations = " + "9" * 5000 + "\n")
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "policy.toml: holds a number too long to read (more than 4,300 digits)"
    )


# ----------------------------------------------------------------------------- results files


@pytest.mark.parametrize("command", ["letters", "report"])
def test_a_changed_results_file_is_called_a_results_file(invoke, city, tmp_path, command):
    """letters and report read a finished results folder: a file changed there is a
    problem in the results files, not in the office's input files."""
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", "messages", "--out", out).exit_code == 0
    with (out / "placements.csv").open("a", encoding="utf-8") as placements:
        placements.write("tampered\n")
    result = invoke(command, out, "--inputs", city.path)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Found 1 problem in the results files; nothing was written."
    )


def test_an_input_file_changed_since_the_run_is_called_an_input_file(invoke, city, tmp_path):
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", "messages", "--out", out).exit_code == 0
    city.append("applicants", "A9,Zoe,Park,K,N,,,,en,Lee Park,1 Oak St")
    result = invoke("letters", out, "--inputs", city.path)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Found 1 problem in the input files; nothing was written."
    )
