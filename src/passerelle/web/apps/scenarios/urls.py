from django.urls import path

from passerelle.web.apps.scenarios import views

app_name = "scenarios"
urlpatterns = [
    path("", views.scenario_list, name="list"),
    path("<slug:name>/", views.scenario_compare, name="compare"),
    path("<slug:name>/<slug:indicator>.csv", views.scenario_csv, name="csv"),
]
