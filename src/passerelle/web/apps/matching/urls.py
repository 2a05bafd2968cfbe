from django.urls import path

from passerelle.web.apps.matching import views

app_name = "matching"
urlpatterns = [
    path("", views.home, name="home"),
    path("rounds/start/", views.round_start, name="round-start"),
    path("rounds/<uuid:round_id>/", views.round_detail, name="round"),
    path("rounds/<uuid:round_id>/confirm/", views.round_confirm, name="round-confirm"),
    path(
        "rounds/<uuid:round_id>/<int:number>/<slug:action>/",
        views.proposal_act,
        name="proposal-act",
    ),
    path("mentors/new/", views.mentor_edit, name="mentor-new"),
    path("mentors/<uuid:mentor_id>/", views.mentor_edit, name="mentor-edit"),
    path("offers/new/", views.offer_edit, name="offer-new"),
    path("offers/<uuid:offer_id>/", views.offer_edit, name="offer-edit"),
    path("vacancies/new/", views.vacancy_edit, name="vacancy-new"),
    path("vacancies/<uuid:vacancy_id>/", views.vacancy_edit, name="vacancy-edit"),
    path("gaps/", views.gaps, name="gaps"),
]
