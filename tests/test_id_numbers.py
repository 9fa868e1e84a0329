"""Resident ID numbers against an oracle independent of core: GB 11643-1999's published example
and python-stdnum's ``stdnum.cn.ric`` (the check character, over many numbers)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from stdnum.cn import ric

from core.spreadsheet.cells import (
    CellError,
    id_birth_date,
    id_check_char,
    id_gender,
    parse_id_number,
)
from tests.sheets import GB11643_EXAMPLE, make_id


def test_the_standards_own_example():
    assert ric.is_valid(GB11643_EXAMPLE)  # the oracle agrees with the standard
    assert id_check_char(GB11643_EXAMPLE[:17]) == "X"
    assert parse_id_number(GB11643_EXAMPLE) == GB11643_EXAMPLE
    assert parse_id_number(GB11643_EXAMPLE.lower()) == GB11643_EXAMPLE
    assert id_birth_date(GB11643_EXAMPLE) == dt.date(1949, 12, 31)
    assert id_gender(GB11643_EXAMPLE) == "女"
    assert make_id("19491231", 2, "110105") == GB11643_EXAMPLE
    for wrong in "0123456789":
        with pytest.raises(CellError):
            parse_id_number(GB11643_EXAMPLE[:17] + wrong)


def test_the_check_character_agrees_with_stdnum_over_many_numbers():
    rng = random.Random(11643)
    seen = set()
    for _ in range(20_000):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        expected = ric.calc_check_digit(first17 + "0")
        assert id_check_char(first17) == expected, first17
        seen.add(expected)
    assert seen == set("0123456789X")  # every check character was exercised


def test_valid_numbers_parse_and_every_wrong_check_character_is_refused():
    rng = random.Random(1999)
    start = dt.date(1930, 1, 1)
    for _ in range(500):
        birth = start + dt.timedelta(days=rng.randrange(365 * 80))
        area = rng.choice(("330182", "330127", "330102", "110105", "440305"))
        number = make_id(birth.strftime("%Y%m%d"), rng.randrange(1000), area)
        assert number[-1] == ric.calc_check_digit(number)  # (is_valid also wants a known area)
        assert parse_id_number(number) == number
        for wrong in set("0123456789X") - {number[-1]}:
            with pytest.raises(CellError):
                parse_id_number(number[:17] + wrong)
