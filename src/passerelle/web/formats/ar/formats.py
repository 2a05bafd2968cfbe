# Latin digits, with the separators CLDR gives Arabic written in Latin digits
# (decimal point, comma between thousands), so that "3.19" and "65.0" read alike.
from passerelle.web.formats import DATE_INPUT_FORMATS

__all__ = ["DATE_INPUT_FORMATS"]

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y، H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
FIRST_DAY_OF_WEEK = 1
