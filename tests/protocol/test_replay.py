"""The replay window (wg_py/protocol/replay.py): wireguard-go's sequence and a brute-force model."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wg_py.protocol.constants import REJECT_AFTER_MESSAGES, REPLAY_WINDOW_SIZE
from wg_py.protocol.replay import ReplayFilter

WINDOW = REPLAY_WINDOW_SIZE
LIMIT = (1 << 64) - (1 << 4) - 1  # the limit wireguard-go's replay_test.go uses


def test_window_is_the_kernels_8128():
    assert WINDOW == 8128


def test_wireguard_go_replay_sequence():
    # Ported from wireguard-go replay/replay_test.go (itself from the kernel selftest).
    f = ReplayFilter()
    T_LIM = WINDOW + 1
    steps = [
        (0, True), (1, True), (1, False), (9, True), (8, True), (7, True), (7, False),
        (T_LIM, True), (T_LIM - 1, True), (T_LIM - 1, False), (T_LIM - 2, True), (2, True),
        (2, False), (T_LIM + 16, True), (3, False), (T_LIM + 16, False), (T_LIM * 4, True),
        (T_LIM * 4 - (T_LIM - 1), True), (10, False), (T_LIM * 4 - T_LIM, False),
        (T_LIM * 4 - (T_LIM + 1), False), (T_LIM * 4 - (T_LIM - 2), True),
        (T_LIM * 4 + 1 - T_LIM, False), (0, False), (LIMIT, False), (LIMIT - 1, True),
        (LIMIT, False), (LIMIT - 1, False), (LIMIT - 2, True), (LIMIT + 1, False),
        (LIMIT + 2, False), (LIMIT - 2, False), (LIMIT - 3, True), (0, False),
    ]
    for number, (counter, expected) in enumerate(steps, 1):
        assert f.validate(counter, LIMIT) is expected, f"step {number}"


def test_wireguard_go_bulk_sequences():
    f = ReplayFilter()
    assert all(f.validate(i, LIMIT) for i in range(1, WINDOW + 1))
    assert f.validate(0, LIMIT) and not f.validate(0, LIMIT)
    f.reset()
    assert all(f.validate(i, LIMIT) for i in range(2, WINDOW + 2))
    assert f.validate(1, LIMIT) and not f.validate(0, LIMIT)
    f.reset()
    assert all(f.validate(i, LIMIT) for i in range(WINDOW + 1, 0, -1))
    f.reset()
    assert all(f.validate(i, LIMIT) for i in range(WINDOW + 2, 1, -1))
    assert not f.validate(0, LIMIT)
    f.reset()
    assert all(f.validate(i, LIMIT) for i in range(WINDOW, 0, -1))
    assert f.validate(WINDOW + 1, LIMIT) and not f.validate(0, LIMIT)
    f.reset()
    assert all(f.validate(i, LIMIT) for i in range(WINDOW, 0, -1))
    assert f.validate(0, LIMIT) and f.validate(WINDOW + 1, LIMIT)


def test_default_limit_is_reject_after_messages():
    f = ReplayFilter()
    assert not f.validate(REJECT_AFTER_MESSAGES)
    assert f.validate(REJECT_AFTER_MESSAGES - 1)


class Model:
    """Brute force: remember everything; accept if new, under the limit, within the window."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.last = 0

    def validate(self, counter: int, limit: int) -> bool:
        if counter >= limit or counter in self.seen:
            return False
        if counter <= self.last and self.last - counter > WINDOW:
            return False
        self.seen.add(counter)
        self.last = max(self.last, counter)
        return True


counters = st.one_of(
    st.integers(0, 3 * WINDOW),
    st.integers(0, 200),
    st.integers(LIMIT - 3 * WINDOW, LIMIT + 3),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(counters, max_size=120))
def test_matches_brute_force_model(sequence):
    f, model = ReplayFilter(), Model()
    for counter in sequence:
        assert f.validate(counter, LIMIT) == model.validate(counter, LIMIT), counter


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 5 * WINDOW), st.lists(st.integers(-WINDOW - 70, 70), max_size=80))
def test_matches_model_around_a_moving_edge(start, deltas):
    f, model = ReplayFilter(), Model()
    position = start
    for delta in deltas:
        position = max(0, position + delta)
        assert f.validate(position, LIMIT) == model.validate(position, LIMIT)
