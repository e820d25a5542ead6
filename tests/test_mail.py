"""Email leaves only for what was committed (app/mail.py), through a real SMTP server."""

from app import mail
from app.extensions import db


def test_a_message_is_delivered_to_the_smtp_server(ctx, mailbox):
    assert mail.send_now("clerk@example.org", "แจ้งเตือน", "ข้อมูลถูกส่งคืนให้แก้ไข")
    [message] = mailbox.to("clerk@example.org")
    assert message["Subject"] == "แจ้งเตือน"
    assert message.get_content().strip() == "ข้อมูลถูกส่งคืนให้แก้ไข"


def test_nothing_is_sent_without_a_mail_server_or_an_address(app, ctx, mailbox):
    assert not mail.send_now("", "x", "y")
    app.config["MAIL_SERVER"] = ""
    assert not mail.send_now("clerk@example.org", "x", "y")
    assert mailbox.messages == []


def test_a_queued_message_leaves_when_the_transaction_commits(ctx, mailbox):
    mail.send_after_commit(db.session, "clerk@example.org", "ยืนยันแล้ว", "ข้อความ")
    assert mailbox.messages == []
    db.session.commit()
    assert [m["Subject"] for m in mailbox.messages] == ["ยืนยันแล้ว"]


def test_a_rolled_back_savepoint_drops_what_it_queued_and_keeps_the_rest(ctx, mailbox):
    mail.send_after_commit(db.session, "kept@example.org", "kept", "x")
    savepoint = db.session.begin_nested()
    mail.send_after_commit(db.session, "dropped@example.org", "dropped", "x")
    savepoint.rollback()
    db.session.commit()
    assert [m["To"] for m in mailbox.messages] == ["kept@example.org"]


def test_a_rolled_back_transaction_sends_nothing(ctx, mailbox):
    mail.send_after_commit(db.session, "clerk@example.org", "x", "y")
    db.session.rollback()
    db.session.commit()
    assert mailbox.messages == []


def test_a_mail_server_that_is_down_is_logged_not_raised(app, ctx, caplog):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)
    try:
        assert not mail.send_now("clerk@example.org", "x", "y")
    finally:
        app.config["MAIL_SERVER"] = ""
    assert "mail not sent" in caplog.text
