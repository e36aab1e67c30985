from django.urls import path

from cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/transition/<str:name>/", views.case_transition_view, name="transition"),
]
