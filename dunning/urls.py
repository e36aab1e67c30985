from django.urls import path

from dunning import views

app_name = "dunning"
urlpatterns = [
    path("confirmations/", views.confirmation_list, name="confirmations"),
    path("confirmations/<int:pk>/", views.confirmation_confirm, name="confirm"),
]
