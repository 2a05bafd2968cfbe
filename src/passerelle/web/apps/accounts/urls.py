from django.urls import path

from passerelle.web.apps.accounts import integrations, views

app_name = "accounts"
urlpatterns = [
    path("", views.staff_home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("two-factor/", views.two_factor_view, name="two-factor"),
    path("organisation/", views.organisation_switch, name="organisation"),
    path("integrations/", integrations.integrations, name="integrations"),
]
