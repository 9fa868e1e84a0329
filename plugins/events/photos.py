"""An event's photos: jpg or png up to vocab.MAX_PHOTO_MB each, at most vocab.MAX_PHOTOS an
event, kept in the database like the roster's attachments. Adding and removing need
events.edit and the event's county (queries.event_for); reading needs that the user sees the
event. Lists never load the pictures themselves. No Streamlit here."""

from __future__ import annotations

import os

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugins.events.models import Photo
from plugins.events.queries import NOT_FOUND, EventError, event_for
from plugins.events.vocab import MAX_PHOTO_MB, MAX_PHOTOS, PHOTO_TYPES

MAX_BYTES = MAX_PHOTO_MB * 1024 * 1024
MAX_FILENAME = 200
# what a file's first bytes are for each format: the name alone says nothing of the content
_SIGNATURES = {"jpg": b"\xff\xd8\xff", "jpeg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n"}


def _filename(filename: str) -> tuple[str, str]:
    name = os.path.basename(str(filename or "").replace("\\", "/")).strip()
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in PHOTO_TYPES:
        raise EventError("照片应为 jpg 或 png 格式")
    if len(name) > MAX_FILENAME:  # keep the extension, shorten the rest
        name = name[:MAX_FILENAME - len(ext) - 1] + "." + ext
    return name, ext


def add_photo(session: Session, user, event_id: int, filename: str, data: bytes) -> Photo:
    """Keep ``data`` as a photo of the event; EventError for a file that is not a jpg or png,
    is empty or too large, or when the event already has MAX_PHOTOS."""
    event = event_for(session, user, event_id, "events.edit")
    name, ext = _filename(filename)
    data = bytes(data or b"")
    if not data:
        raise EventError("照片文件是空的")
    if len(data) > MAX_BYTES:
        raise EventError(f"照片不能超过 {MAX_PHOTO_MB} MB")
    if not data.startswith(_SIGNATURES[ext]):
        raise EventError("文件内容不是 jpg 或 png 照片")
    count = session.scalar(select(func.count()).where(Photo.event_id == event.id)) or 0
    if count >= MAX_PHOTOS:
        raise EventError(f"每场活动最多保存 {MAX_PHOTOS} 张照片，请先删除不需要的照片")
    photo = Photo(event_id=event.id, filename=name, size=len(data), data=data, uploaded_by=user.username)
    photo._audit_summary = f"上传活动照片：{name}（{event.title}）"  # the audit names the event
    session.add(photo)
    session.flush()
    return photo


def _photo(session: Session, photo_id: int) -> Photo:
    photo = session.get(Photo, photo_id)
    if photo is None:
        raise EventError(NOT_FOUND)
    return photo


def remove_photo(session: Session, user, photo_id: int) -> str:
    """Delete one photo (events.edit and its event's county); returns its file name."""
    photo = _photo(session, photo_id)
    event = event_for(session, user, photo.event_id, "events.edit")
    name = photo.filename
    photo._audit_summary = f"删除活动照片：{name}（{event.title}）"
    session.delete(photo)
    session.flush()
    return name


def photos_of(session: Session, event_id: int) -> list:
    """The event's photos without their data (id, filename, size, uploaded_by, uploaded_at),
    oldest first. The caller has checked the event with event_for."""
    return session.execute(select(Photo.id, Photo.filename, Photo.size, Photo.uploaded_by, Photo.uploaded_at)
                           .where(Photo.event_id == event_id).order_by(Photo.id)).all()


def photo_bytes(session: Session, user, photo_id: int) -> bytes:
    """One photo's data, if ``user`` sees its event."""
    event_id = session.scalar(select(Photo.event_id).where(Photo.id == photo_id))
    if event_id is None:
        raise EventError(NOT_FOUND)
    event_for(session, user, event_id)
    return session.scalar(select(Photo.data).where(Photo.id == photo_id))
