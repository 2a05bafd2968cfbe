from django.urls import path

from passerelle.web.apps.people import views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_new, name="new"),
    path("<uuid:person_id>/", views.person_detail, name="detail"),
    path("<uuid:person_id>/edit/", views.person_edit, name="edit"),
    path("<uuid:person_id>/consents/", views.consent_new, name="consent-new"),
    path(
        "<uuid:person_id>/consents/<uuid:consent_id>/withdraw/",
        views.consent_withdraw,
        name="consent-withdraw",
    ),
    path("<uuid:person_id>/disclose/", views.person_disclose, name="disclose"),
    path("<uuid:person_id>/export.json", views.person_export_json, name="export-json"),
    path("<uuid:person_id>/export/", views.person_export_page, name="export"),
    path("<uuid:person_id>/erase/", views.person_erase, name="erase"),
    path("<uuid:person_id>/close/", views.person_close, name="close"),
]
