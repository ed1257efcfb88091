"""A small table of Unicode emoji names and codes (Zulip's names, as reactions use them).

Not Zulip's full emoji set: the ones integrations react with (status marks,
traffic lights, thumbs) and a few common others.  Codes are the dash-separated
hex code points of ``reaction_type: unicode_emoji``.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

from .responses import ApiError

#: name -> code; aliases share a code (Zulip resolves each name to one code).
EMOJI: Dict[str, str] = {
    "white_check_mark": "2705",
    "check": "2714",
    "heavy_check_mark": "2714",
    "check_mark": "2714",
    "x": "274c",
    "cross_mark": "274c",
    "hourglass": "231b",
    "hourglass_flowing_sand": "23f3",
    "time_ticking": "23f3",
    "stopwatch": "23f1",
    "warning": "26a0",
    "octagonal_sign": "1f6d1",
    "stop_sign": "1f6d1",
    "no_entry": "26d4",
    "thumbs_up": "1f44d",
    "+1": "1f44d",
    "like": "1f44d",
    "thumbs_down": "1f44e",
    "-1": "1f44e",
    "tada": "1f389",
    "red_circle": "1f534",
    "large_green_circle": "1f7e2",
    "green_circle": "1f7e2",
    "yellow_circle": "1f7e1",
    "large_blue_circle": "1f535",
    "blue_circle": "1f535",
    "construction": "1f6a7",
    "repeat": "1f501",
    "eyes": "1f440",
    "rocket": "1f680",
    "fire": "1f525",
    "bug": "1f41b",
    "heart": "2764",
    "smile": "1f604",
    "question": "2753",
    "exclamation": "2757",
    "skull": "1f480",
    "zzz": "1f4a4",
    "wrench": "1f527",
    "hammer": "1f528",
    "robot": "1f916",
    "octopus": "1f419",
    "ship": "1f6a2",
    "package": "1f4e6",
    "lock": "1f512",
    "bell": "1f514",
    "pause_button": "23f8",
    "play_button": "25b6",
    "fast_forward": "23e9",
}
_CODES = set(EMOJI.values())
REACTION_TYPES = ("unicode_emoji", "realm_emoji", "zulip_extra_emoji")


def resolve_emoji(name: Optional[str], code: Optional[str], reaction_type: Optional[str]) -> Tuple[str, str, str]:
    """``(emoji_name, emoji_code, reaction_type)`` as Zulip's check_emoji_request validates them."""
    kind = reaction_type or "unicode_emoji"
    if kind not in REACTION_TYPES:
        raise ApiError("Invalid emoji type.")
    if kind == "zulip_extra_emoji":
        if (code or "zulip") != "zulip" or name != "zulip":
            raise ApiError("Invalid emoji name.")
        return "zulip", "zulip", kind
    if kind == "realm_emoji":
        raise ApiError("Invalid custom emoji.")
    if code is None:
        if name not in EMOJI:
            raise ApiError(f"Emoji '{name}' does not exist")
        return name, EMOJI[name], kind
    if code not in _CODES:
        raise ApiError("Invalid emoji code")
    if name is not None and EMOJI.get(name) != code:
        raise ApiError("Invalid emoji name.")
    return name or next(n for n, c in EMOJI.items() if c == code), code, kind
