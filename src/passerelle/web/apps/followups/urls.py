from django.urls import path

from passerelle.web.apps.followups import views

app_name = "followups"
urlpatterns = [
    path("", views.follow_up_list, name="due"),
    path("<uuid:follow_up_id>/", views.follow_up_record, name="record"),
    path("participations/<uuid:person_id>/", views.participation_new, name="participation-new"),
]
