"""Small real image files for publishing tests (made with Pillow, not bundled)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image


def make_png(path: Path, size: tuple[int, int] = (64, 48), color: str = "tomato") -> Path:
    Image.new("RGB", size, color).save(path, "PNG")
    return path


def make_jpeg(path: Path, size: tuple[int, int] = (120, 80), color: str = "steelblue") -> Path:
    Image.new("RGB", size, color).save(path, "JPEG", quality=85)
    return path
