"""Test images with EXIF (camera, GPS) made by Pillow."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825


def jpeg_with_gps(size: tuple[int, int] = (320, 240), colour: tuple[int, int, int] = (20, 60, 200),
                  quality: int = 90) -> bytes:
    img = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0132] = "2026:01:02 03:04:05"  # DateTime
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (32.0, 32.0, 42.0), 3: "W", 4: (117.0, 1.0, 43.0)})
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, exif=exif.tobytes(), comment=b"shot at the port")
    return buf.getvalue()


def png_with_text(size: tuple[int, int] = (200, 100)) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    img = Image.new("RGB", size, (240, 240, 240))
    info = PngInfo()
    info.add_text("Location", "32.5449,-117.0292")
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    buf = io.BytesIO()
    img.save(buf, "PNG", pnginfo=info, exif=exif.tobytes())
    return buf.getvalue()


def has_metadata(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as img:
        return bool(img.getexif()) or bool(getattr(img, "text", {})) or "comment" in img.info


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
