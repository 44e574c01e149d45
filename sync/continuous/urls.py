from django.urls import path

from sync.continuous import views

app_name = "continuous"

urlpatterns = [
    path("operator/", views.operator, name="operator"),
]
