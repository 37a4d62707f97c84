"""Media on S3-compatible storage (issue 20, part 4): production refuses local disk; uploads
round-trip through a real S3 HTTP API (moto's server) with cache headers."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from django.core.files.base import ContentFile

from studiozens.settings.env import Env, ImproperlyConfiguredEnv
from studiozens.settings.storage import media_storage
from tests.ops.conftest import S3_KEY, S3_SECRET

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def public_read_policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicReadMedia",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/media/*",
            }
        ],
    }


def test_development_defaults_to_local_disk() -> None:
    kind, entry = media_storage(Env({}), production=False)
    assert kind == "local" and entry["BACKEND"].endswith("FileSystemStorage")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MEDIA_STORAGE": "local"}, "Render wipes on every deploy"),
        ({}, "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"),
        ({"AWS_STORAGE_BUCKET_NAME": "b"}, "AWS_ACCESS_KEY_ID is required in production"),
        (
            {
                "AWS_STORAGE_BUCKET_NAME": "b",
                "AWS_ACCESS_KEY_ID": "AKIA0123456789ABCDEF",
                "AWS_SECRET_ACCESS_KEY": "CAMBIAR",
            },
            "AWS_SECRET_ACCESS_KEY still holds a placeholder",
        ),
        ({"MEDIA_STORAGE": "cloudinary"}, "needs CLOUDINARY_URL"),
        ({"MEDIA_STORAGE": "disk"}, "MEDIA_STORAGE must be local, s3 or cloudinary"),
    ],
)
def test_production_refuses_media_that_would_not_survive(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ImproperlyConfiguredEnv, match=message):
        media_storage(Env(environ), production=True)


def test_production_settings_refuse_local_media() -> None:
    from tests.studiozens.test_settings import _load, _production_env

    result = _load(_production_env(MEDIA_STORAGE="local"))
    assert result.returncode != 0 and "MEDIA_STORAGE=local in production" in result.stderr
    assert _load(_production_env()).returncode == 0


@pytest.mark.slow
@pytest.mark.django_db
def test_product_image_round_trips_through_s3_with_cache_headers(
    s3_bucket: Any, settings: Any
) -> None:
    endpoint, bucket, client = s3_bucket
    kind, entry = media_storage(
        Env(
            {
                "AWS_STORAGE_BUCKET_NAME": bucket,
                "AWS_S3_ENDPOINT_URL": endpoint,
                "AWS_S3_REGION_NAME": "us-east-1",
                "AWS_ACCESS_KEY_ID": S3_KEY,
                "AWS_SECRET_ACCESS_KEY": S3_SECRET,
            }
        ),
        production=True,
    )
    assert kind == "s3"
    # The runbook's bucket policy: anyone may read media/* (product images), nobody lists.
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read_policy(bucket)))
    settings.STORAGES = {**settings.STORAGES, "default": entry}

    from modules.shop.models import ProductImage
    from tests.modules.shop.factories import ProductFactory

    product = ProductFactory()
    first = ProductImage.objects.create(product=product, image=ContentFile(PNG, name="aceite.png"))
    second = ProductImage.objects.create(product=product, image=ContentFile(PNG, name="aceite.png"))
    assert first.image.name != second.image.name, "an upload never overwrites another"
    stored = client.get_object(Bucket=bucket, Key=f"media/{first.image.name}")
    assert stored["Body"].read() == PNG
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"

    url = first.src
    assert url.startswith(f"{endpoint}/{bucket}/media/shop/products/") and "Signature" not in url
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200 and response.content == PNG
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    key = f"media/{first.image.name}"
    first.image.delete(save=False)
    assert "Contents" not in client.list_objects_v2(Bucket=bucket, Prefix=key)
