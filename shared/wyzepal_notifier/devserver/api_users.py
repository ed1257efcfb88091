"""GET /users/me, GET /users and the unauthenticated GET /server_settings."""

from __future__ import annotations

from aiohttp import web

from ..version import __version__
from .realm import render_markdown
from .responses import json_success
from .settings import ZULIP_FEATURE_LEVEL, ZULIP_VERSION
from .state import state_of, user_of


async def get_own_user(request: web.Request) -> web.Response:
    """The authenticated user or bot."""
    realm = state_of(request).realm
    data = realm.user_dict(user_of(request))
    data["max_message_id"] = realm.store.max_message_id()
    data["profile_data"] = {}
    return json_success(data)


async def list_users(request: web.Request) -> web.Response:
    """Every user of the organisation."""
    realm = state_of(request).realm
    return json_success({"members": [realm.user_dict(u) for u in realm.store.users()]})


async def server_settings(request: web.Request) -> web.Response:
    """What a client needs before logging in: versions, realm URL and limits."""
    settings = state_of(request).realm.settings
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
            "zulip_feature_level": ZULIP_FEATURE_LEVEL,
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
            "realm_description": render_markdown("The WyzePal development server."),
            "realm_web_public_access_enabled": False,
            "max_message_length": settings.max_message_length,
            "max_topic_length": settings.max_topic_length,
            "wyzepal_devserver_version": __version__,
        }
    )
