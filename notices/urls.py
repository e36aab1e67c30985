from django.urls import path

from notices import views

app_name = "notices"
urlpatterns = [
    path("cases/<int:pk>/preview/", views.case_letter_preview, name="case_preview"),
    path("<int:pk>/download/", views.notice_download, name="download"),
    path("<int:pk>/acknowledgement/", views.notice_acknowledge, name="acknowledge"),
    path("webhooks/<slug:agency_slug>/post/", views.post_webhook, name="post_webhook"),
    path(
        "webhooks/<slug:agency_slug>/email-bounce/",
        views.email_bounce_webhook,
        name="email_bounce_webhook",
    ),
]
