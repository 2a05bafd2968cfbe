from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from passerelle.web.apps.ops.health import healthz, readyz

handler400 = "passerelle.web.middleware.bad_request"

# The admin asks for the second factor too.
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("passerelle.web.api")),
    path("staff/", include("passerelle.web.apps.accounts.urls")),
    path("staff/persons/", include("passerelle.web.apps.people.urls")),
    path("staff/audit/", include("passerelle.web.apps.accounts.audit_urls")),
    path("analysis/scenarios/", include("passerelle.web.apps.scenarios.urls")),
    path("staff/matching/", include("passerelle.web.apps.matching.urls")),
    path("staff/referrals/", include("passerelle.web.apps.referrals.urls")),
    path("staff/follow-ups/", include("passerelle.web.apps.followups.urls")),
    path("analysis/beneficiaries/", include("passerelle.web.apps.beneficiaries.urls")),
    path("analysis/", include("passerelle.web.apps.monitoring.urls")),
    path("", include("passerelle.web.apps.directory.urls")),
]
