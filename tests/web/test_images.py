from __future__ import annotations

from flask.testing import FlaskClient

from tests.factories import BlobFactory


def test_image_is_served_by_hash_with_immutable_caching(client: FlaskClient) -> None:
    blob = BlobFactory()
    response = client.get(f"/ob/images/{blob.sha256}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data == blob.data
    assert "immutable" in response.headers["Cache-Control"]


def test_unknown_image_is_a_404_page(client: FlaskClient) -> None:
    assert client.get("/ob/images/" + "0" * 64).status_code == 404
    assert client.get("/ob/images/nothing").status_code == 404
