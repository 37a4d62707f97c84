"""Version counters (platform_core.versioning): a write bumps at once and again at commit,
once per transaction however many writes it made."""

from __future__ import annotations

import pytest
from django.db import transaction

from platform_core.versioning import VersionCounter


@pytest.fixture
def counter() -> VersionCounter:
    return VersionCounter("tests:versioning:counter")


@pytest.mark.django_db(transaction=True)
def test_a_write_outside_a_transaction_bumps_at_once(counter) -> None:
    before = counter.current()
    counter.bump()
    assert counter.current() > before
    assert not counter.bumped_in_transaction()


@pytest.mark.django_db(transaction=True)
def test_a_transaction_bumps_at_each_write_and_once_at_commit(counter) -> None:
    start = counter.current()
    with transaction.atomic():
        for _ in range(3):
            counter.bump()
        assert counter.current() == start + 3  # readers miss at once
        assert counter.bumped_in_transaction()
        assert sum(1 for _, f, _ in transaction.get_connection().run_on_commit) == 1
    assert counter.current() == start + 4  # and again after the commit, once
    assert not counter.bumped_in_transaction()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_takes_its_registration_with_it(counter) -> None:
    start = counter.current()
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            counter.bump()
            raise RuntimeError("rolled back")
        assert not counter.bumped_in_transaction()
        counter.bump()  # a later write registers again
        assert counter.bumped_in_transaction()
    assert counter.current() == start + 3


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_bumps_nothing_more(counter) -> None:
    start = counter.current()
    with pytest.raises(RuntimeError), transaction.atomic():
        counter.bump()
        raise RuntimeError("rolled back")
    assert counter.current() == start + 1
