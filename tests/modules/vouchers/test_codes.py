"""Gift-card codes: random, checksum-validated, stored as a digest."""

from __future__ import annotations

from modules.vouchers import codes


def test_generated_codes_validate_and_differ() -> None:
    made = {codes.generate() for _ in range(500)}
    assert len(made) == 500
    for code in made:
        assert len(code) == 16
        assert codes.normalise(code) == code
        assert codes.normalise(codes.display(code).lower()) == code  # dashes, case


def test_every_single_symbol_typo_is_caught() -> None:
    code = codes.generate()
    for i in range(len(code)):
        for symbol in codes.ALPHABET:
            if symbol != code[i]:
                typo = code[:i] + symbol + code[i + 1 :]
                assert codes.normalise(typo) is None, typo


def test_most_swapped_neighbours_are_caught() -> None:
    caught = total = 0
    for _ in range(200):
        code = codes.generate()
        for i in range(len(code) - 1):
            if code[i] != code[i + 1]:
                total += 1
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                caught += codes.normalise(swapped) is None
    assert caught / total > 0.9


def test_look_alike_symbols_and_bad_shapes() -> None:
    code = "0" * 15
    code += codes._check_symbol(code)
    assert codes.normalise("O" * 15 + code[-1]) == code  # O typed for 0
    assert codes.normalise("") is None
    assert codes.normalise(code[:-1]) is None
    assert codes.normalise(code + "0") is None
    assert codes.normalise("U" + code[1:]) is None  # not in the alphabet


def test_digest_is_not_the_code() -> None:
    code = codes.generate()
    assert code not in codes.digest(code)
    assert len(codes.digest(code)) == 64
    assert codes.masked(code[-4:]) == f"····{code[-4:]}"
