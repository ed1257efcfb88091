"""Attachment events in a stub Trac: routing like their parent, a deleted page's files, the switch."""
from __future__ import annotations

import io


def attach(env, realm: str, parent: str, filename: str = "notes.txt", author: str = "carol"):
    from trac.attachment import Attachment

    attachment = Attachment(env, realm, parent)
    attachment.author = author
    attachment.insert(filename, io.BytesIO(b"abc"), 3)
    return attachment


def test_a_ticket_attachment_is_routed_like_its_ticket(make_trac, fresh_chat):
    trac = make_trac('CONFIGURATIONS = [{"description": "security", "conditions": {"component": "security"}, '
                     '"settings": {"stream": "security"}}]\n')
    ticket = trac.create_ticket(component="security", summary="Leak")
    trac.forget_sent(fresh_chat)
    attach(trac.env, "ticket", str(ticket.id))
    assert trac.flush()
    [message] = fresh_chat.messages()
    assert (message["display_recipient"], message["subject"]) == ("security", f"#{ticket.id}: Leak")
    assert message["content"].startswith("**carol** attached [notes.txt](http://trac.example.com/proj/attachment/"
                                         f"ticket/{ticket.id}/notes.txt) (3 bytes)")


def test_deleting_a_wiki_page_does_not_announce_each_of_its_files(make_trac, fresh_chat):
    from trac.wiki.model import WikiPage

    trac = make_trac()
    page = WikiPage(trac.env, "Handbook")
    page.text = "Read me."
    page.save("carol", "")
    attach(trac.env, "wiki", "Handbook", "a.txt")
    attach(trac.env, "wiki", "Handbook", "b.txt")
    trac.forget_sent(fresh_chat)
    WikiPage(trac.env, "Handbook").delete()
    assert trac.flush()
    assert [m["content"] for m in fresh_chat.messages()] == ["Wiki page **Handbook** was deleted."]


def test_the_attachments_switch_turns_them_off(make_trac, fresh_chat):
    from wyzepal_trac.settings import NOTIFY_ON_CHOICES

    trac = make_trac(TRAC_NOTIFY_ON=[name for name in NOTIFY_ON_CHOICES if name != "attachments"])
    ticket = trac.create_ticket()
    trac.forget_sent(fresh_chat)
    attach(trac.env, "ticket", str(ticket.id))
    trac.change_ticket(ticket, comment="After the file.")
    assert trac.flush()
    assert [m["content"].split(" ", 2)[1] for m in fresh_chat.messages()] == ["updated"]
