"""The inbox's pages (app/notifications.py): the list, opening one, marking all read, and the level
above's reminder to one organisation below."""

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import Integer

from .. import notifications
from ..extensions import db
from ..scope import organisation_in_subtree
from .base import whole_number
from .errors import not_found


class NotificationView(BaseView):
    """Each account reads only its own notifications: another's answers 404, as a row outside the
    reader's area does."""

    route_base = "/notifications"
    default_view = "inbox"

    @expose("/")
    @has_access
    def inbox(self):
        page = whole_number(request.args.get("page", "0"), Integer()) or 0
        rows, more = notifications.inbox(max(page, 0))
        shown = [(row, *notifications.words(row.kind, row.params)) for row in rows]
        return self.render_template("lec/notifications.html", shown=shown, page=max(page, 0), more=more)

    @expose("/open/<int:notification_id>")
    @has_access
    def open(self, notification_id):
        """Mark it read and go where it leads."""
        notification = notifications.open_notification(notification_id)
        if notification is None:
            return not_found(None)
        db.session.commit()
        return redirect(request.script_root + notification.link if notification.link else url_for(".inbox"))

    @expose("/read-all", methods=["POST"])
    @has_access
    def read_all(self):
        notifications.read_all()
        db.session.commit()
        return redirect(url_for(".inbox"))

    @expose("/remind/<level>/<int:org_id>", methods=["POST"])
    @has_access
    def remind(self, level, org_id):
        """The level above reminds one organisation below it to confirm (the home page offers it
        on each organisation's row); refusals are flashed."""
        organisation = organisation_in_subtree(level, org_id)
        sent = notifications.remind(organisation)
        db.session.commit()
        flash(_("%(name)s was reminded (%(count)d accounts).", name=organisation.name_th, count=len(sent)), "success")
        return redirect(request.referrer or url_for(".inbox"))
