"""Who may do what here.

- An organisation's coordinators and administrators share its encodings (upload, or
  encode its person files on the platform); caseworkers may not.
- The sector's linkage is run and reviewed by the platform's analysts and administrators
  (neutral to the organisations, which compete for beneficiaries); they see encodings'
  levels and weights, never a name, since there is none here. Their pages ask for the
  second factor of every user, analysts included (`linkage_view`).
- The figures (aggregates, small cells withheld) are for everyone who may see aggregates
  (`aggregates_view`).
"""

from __future__ import annotations

from typing import Any

from passerelle.web.apps.accounts.decorators import gated_view, is_analyst_or_platform_admin


def may_share_encodings(actor: Any) -> bool:
    """As `common.actors.POLICY` says (coordinators and administrators; tokens with
    encodings:write)."""
    return bool(actor.allowed("encodings_share", "organisation"))


# The sector's linkage runs and review queue: the platform's analysts and administrators,
# always with the second factor (the pages show and decide pairs of person records).
linkage_view = gated_view(is_analyst_or_platform_admin, second_factor=True)
