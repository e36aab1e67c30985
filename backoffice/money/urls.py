from django.urls import path

from backoffice.money import views

app_name = "money"

urlpatterns = [
    path("statements/", views.statement_list, name="statements"),
    path("statements/<int:pk>/", views.statement_detail, name="statement"),
    path("queue/", views.line_queue, name="queue"),
    path("lines/<int:pk>/resolve/", views.line_resolve, name="line_resolve"),
    path("remittances/", views.remittance_list, name="remittances"),
    path("remittances/run/", views.remittance_run, name="remittance_run"),
    path("remittances/<int:pk>/", views.remittance_detail, name="remittance"),
    path("remittances/<int:pk>/executed/", views.remittance_executed, name="remittance_executed"),
    path("remittances/<int:pk>/pain001.xml", views.remittance_pain001, name="remittance_pain001"),
    path(
        "remittances/<int:pk>/statement.pdf",
        views.remittance_statement,
        name="remittance_statement",
    ),
    path("ledger/", views.ledger, name="ledger"),
]
