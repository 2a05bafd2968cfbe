"""Matching people to mentors, internships and vacancies (issue 7).

Pure and column-wise: `model` (inputs), `pairs` (sparse candidates, hard constraints from
the rules engine, the explainable score), `solve` (minimum-cost flow with OR-Tools, and the
first-come-first-served baseline), `engine.match` (one round), `explain` (reasons in words),
`gaps` (what stands between a vacancy and its candidates, now and later).
"""
