from django.urls import include, path

app_name = "backoffice"

urlpatterns: list = [
    path("money/", include("backoffice.money.urls")),
]
