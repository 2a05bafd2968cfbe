import pytest

from passerelle.core.profile import ProfileError, profile_from_data


def test_municipality_by_french_or_dutch_name_or_postcode() -> None:
    assert profile_from_data({"municipality": "Schaerbeek"}).municipality == "schaerbeek"
    assert profile_from_data({"municipality": "schaarbeek"}).municipality == "schaerbeek"
    assert profile_from_data({"municipality": "1030"}).municipality == "schaerbeek"
    outside = profile_from_data({"municipality": "1930"})
    assert outside.municipality == "1930"
    assert outside.municipality_in_brussels is False


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        ({"favourite_colour": "blue"}, "favourite_colour", "unknown field; allowed: birth_date"),
        ({"birth_date": "12/03/1990"}, "birth_date", "YYYY-MM-DD"),
        ({"legal_status": "tourist"}, "legal_status", "asylum_seeker"),
        ({"nationality": "Syria"}, "nationality", "ISO 3166-1 alpha-2"),
        ({"languages": {"fr": "B3"}}, "languages.fr", "A1"),
        ({"languages": {"french": "B1"}}, "languages.french.[key]", "ISO 639-1"),
        ({"municipality": "Schaerbeck"}, "municipality", "Did you mean Schaerbeek"),
        (
            {"asylum_application_date": "2019-05-01", "asylum_decision_date": "2019-01-01"},
            "asylum_decision_date",
            "before asylum_application_date",
        ),
        (
            {"legal_status": "asylum_seeker", "asylum_decision_date": "2019-01-01"},
            "asylum_decision_date",
            "no final decision yet",
        ),
        (
            {"birth_date": "2000-01-01", "arrival_in_belgium": "1999-01-01"},
            "arrival_in_belgium",
            "before birth_date",
        ),
        ({"education_isced": 9}, "education_isced", "must be 8 or less"),
        ({"nationality": "UK"}, "nationality", "the United Kingdom is GB"),
        ({"nationality": "XX"}, "nationality", "not an ISO 3166-1 alpha-2 country code"),
        ({"birth_date": 0}, "birth_date", "date"),
        ({"migration_background": "yes"}, "migration_background", "true or false"),
        ({"residence_permit_months": True}, "residence_permit_months", "whole number"),
        # The asylum procedure's events in an impossible order name the later field.
        (
            {"asylum_application_date": "2020-05-01", "asylum_refusal_date": "2020-04-01"},
            "asylum_refusal_date",
            "before asylum_application_date",
        ),
        (
            {
                "asylum_application_date": "2020-01-01",
                "asylum_refusal_date": "2020-06-01",
                "appeal_lodged_date": "2020-05-20",
            },
            "appeal_lodged_date",
            "before asylum_refusal_date",
        ),
        (
            {"asylum_application_date": "2020-01-01", "appeal_lodged_date": "2020-05-20"},
            "appeal_lodged_date",
            "give asylum_refusal_date",
        ),
        (
            {
                "legal_status": "no_permit",
                "asylum_application_date": "2020-01-01",
                "asylum_refusal_date": "2020-06-01",
                "appeal_lodged_date": "2020-06-20",
                "appeal_refusal_date": "2020-06-10",
            },
            "appeal_refusal_date",
            "before appeal_lodged_date",
        ),
        (
            {"asylum_application_date": "2020-01-01", "appeal_refusal_date": "2020-09-01"},
            "appeal_refusal_date",
            "give appeal_lodged_date",
        ),
        (
            {"asylum_application_date": "2020-01-01", "admissibility_date": "2020-02-01"},
            "admissibility_date",
            "subsequent_application",
        ),
        (
            {
                "subsequent_application": True,
                "asylum_application_date": "2020-03-01",
                "admissibility_date": "2020-02-01",
            },
            "admissibility_date",
            "before asylum_application_date",
        ),
        ({"asylum_refusal_date": "2020-02-01"}, "asylum_application_date", "give its date"),
        (
            {
                "legal_status": "asylum_seeker",
                "asylum_application_date": "2020-01-01",
                "asylum_refusal_date": "2020-06-01",
                "appeal_lodged_date": "2020-06-20",
                "appeal_refusal_date": "2021-01-10",
            },
            "appeal_refusal_date",
            "no_permit",
        ),
        ({"subsequent_application": "yes"}, "subsequent_application", "true or false"),
        (
            {
                "legal_status": "refugee",
                "asylum_application_date": "2022-01-10",
                "asylum_decision_date": "2022-09-01",
                "first_registration_brussels": "2022-02-01",
            },
            "first_registration_brussels",
            "foreigners' register",
        ),
    ],
)
def test_bad_input_names_the_field_and_what_is_allowed(
    data: dict[str, object], field: str, fragment: str
) -> None:
    with pytest.raises(ProfileError) as caught:
        profile_from_data(data)
    assert field in caught.value.errors, caught.value.errors
    assert fragment in caught.value.errors[field]


def test_a_profile_must_be_an_object() -> None:
    with pytest.raises(ProfileError, match="JSON object"):
        profile_from_data(["not", "a", "profile"])
