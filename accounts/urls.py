"""URL routes of the accounts app."""

from django.urls import path

from accounts import team_views, views

urlpatterns = [
    path("workspace/<uuid:workspace_id>/", views.workspace_settings, name="workspace_settings"),
    path("workspace/<uuid:workspace_id>/team/", team_views.team, name="team"),
    path("workspace/<uuid:workspace_id>/team/invite/", team_views.invite, name="team_invite"),
    path(
        "workspace/<uuid:workspace_id>/team/invitations/<uuid:invitation_id>/revoke/",
        team_views.revoke_invitation,
        name="team_revoke_invitation",
    ),
    path(
        "workspace/<uuid:workspace_id>/team/<uuid:user_id>/remove/",
        team_views.remove_member,
        name="team_remove_member",
    ),
    path(
        "workspace/<uuid:workspace_id>/team/<uuid:user_id>/role/",
        team_views.change_role,
        name="team_change_role",
    ),
    path("workspaces/switch/", team_views.switch_workspace, name="switch_workspace"),
    path("invitations/<str:token>/", team_views.accept_invitation, name="accept_invitation"),
]
