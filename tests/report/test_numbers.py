import pytest

from dense_vs_cnn.report.numbers import ENGLISH, FRENCH

NNBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"  # narrow no-break space, no-break space, minus sign


def test_english_numbers_are_written_as_before():
    assert ENGLISH.number(109_386) == "109,386" and ENGLISH.number(0.08123, 4) == "0.0812"
    assert ENGLISH.percent(0.99) == "99.00 %" and ENGLISH.number(1.5, 2, sign=True) == "+1.50"
    assert ENGLISH.quantity(1.0, ("point", "points"), 2) == "1.00 points"
    assert ENGLISH.significant(0.109375) == "0.109" and ENGLISH.significant(7.0213e-29) == "7.02 × 10⁻²⁹"
    assert ENGLISH.significant(1.0) == "1"


@pytest.mark.parametrize("numbers", [ENGLISH, FRENCH])
def test_negative_numbers_take_the_minus_sign_in_both_languages(numbers):
    assert numbers.number(-7.5, 2, sign=True) == f"{MINUS}7{numbers.decimal}50"
    assert numbers.number(-1234) == f"{MINUS}1{numbers.thousands}234"
    assert numbers.percent(-0.02) == f"{MINUS}2{numbers.decimal}00{numbers.unit_space}%"
    assert numbers.localize("-0.25") == f"{MINUS}0{numbers.decimal}25"  # tick labels too
    # a value printed as zero takes no minus sign
    assert numbers.number(-0.001, 2, sign=True) == f"+0{numbers.decimal}00"
    assert numbers.number(-0.001, 2) == f"0{numbers.decimal}00"


def test_french_numbers_use_a_decimal_comma_and_narrow_spaces_between_thousands():
    assert FRENCH.number(109_386) == f"109{NNBSP}386" and FRENCH.number(1000) == f"1{NNBSP}000"
    assert FRENCH.number(10_000) == f"10{NNBSP}000" and FRENCH.number(999) == "999"
    assert FRENCH.number(1_234_567.891, 2) == f"1{NNBSP}234{NNBSP}567,89"
    assert FRENCH.number(0.0812, 4) == "0,0812" and FRENCH.number(-7.5, 2, sign=True) == f"{MINUS}7,50"
    assert FRENCH.percent(0.99) == f"99,00{NBSP}%" and FRENCH.percent(0.5, 0) == f"50{NBSP}%"
    assert FRENCH.quantity(12.34, "s", 1) == f"12,3{NBSP}s"
    assert FRENCH.localize("1,234.5") == f"1{NNBSP}234,5"


@pytest.mark.parametrize(("value", "expected"), [
    (1.67, "1,67 point"), (0.5, "0,50 point"), (-1.2, "\u22121,20 point"), (1.996, "2,00 points"),
    (2.0, "2,00 points"), (-3.1, "\u22123,10 points"),
])
def test_french_units_are_singular_below_two_as_printed(value, expected):
    assert FRENCH.quantity(value, ("point", "points"), 2) == expected.replace(" ", NBSP)


def test_french_counts_agree_with_their_noun():
    assert FRENCH.quantity(1, ("image", "images")) == f"1{NBSP}image"
    assert FRENCH.quantity(0, ("image", "images")) == f"0{NBSP}image"
    assert FRENCH.quantity(205, ("image", "images")) == f"205{NBSP}images"


def test_french_tiny_p_values_are_a_power_of_ten():
    assert FRENCH.significant(7.0213e-29) == f"7,02{NBSP}×{NBSP}10⁻²⁹"
    assert FRENCH.significant(1e-5) == f"1{NBSP}×{NBSP}10⁻⁵"
    assert FRENCH.significant(0.109375) == "0,109" and FRENCH.significant(1.0) == "1"
