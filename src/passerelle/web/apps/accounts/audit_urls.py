"""The audit log's pages, under the namespace `audit` (the log itself is the audit app's)."""

from django.urls import path

from passerelle.web.apps.accounts import audit_log as views

app_name = "audit"
urlpatterns = [
    path("", views.audit_log, name="log"),
    path("audit.csv", views.audit_log_csv, name="csv"),
]
