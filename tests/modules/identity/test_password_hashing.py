"""Argon2id with OWASP's parameters, PBKDF2 hashes upgraded on login, hashing bounded per
process (issue 21; figures in docs/performance.md, "Password hashing")."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher, make_password

from modules.identity import hashers
from tests.factories import UserFactory
from tests.modules.identity.conftest import PASSWORD

pytestmark = pytest.mark.django_db
PHONE = "+573001234567"
FACTORY_PASSWORD = "ClaveSegura123!"  # tests.factories.UserFactory's
PRODUCTION_HASHERS = [
    "modules.identity.hashers.StudioZensArgon2Hasher",
    "modules.identity.hashers.BoundedPBKDF2Hasher",
]


@pytest.fixture
def real_hashers(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS  # the identity conftest sets MD5


def test_the_plugin_declares_argon2id_first_and_pbkdf2_for_old_hashes():
    from platform_core.plugins import get_plugins, password_hashers

    assert password_hashers(get_plugins(), default=[]) == PRODUCTION_HASHERS


def test_new_passwords_are_argon2id_with_owasp_parameters(real_hashers):
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert identify_hasher(encoded).algorithm == "argon2"


def test_a_pbkdf2_hash_is_upgraded_to_argon2id_on_login(client, real_hashers):
    # A hash written by the previous default hasher (few iterations: the cost is not tested).
    legacy = PBKDF2PasswordHasher().encode(PASSWORD, "legacysalt1234", iterations=1000)
    user = UserFactory(phone_number=PHONE)
    get_user_model().objects.filter(pk=user.pk).update(password=legacy)

    r = client.post("/api/users/token/", {"phone_number": PHONE, "password": PASSWORD})

    assert r.status_code == 200, r.json()
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password(PASSWORD)
    # ...and the upgraded hash logs in again.
    again = client.post("/api/users/token/", {"phone_number": PHONE, "password": PASSWORD})
    assert again.status_code == 200


def test_a_wrong_password_leaves_the_legacy_hash_alone(client, real_hashers):
    legacy = PBKDF2PasswordHasher().encode(PASSWORD, "legacysalt1234", iterations=1000)
    user = UserFactory(phone_number=PHONE)
    get_user_model().objects.filter(pk=user.pk).update(password=legacy)

    r = client.post("/api/users/token/", {"phone_number": PHONE, "password": "Otra-Clave-99!"})

    assert r.status_code == 401
    user.refresh_from_db()
    assert user.password == legacy


def test_hashing_waits_for_the_process_slot_then_answers_503(client, real_hashers, settings):
    settings.PASSWORD_HASH_WAIT_SECONDS = 0.2
    UserFactory(phone_number=PHONE)
    slots = hashers.hashing_slots()
    held = [slots.acquire(timeout=1) for _ in range(django_settings.PASSWORD_HASH_CONCURRENCY)]
    assert all(held)
    try:
        r = client.post("/api/users/token/", {"phone_number": PHONE, "password": FACTORY_PASSWORD})
    finally:
        for _ in held:
            slots.release()
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "busy"
    # The slot is free again: the same login now succeeds.
    ok = client.post("/api/users/token/", {"phone_number": PHONE, "password": FACTORY_PASSWORD})
    assert ok.status_code == 200


def test_concurrent_hashes_never_exceed_the_bound(real_hashers):
    running = 0
    peak = 0
    lock = threading.Lock()
    original = hashers.Argon2PasswordHasher.encode

    def counting(self, password, salt):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return original(self, password, salt)
        finally:
            with lock:
                running -= 1

    hashers.Argon2PasswordHasher.encode = counting
    try:
        threads = [threading.Thread(target=make_password, args=(PASSWORD,)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        hashers.Argon2PasswordHasher.encode = original
    assert peak == django_settings.PASSWORD_HASH_CONCURRENCY == 1


def test_hash_memory_is_returned_to_the_os_after_hashing_in_many_threads(real_hashers):
    """Argon2's 19 MiB per hash must not stay resident per malloc arena (see hashers)."""

    def rss_kb() -> int:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))

    assert hashers.MALLOC_TUNED
    encoded = make_password(PASSWORD)
    before = rss_kb()
    for _ in range(6):  # one request per thread, as under ASGI
        thread = threading.Thread(
            target=hashers.StudioZensArgon2Hasher().verify, args=(PASSWORD, encoded)
        )
        thread.start()
        thread.join()
    assert rss_kb() - before < 19 * 1024  # less than one hash's memory kept
