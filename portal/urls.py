from django.urls import path

from portal import views

app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/export.<str:fmt>", views.case_export, name="case_export"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/new/invoice/", views.claim_row, name="claim_row"),
    path("cases/new/siren/", views.debtor_lookup, name="debtor_lookup"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/handoff-approval/", views.case_handoff, name="case_handoff"),
    path("cases/<int:pk>/hold/", views.case_hold, name="case_hold"),
    path("cases/<int:pk>/withdraw/", views.case_withdraw, name="case_withdraw"),
    path("cases/<int:pk>/settlement/", views.case_settlement, name="case_settlement"),
    path("cases/<int:pk>/documents/", views.case_document, name="case_document"),
    path("cases/<int:pk>/direct-payment/", views.case_payment, name="case_payment"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
    path("drafts/<int:pk>/", views.draft_resume, name="draft_resume"),
    path("drafts/<int:pk>/delete/", views.draft_delete, name="draft_delete"),
    path("imports/", views.import_new, name="import_new"),
    path("imports/template.<str:fmt>", views.import_template, name="import_template"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/status/", views.import_status, name="import_status"),
    path("imports/<int:pk>/run/", views.import_run_view, name="import_run"),
    path("notifications/", views.notifications, name="notifications"),
]
