"""GET /users/me, GET /users and the unauthenticated GET /server_settings."""

from __future__ import annotations

from aiohttp import web

from .responses import json_success
from .settings import ZULIP_VERSION
from .state import state_of, user_of


async def get_own_user(request: web.Request) -> web.Response:
    """The authenticated user or bot."""
    realm = state_of(request).realm
    data = realm.user_dict(user_of(request))
    for key in ("bot_type", "bot_owner_id"):  # GET /users has them, GET /users/me does not
        del data[key]
    data["max_message_id"] = realm.store.max_message_id()
    data["profile_data"] = {}
    return json_success(data)


async def list_users(request: web.Request) -> web.Response:
    """Every user of the organisation."""
    realm = state_of(request).realm
    return json_success({"members": [realm.user_dict(u) for u in realm.members()]})


async def server_settings(request: web.Request) -> web.Response:
    """What a client needs before logging in: versions, realm URL and limits."""
    realm = state_of(request).realm
    settings = realm.settings
    site = f"{request.scheme}://{request.host}"
    return json_success(
        {
            "authentication_methods": {
                "password": True,
                "dev": True,
                "email": True,
                "ldap": False,
                "remoteuser": False,
                "github": False,
                "azuread": False,
                "gitlab": False,
                "apple": False,
                "google": False,
                "saml": False,
                "openid connect": False,
            },
            "external_authentication_methods": [],
            "zulip_feature_level": settings.feature_level,
            "zulip_version": ZULIP_VERSION,
            "zulip_merge_base": ZULIP_VERSION,
            "push_notifications_enabled": False,
            "is_incompatible": False,
            "email_auth_enabled": True,
            "require_email_format_usernames": True,
            "realm_uri": site,
            "realm_url": site,
            "realm_name": settings.realm_name,
            "realm_icon": f"{site}/static/images/logo/zulip-icon-128x128.png",
            "realm_description": realm.render("The WyzePal development server."),
            "realm_web_public_access_enabled": False,
        }
    )
