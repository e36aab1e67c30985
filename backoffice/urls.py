from django.urls import include, path

from backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("creditors/", views.creditor_list, name="creditors"),
    path("creditors/new/", views.creditor_create, name="creditor_create"),
    path("creditors/<int:pk>/", views.creditor_edit, name="creditor_edit"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/role/", views.member_role, name="member_role"),
    path("people/<int:pk>/active/", views.member_active, name="member_active"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("agency/", views.agency, name="agency"),
    path("agency/documents/<int:pk>/", views.agency_document, name="agency_document"),
    path("scenarios/", views.scenario_list, name="scenarios"),
    path("scenarios/<int:pk>/", views.scenario_edit, name="scenario_edit"),
    path("scenarios/<int:pk>/preview/", views.scenario_preview, name="scenario_preview"),
    path("scenarios/<int:pk>/copy/", views.scenario_copy, name="scenario_copy"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<slug:kind>/", views.template_edit, name="template_edit"),
    path("templates/<slug:kind>/lint/", views.template_lint, name="template_lint"),
    path("templates/<slug:kind>/preview/", views.template_preview, name="template_preview"),
    path("template-versions/<int:pk>/restore/", views.template_restore, name="template_restore"),
    path("figures/", views.figures, name="figures"),
    path("figures/export.csv", views.figures_csv, name="figures_csv"),
    path("figures/export.xlsx", views.figures_xlsx, name="figures_xlsx"),
    path("audit/", views.audit, name="audit"),
    path("money/", include("backoffice.money.urls")),
]
