"""Date and number formats per language (Django's `FORMAT_MODULE_PATH`), where Django's
own differ from what passerelle promises (docs/accessibility.md, "Dates and numbers"):

- every language reads a typed date day first (15/03/2021, 15-03-2021, 15.03.2021) or as
  ISO 8601 (2021-03-15), never month first: a date field is one text field whose label
  says "day/month/year";
- Latin digits in every language, Arabic included (the digits the sources, the forms and the
  organisations' documents use); dates in words ("15 mars 2021", "15 مارس 2021");
- English as written in Belgium: day before month, weeks from Monday.
"""

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
