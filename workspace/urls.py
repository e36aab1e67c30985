from django.urls import path

from workspace import agent_views, views

app_name = "workspace"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("queues/", agent_views.queue_list, name="queues"),
    path("queues/next/", agent_views.next_case, name="next"),
    path("my-day/", agent_views.my_day, name="my_day"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/review/", agent_views.case_review, name="review"),
    path("<int:pk>/leave/", agent_views.case_leave, name="leave"),
    path("<int:pk>/calls/<int:contact>/", agent_views.call_start, name="call_start"),
    path("<int:pk>/outcome/", agent_views.call_outcome, name="outcome"),
    path("<int:pk>/promise/", agent_views.call_promise, name="promise"),
    path("<int:pk>/third-party/", agent_views.third_party_script, name="third_party"),
    path(
        "<int:pk>/contacts/<int:contact>/wrong/",
        agent_views.contact_mark_wrong,
        name="contact_wrong",
    ),
    path("<int:pk>/notes/", agent_views.note_add, name="note"),
    path("<int:pk>/transition/<str:name>/", views.case_transition_view, name="transition"),
    path("<int:pk>/payment-plan/", views.case_plan_agree, name="plan_agree"),
    path("<int:pk>/payments/", views.case_payment_create, name="payment_create"),
    path("<int:pk>/settlement/", views.case_settlement_propose, name="settlement_propose"),
    path("<int:pk>/handoff-approval/", views.case_handoff_approve, name="handoff_approve"),
    path("<int:pk>/judicial-steps/", views.case_judicial_step, name="judicial_step"),
    path("deadlines/", views.deadline_list, name="deadlines"),
    path("deadlines/<int:pk>/done/", views.deadline_done, name="deadline_done"),
    path("refunds/<int:pk>/refunded/", views.refund_mark_refunded, name="refund_refunded"),
]
