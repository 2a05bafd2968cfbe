"""Scenario simulation of the sector: a monthly microsimulation of synthetic newcomers
(docs/simulation.md)."""
