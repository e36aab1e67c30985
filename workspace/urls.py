from django.urls import path

from workspace import views

app_name = "workspace"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/transition/<str:name>/", views.case_transition_view, name="transition"),
    path("<int:pk>/payment-plan/", views.case_plan_agree, name="plan_agree"),
    path("<int:pk>/payments/", views.case_payment_create, name="payment_create"),
    path("<int:pk>/handoff-approval/", views.case_handoff_approve, name="handoff_approve"),
    path("<int:pk>/judicial-steps/", views.case_judicial_step, name="judicial_step"),
    path("deadlines/", views.deadline_list, name="deadlines"),
    path("deadlines/<int:pk>/done/", views.deadline_done, name="deadline_done"),
    path("refunds/<int:pk>/refunded/", views.refund_mark_refunded, name="refund_refunded"),
]
