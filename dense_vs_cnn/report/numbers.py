"""How each report language writes numbers: the one place the report's digits are formatted.

Plain Python, never the machine's locale settings (`locale`, matplotlib's useLocale), so a
report comes out with the same bytes on every machine. Each language's table in strings.py
holds one `NumberFormat`; render.py (text and tables) and figures.py (tick labels, counts)
format every number through it. Negative numbers take the minus sign U+2212 (−), in
every language, as matplotlib writes its tick labels.
"""

from dataclasses import dataclass

SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
MINUS = "\u2212"


@dataclass(frozen=True)
class NumberFormat:
    decimal: str  # decimal separator
    thousands: str  # between groups of three digits
    unit_space: str  # between a number and its unit, % included
    scientific: str  # a tiny p-value: {mantissa}, {exponent} (as Python writes it) or {superscript}
    plural_from: float  # a unit after a number takes the plural from this absolute value on

    def localize(self, text):
        """Python's (or matplotlib's) `-1,234.5` written this language's way."""
        return text.translate(str.maketrans({",": self.thousands, ".": self.decimal, "-": MINUS}))

    def number(self, value, decimals=0, sign=False):
        if round(value, decimals) == 0:
            value = 0.0  # -0.001 is printed 0.00 or +0.00, never with a minus sign
        return self.localize(f"{value:{'+' if sign else ''},.{decimals}f}")

    def percent(self, fraction, decimals=2):
        return f"{self.number(100 * fraction, decimals)}{self.unit_space}%"

    def quantity(self, value, units, decimals=0, sign=False):
        """A number and its unit; `units`: one word, or (singular, plural)."""
        singular, plural = (units, units) if isinstance(units, str) else units
        unit = plural if abs(round(value, decimals)) >= self.plural_from else singular  # as printed
        return f"{self.number(value, decimals, sign)}{self.unit_space}{unit}"

    def significant(self, value, digits=3):
        """`digits` significant digits, as Python's `g` format: 0.109, 1, and for tiny p-values
        a power of ten written this language's way."""
        text = f"{value:.{digits}g}"
        if "e" not in text:
            return self.localize(text)
        mantissa, exponent = text.split("e")
        return self.scientific.format(mantissa=self.localize(mantissa), exponent=exponent,
                                      superscript=str(int(exponent)).translate(SUPERSCRIPTS))


# English: "0.50 points", "1.00 points"; p = 7.02 × 10⁻²⁹, as French.
ENGLISH = NumberFormat(decimal=".", thousands=",", unit_space=" ",
                       scientific="{mantissa} × 10{superscript}", plural_from=0)
# French typography (Lexique des règles typographiques de l'Imprimerie nationale): decimal
# comma, a narrow no-break space between thousands, a no-break space before a unit or %,
# and the singular below 2: « 1,67 point », « 2,05 points ».
FRENCH = NumberFormat(decimal=",", thousands="\u202f", unit_space="\u00a0",
                      scientific="{mantissa}\u00a0×\u00a010{superscript}", plural_from=2)
