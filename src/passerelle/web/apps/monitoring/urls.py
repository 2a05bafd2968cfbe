from django.urls import path

from passerelle.web.apps.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("csv/<slug:key>.csv", views.table_csv, name="csv"),
    path("evaluation/", views.evaluation, name="evaluation"),
    path("evaluation/<slug:key>.csv", views.evaluation_csv, name="evaluation-csv"),
    path("report/", views.report, name="report"),
    path("report.csv", views.report_csv, name="report-csv"),
    path("report.pdf", views.report_pdf_view, name="report-pdf"),
    path("report.xlsx", views.report_xlsx_view, name="report-xlsx"),
]
