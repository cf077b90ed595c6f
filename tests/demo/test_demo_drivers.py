"""The demo's proofs of delivery carry a different, valid signature image each."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from hub.demo.drivers import SIGNATURE_SIZE, signature_png


def test_each_proof_gets_its_own_signature_image():
    images = [signature_png(n) for n in range(3)]
    assert len({hashlib.sha256(png).hexdigest() for png in images}) == 3
    for png in images:
        with Image.open(io.BytesIO(png)) as image:
            image.load()  # decodes every row: the PNG is well-formed
            assert image.format == "PNG" and image.size == SIGNATURE_SIZE and image.mode == "L"
            assert image.getextrema() == (0, 255)  # ink on white
