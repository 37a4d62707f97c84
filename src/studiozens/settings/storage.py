"""Where uploaded media (product images) go: local disk in development, object storage in
production. Render's disk is wiped on every deploy and is not shared between instances, so
production refuses ``MEDIA_STORAGE=local``.

- ``s3``: any S3-compatible service through django-storages (AWS S3, Cloudflare R2,
  Backblaze B2, MinIO). Objects get ``Cache-Control: public, max-age=…, immutable`` (names
  are never overwritten, so a URL always means the same bytes).
- ``cloudinary``: optional, through the ``django-cloudinary-storage`` package (not installed
  by default: ``uv add django-cloudinary-storage``) and ``CLOUDINARY_URL``.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from .env import Env, ImproperlyConfiguredEnv, check_secret

MEDIA_STORAGES = ("local", "s3", "cloudinary")


def media_storage(env: Env, *, production: bool) -> tuple[str, dict[str, Any]]:
    """(kind, the ``STORAGES["default"]`` entry) from the environment."""
    kind = env.str("MEDIA_STORAGE", "s3" if production else "local")
    if kind not in MEDIA_STORAGES:
        raise ImproperlyConfiguredEnv(
            f"MEDIA_STORAGE must be local, s3 or cloudinary, got {kind!r}"
        )
    if kind == "local":
        if production:
            raise ImproperlyConfiguredEnv(
                "MEDIA_STORAGE=local in production: uploads would go to the instance's disk, "
                "which Render wipes on every deploy and does not share between instances. "
                "Set MEDIA_STORAGE=s3 with AWS_STORAGE_BUCKET_NAME, AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or MEDIA_STORAGE=cloudinary with CLOUDINARY_URL)"
            )
        return kind, {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind == "cloudinary":
        if not env.str("CLOUDINARY_URL"):
            raise ImproperlyConfiguredEnv("MEDIA_STORAGE=cloudinary needs CLOUDINARY_URL")
        if importlib.util.find_spec("cloudinary_storage") is None:
            raise ImproperlyConfiguredEnv(
                "MEDIA_STORAGE=cloudinary needs the django-cloudinary-storage package "
                "(uv add django-cloudinary-storage)"
            )
        return kind, {"BACKEND": "cloudinary_storage.storage.MediaCloudinaryStorage"}

    bucket = env.str("AWS_STORAGE_BUCKET_NAME")
    access_key = env.str("AWS_ACCESS_KEY_ID")
    secret_key = env.str("AWS_SECRET_ACCESS_KEY")
    if not bucket:
        raise ImproperlyConfiguredEnv("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    if production:
        check_secret("AWS_ACCESS_KEY_ID", access_key, min_length=16)
        check_secret("AWS_SECRET_ACCESS_KEY", secret_key, min_length=16)
    cache_seconds = env.int("MEDIA_CACHE_SECONDS", 31_536_000)
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL") or None,
        "region_name": env.str("AWS_S3_REGION_NAME") or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN") or None,
        "location": env.str("AWS_LOCATION", "media"),
        # Public product images: plain URLs a CDN and browsers can cache. Private buckets:
        # AWS_QUERYSTRING_AUTH=true (signed URLs that expire; nothing caches them for long).
        "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", False),
        "default_acl": None,  # the bucket's policy decides who reads (R2/B2 have no ACLs)
        "file_overwrite": False,  # a new upload gets a new name: URLs stay immutable
        "object_parameters": {
            "CacheControl": f"public, max-age={cache_seconds}, immutable",
        },
    }
    return kind, {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
