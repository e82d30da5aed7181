"""The composer's images: the drop zone's upload, each image's alt text, and removing one.

A mixin of ComposeState (state/compose.py): it uses the composer's `errors`, `touched`, `_refresh` and
`_edited`; every check of a file is the media service's (through `compose.attach_image`).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from app.services.errors import DomainError
from app.services.planning import compose


class ComposeMedia(rx.State, mixin=True):
    media: list[dict[str, str]] = []  # attached images: id, filename, alt, thumb (data: URL)
    uploading: bool = False
    upload_percent: int = 0  # bytes sent so far while an upload is on its way

    @rx.event
    async def handle_upload(self, files: list[rx.UploadFile]):  # type: ignore[no-untyped-def]
        """Each dropped or picked file is checked and stored by the media service; a refused file is
        named in the message under the drop zone, the others are attached."""
        self.uploading, self.touched = True, True
        self.errors = {k: v for k, v in self.errors.items() if k != "media"}
        yield
        refused: list[str] = []
        for upload in files:
            name = str(getattr(upload, "name", None) or getattr(upload, "filename", None) or "image")
            data = await upload.read()
            try:
                card = await self.run(compose.attach_image, name, data)
            except DomainError as exc:
                refused.append(exc.message)
                continue
            if all(m["id"] != card["id"] for m in self.media):
                self.media = [*self.media, card]
        self.uploading, self.upload_percent = False, 0
        if refused:
            self.errors = {**self.errors, "media": " ".join(refused)}
        self._refresh()
        # No chained autosave from here: an upload's response stays open while events it starts run,
        # and the drop zone takes no new files until it closes. The next edit or Save keeps the images.
        self._edit_seq += 1
        self.saved_label = "Unsaved changes"

    @rx.event
    def upload_progress(self, progress: dict[str, Any]) -> None:
        """The browser's progress while the files travel (before the handler above runs)."""
        try:
            share = float(progress.get("progress", 0))
        except (TypeError, ValueError):
            return
        if share >= 1:
            return  # all sent: `handle_upload` now shows "Uploading…" until the images are checked
        self.uploading, self.upload_percent = True, max(0, int(share * 100))

    @rx.event
    def set_alt(self, asset_id: str, value: str):  # type: ignore[no-untyped-def]
        self.media = [{**m, "alt": value} if m["id"] == asset_id else m for m in self.media]
        return self._edited()

    @rx.event
    def remove_media(self, asset_id: str):  # type: ignore[no-untyped-def]
        self.media = [m for m in self.media if m["id"] != asset_id]
        self.errors = {k: v for k, v in self.errors.items() if k != "media"}
        self._refresh()
        return self._edited()

    def _media_for_save(self) -> list[dict[str, str]]:
        return [{"id": m["id"], "alt": m["alt"]} for m in self.media]
