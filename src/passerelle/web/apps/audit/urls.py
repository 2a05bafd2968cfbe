from django.urls import path

from passerelle.web.apps.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_log, name="log"),
    path("audit.csv", views.audit_log_csv, name="csv"),
]
