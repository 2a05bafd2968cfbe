from django.urls import path

from passerelle.web.apps.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("directory/", views.directory, name="directory"),
    path("organisations/<slug:slug>/", views.organisation_page, name="organisation"),
    path("programmes/<slug:slug>/", views.programme_page, name="programme"),
    path("what-can-i-do/", views.finder, name="finder"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar.ics", views.calendar_feed, name="calendar-feed"),
]
