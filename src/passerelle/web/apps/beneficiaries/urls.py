from django.urls import path

from passerelle.web.apps.beneficiaries import views

app_name = "beneficiaries"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("report.csv", views.report_csv, name="report-csv"),
    path("report.pdf", views.report_pdf_view, name="report-pdf"),
    path("share/", views.encodings, name="encodings"),
    path("share/uploads/<int:job_id>/", views.encodings_job, name="encodings-job"),
    path("runs/", views.runs, name="runs"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("outcomes/imports/<int:job_id>/", views.outcome_job, name="outcome-job"),
    path("review/", views.review, name="review"),
    path("review/<int:pair_id>/", views.review_pair, name="review-pair"),
]
