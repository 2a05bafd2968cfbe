from django.urls import path
from django.views.generic import RedirectView

from passerelle.web.apps.referrals import views

app_name = "referrals"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("outbox/", views.outbox, name="outbox"),
    path("settings/", views.organisation_settings, name="settings"),
    # The page moved to the accounts app (issue 20): bookmarks of the old address still work.
    path(
        "integrations/",
        RedirectView.as_view(pattern_name="accounts:integrations", permanent=True),
    ),
    path("new/<uuid:person_id>/", views.referral_new, name="new"),
    path("<uuid:referral_id>/", views.referral_detail, name="detail"),
    path("<uuid:referral_id>/<slug:action>/", views.referral_act, name="act"),
]
