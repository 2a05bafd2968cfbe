"""The Django web layer (public directory, finder, staff pages, API).

It builds on `passerelle.core` and `passerelle.knowledge`, never the other way round: an
import-linter contract in `make test` enforces it. The Django project itself arrives with
the public platform issue; this package exists so that the contract guards its name now.
"""
