from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import manage, views
from api.problems import not_found, problem_page

app_name = "api"

v1 = [
    path("creditors/", views.CreditorList.as_view(), name="creditor_list"),
    path("creditors/<int:pk>/", views.CreditorDetail.as_view(), name="creditor_detail"),
    path("debtors/", views.DebtorList.as_view(), name="debtor_list"),
    path("debtors/<int:pk>/", views.DebtorDetail.as_view(), name="debtor_detail"),
    path("cases/", views.CaseCollection.as_view(), name="case_list"),
    path("cases/bulk/", views.CaseBulkCreate.as_view(), name="case_bulk"),
    path("cases/<int:pk>/", views.CaseDetail.as_view(), name="case_detail"),
    path("cases/<int:pk>/balance/", views.CaseBalance.as_view(), name="case_balance"),
    path("cases/<int:pk>/events/", views.CaseEvents.as_view(), name="case_events"),
    path("cases/<int:pk>/transitions/", views.CaseTransitions.as_view(), name="case_transition"),
    path("cases/<int:pk>/payments/", views.CasePayments.as_view(), name="case_payments"),
    path("cases/<int:pk>/documents/", views.CaseDocuments.as_view(), name="case_documents"),
    path(
        "cases/<int:pk>/documents/<str:document>/",
        views.CaseDocumentDownload.as_view(),
        name="case_document",
    ),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("problems/<slug:slug>/", problem_page, name="problem"),
    path("manage/", include(manage.urlpatterns)),
    # The partner's mistakes answer in the partner's format (the back-office keeps its pages).
    re_path(r"^(?!manage/).*$", not_found),
]
