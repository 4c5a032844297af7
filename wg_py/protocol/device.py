"""`Device`: a complete WireGuard interface as a sans-IO state machine.

For adapter authors (the engine) -- what to call and what to drain:

    device = Device(clock, rng, mtu=1420)   # clock.monotonic()/clock.wall(), rng.randbytes(n)
    configuration.apply(device, change)     # a parsed UAPI `set` (wg_py.model.WgDevice); atomic:
                                            #   raises wg_py.errors.UapiError(errno) and changes
                                            #   nothing if any part is invalid
    configuration.snapshot(device)          # a WgDevice for UAPI `get`
                                            #   (wg_py/protocol/configuration.py: it changes
                                            #   peers only through the lifecycle API below)
    device.listen_port / device.fwmark      # what was asked for; bind / SO_MARK accordingly,
    device.set_bound_port(port)             #   then report the port actually bound
    device.set_up(True / False)             # link up/down; nothing is sent or accepted while down
    device.mtu = new_mtu                    # when the TUN MTU changes (used for padding)

    # Inputs (call from one thread; each may produce output):
    device.receive_datagrams([(udp_payload, addr), ...])   # addr exactly as recvfrom gives it
    device.send_packets([ip_packet, ...])                  # plaintext read from the TUN
    device.tick()                                          # when next_deadline() is reached

    # After every input call, drain:
    device.take_datagrams()  -> [(udp_payload, addr), ...]  # sendto each; one peer's are consecutive
    device.unsent(positions)                # those of that list the adapter failed to send
                                            #   (no socket, send error): they leave tx_bytes
    device.take_packets()    -> [ip_packet, ...]            # write each to the TUN
    device.next_deadline()   -> monotonic time or None      # when to call tick() next

    # Optional, for sticky source addresses (IP_PKTINFO): endpoints whose remembered local
    # source should be forgotten, as wireguard-go clears it before a handshake retry.
    device.take_source_resets() -> [addr, ...]
    # ... and which datagrams of the last receive_datagrams() call authenticated: the very
    # `addr` objects passed in (identity, not equality), the last one per peer. Only these
    # may teach the adapter a reply-from address: any other datagram may be forged.
    device.take_authenticated() -> [addr, ...]

`addr` is opaque to the core (it is stored as a peer's endpoint and handed back).
Input buffers are not kept after a call returns (memoryviews into a reused receive
buffer are fine); output datagrams and packets are fresh `bytes`.
`stats` (a Counter) counts dropped packets by reason: bad_size, unknown_type,
unknown_index, keypair_expired, decrypt_failed, replay, bad_ip_header, bad_src_ip,
no_route, no_endpoint, peer_not_running, device_down, staged_overflow, bad_mac1,
cookie_reply_sent, ratelimited, bad_handshake, unknown_peer, handshake_replay,
handshake_flood, bad_cookie_reply, initiation_impossible (no private key / unusable peer key),
handshake_queue_full, cookie_reply_limited; and, not a drop, trusted_under_load (messages
let through under load for coming from a peer's authenticated endpoint).
The core never blocks, sleeps, reads the clock or draws randomness except through the
injected `clock` and `rng`.

Behaviour follows wireguard-go (device/{send,receive,timers,peer,noise-protocol}.go):
handshake messages are checked for size, type and mac1 where they arrive, before anything
else (junk costs one keyed BLAKE2s and never counts as load); those that pass wait in the
batch's handshake queue (at most HANDSHAKE_QUEUE_SIZE) and are handled after its transport
data, so a flood never delays data or timers. The device is under load when a batch queues
UNDER_LOAD_QUEUE handshake messages or more than `under_load_threshold` pass mac1 within a
second (and for UNDER_LOAD_AFTER_TIME afterwards); then a handshake message needs a valid
mac2 (else a cookie reply, at most 20 a second per source address) and passes a per-source
rate limiter. Better than wireguard-go: under load, a message from the *authenticated*
last endpoint of a running peer (`Peer.trusted_source`) skips the cookie round, within its
own per-source rate limiter (README: why this cannot be abused). Transport data is decrypted, checked
against the replay window, and only then may change the endpoint (roaming) or confirm a
responder's next keypair. Timer semantics are wireguard-go's, one per peer (timers.py).
"""

from __future__ import annotations

import heapq
import struct
from collections import Counter
from typing import Iterable

from wg_py.protocol import handshake as hs_mod
from wg_py.protocol.allowedips import MISS, AllowedIPs
from wg_py.protocol.constants import (
    INITIATION_SIZE, KEEPALIVE_SIZE, MAX_TIMER_HANDSHAKES, MESSAGE_COOKIE_REPLY,
    MESSAGE_INITIATION, MESSAGE_RESPONSE, MESSAGE_TRANSPORT, PADDING_MULTIPLE, REJECT_AFTER_MESSAGES,
    REJECT_AFTER_TIME, REKEY_AFTER_MESSAGES, REKEY_AFTER_TIME, REKEY_ON_RECEIVE_AGE, REKEY_TIMEOUT,
    RESPONSE_SIZE, UNDER_LOAD_AFTER_TIME,
)
from wg_py.protocol.cookie import CookieChecker, source_bytes
from wg_py.protocol.crypto import InvalidTag
from wg_py.protocol.handshake import StaticIdentity
from wg_py.protocol.indices import IndexTable
from wg_py.protocol.keypair import Keypair
from wg_py.protocol.messages import (
    TRANSPORT_HEADER, pack_cookie_reply, pack_initiation, pack_response, unpack_cookie_reply,
    unpack_initiation, unpack_response,
)
from wg_py.protocol.outbox import Outbox
from wg_py.protocol.peer import Peer
from wg_py.protocol.ratelimiter import RateLimiter
from wg_py.protocol.timers import TIMER_NAMES

_NONCE = struct.Struct("<4xQ")
# Destination addresses as bytes straight from a packet (bytes or memoryview): one
# allocation, where bytes(view[16:20]) makes two and costs three times as much.
_DST4 = struct.Struct("16x4s").unpack_from
_DST6 = struct.Struct("24x16s").unpack_from
_ZEROS = bytes(PADDING_MULTIPLE)
# "Under load" as wireguard-go decides it: 1024/8 handshake messages waiting (here, in one
# batch's queue); and, since a batch is bounded by what one wake-up reads, also this many
# mac1-valid handshake messages within one second.
UNDER_LOAD_THRESHOLD = 128
UNDER_LOAD_QUEUE = 128
HANDSHAKE_QUEUE_SIZE = 1024      # wireguard-go's QueueHandshakeSize; more in one batch are dropped
TRUSTED_REFRESH = 1.0            # seconds between rebuilds of the trusted-source table (under load only)


def padding_size(size: int, mtu: int) -> int:
    """Zero bytes to append to a plaintext (wireguard-go calculatePaddingSize): the one
    definition; the send path reads it from a table built from this (`Device.mtu`)."""
    if mtu == 0:
        return -size % PADDING_MULTIPLE
    last = size % mtu if size > mtu else size
    padded = min(-(-last // PADDING_MULTIPLE) * PADDING_MULTIPLE, mtu)
    return padded - last


class Device:
    """A sans-IO WireGuard device; see the module docstring for how to drive it."""

    def __init__(self, clock, rng, mtu: int = 1420) -> None:
        self.clock, self.rng = clock, rng
        self.mtu = mtu
        self.identity = StaticIdentity()
        self.listen_port = 0
        self.fwmark = 0
        self._bound_port: int | None = None
        self.up = False
        self.peers: dict[bytes, Peer] = {}
        self.allowed_ips = AllowedIPs()
        self.cookie_checker = CookieChecker()
        self.rate_limiter = RateLimiter()
        self.cookie_limiter = RateLimiter()     # cookie replies per source: no reflection amplifier
        self.trusted_limiter = RateLimiter()    # the trusted-source bypass, per source
        self._trusted: dict[tuple, Peer] = {}
        self._trusted_at = float("-inf")
        self.stats: Counter[str] = Counter()
        self.under_load_threshold = UNDER_LOAD_THRESHOLD
        # REKEY_AFTER_TIME; shorter only for soak runs (WG_PY_TEST_REKEY_AFTER_TIME, engine/main.py).
        self.rekey_after_time = REKEY_AFTER_TIME
        self._under_load_until = float("-inf")
        self._load_window_start = float("-inf")
        self._load_count = 0
        self.indices = IndexTable(rng)
        self.outbox = Outbox()
        self._packets: list[bytes] = []
        self._source_resets: list[tuple] = []
        self._authenticated: list[tuple] = []
        self._heap: list[tuple[float, int, Peer, str]] = []
        self._heap_seq = 0

    @property
    def mtu(self) -> int:
        return self._mtu

    @mtu.setter
    def mtu(self, mtu: int) -> None:
        """The TUN's MTU (padding depends on it): set it when the link's MTU changes."""
        self._mtu = mtu
        # padding_size for every size up to the MTU, looked up once per packet sent.
        self._padding = [padding_size(size, mtu) for size in range(mtu + 1)]

    # ======================================================================================
    # Outputs
    # ======================================================================================
    def take_datagrams(self) -> list[tuple[bytes, tuple]]:
        return self.outbox.take()

    def unsent(self, positions: Iterable[int]) -> None:
        """The adapter could not send these datagrams of the list take_datagrams() last
        returned: take them out of their peer's tx_bytes (wg_py/protocol/outbox.py)."""
        self.outbox.unsent(positions)

    def take_packets(self) -> list[bytes]:
        out, self._packets = self._packets, []
        return out

    def take_source_resets(self) -> list[tuple]:
        out, self._source_resets = self._source_resets, []
        return out

    def take_authenticated(self) -> list[tuple]:
        """The addr objects of the last receive_datagrams() call whose datagrams authenticated.

        A consumed handshake initiation or response, or transport data that decrypted and
        passed the replay check; the last such datagram of each peer. The objects are the
        ones the adapter passed in, so it can tell apart two datagrams from equal addresses
        (e.g. one genuine, one spoofed, written to different local addresses).
        """
        out, self._authenticated = self._authenticated, []
        return out

    def next_deadline(self) -> float | None:
        heap = self._heap
        while heap:
            when, _, peer, name = heap[0]
            actual = getattr(peer.timers, name)
            if actual == when and self.peers.get(peer.public_key) is peer:
                return when
            heapq.heappop(heap)
            if actual is not None and actual > when and self.peers.get(peer.public_key) is peer:
                self._schedule(actual, peer, name)
        return None

    # ======================================================================================
    # Device settings (wg_py/protocol/configuration.py applies UAPI `set` through these)
    # ======================================================================================
    @property
    def public_key(self) -> bytes | None:
        return self.identity.public

    @property
    def bound_port(self) -> int:
        return self.listen_port if self._bound_port is None else self._bound_port

    def set_bound_port(self, port: int) -> None:
        """The engine reports the UDP port it actually bound (what `get` shows)."""
        self._bound_port = port

    def set_listen_port(self, port: int) -> None:
        """A new port to listen on: `bound_port` shows it until the engine reports its bind."""
        self.listen_port = port
        self._bound_port = None

    def set_identity(self, identity: StaticIdentity) -> None:
        """Our static keypair. The caller has dealt with the peers (see configuration.py):
        this only installs it where handshakes and cookies read it."""
        self.identity = identity
        self.cookie_checker.init(identity.public)

    def set_up(self, up: bool) -> None:
        """Interface up: peers start (persistent keepalive sends at once). Down: all stop."""
        if up == self.up:
            return
        self.up = up
        now = self.clock.monotonic()
        for peer in list(self.peers.values()):
            if up:
                self._start_peer(peer, now)
                if peer.persistent_keepalive_interval > 0:
                    self._send_keepalive(peer, now)
            else:
                self._stop_peer(peer)

    # ======================================================================================
    # Peer lifecycle (wireguard-go peer.go Start/Stop/ZeroAndFlushAll/ExpireCurrentKeypairs).
    # The public methods are the surface configuration.py uses; each reads the clock itself.
    # ======================================================================================
    def add_peer(self, public_key: bytes) -> Peer:
        """A new, stopped peer with no allowed IPs (the caller checked it is not known)."""
        peer = Peer(public_key, self.identity, self._schedule, self.rng)
        self.peers[public_key] = peer
        return peer

    def remove_peer(self, peer: Peer) -> None:
        """Stop `peer`, drop its allowed IPs, and forget it."""
        self.allowed_ips.remove_by_owner(peer)
        self._stop_peer(peer)
        del self.peers[peer.public_key]

    def start_peer(self, peer: Peer) -> None:
        """Let `peer` send and receive (its timers run); nothing is sent yet."""
        self._start_peer(peer, self.clock.monotonic())

    def send_keepalive(self, peer: Peer) -> None:
        """Send a keepalive now (handshaking first if there is no usable keypair)."""
        self._send_keepalive(peer, self.clock.monotonic())

    def send_staged(self, peer: Peer) -> None:
        """Send what waited for a keypair, or start a handshake for it."""
        self._send_staged(peer, self.clock.monotonic())

    def expire_current_keypairs(self, peer: Peer) -> None:
        """Stop sending under `peer`'s current keypairs: the next packet handshakes anew."""
        now = self.clock.monotonic()
        self.indices.forget_handshake(peer)
        peer.handshake.clear()
        peer.handshake.last_sent_handshake = now - (REKEY_TIMEOUT + 1)
        for keypair in (peer.keypairs.current, peer.keypairs.next):
            if keypair is not None:
                keypair.expire_sending()

    def _start_peer(self, peer: Peer, now: float) -> None:
        if peer.running:
            return
        peer.handshake.last_sent_handshake = now - (REKEY_TIMEOUT + 1)
        peer.timers.start()
        peer.running = True

    def _stop_peer(self, peer: Peer) -> None:
        peer.timers.stop()
        self._zero_and_flush_all(peer)
        peer.running = False
        peer.trusted_source = None

    def _zero_and_flush_all(self, peer: Peer) -> None:
        for keypair in peer.keypairs.clear():
            self.indices.drop_keypair(keypair)
        self.indices.forget_handshake(peer)
        peer.handshake.clear()
        peer.staged.clear()

    # ======================================================================================
    # Timers
    # ======================================================================================
    def _schedule(self, when: float, peer: Peer, name: str) -> None:
        self._heap_seq += 1
        heapq.heappush(self._heap, (when, self._heap_seq, peer, name))
        if len(self._heap) > 64 + 16 * len(self.peers):
            self._rebuild_heap()

    def _rebuild_heap(self) -> None:
        entries = []
        for peer in self.peers.values():
            for name in TIMER_NAMES:
                when = getattr(peer.timers, name)
                if when is not None:
                    self._heap_seq += 1
                    entries.append((when, self._heap_seq, peer, name))
        heapq.heapify(entries)
        self._heap = entries

    def tick(self) -> None:
        """Run every timer due at clock.monotonic()."""
        now = self.clock.monotonic()
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > now:
                return
            _, _, peer, name = heapq.heappop(self._heap)
            setattr(peer.timers, name, None)  # no longer pending, as before an expiry runs
            getattr(self, "_expire_" + name)(peer, now)

    def _expire_retransmit_handshake(self, peer: Peer, now: float) -> None:
        timers = peer.timers
        if timers.handshake_attempts > MAX_TIMER_HANDSHAKES:
            # Give up: drop what waited for a keypair, and wipe leftovers later.
            timers.send_keepalive = None
            peer.staged.clear()
            timers.arm_zero_key_material_if_idle(now)
            return
        timers.handshake_attempts += 1
        self._reset_source(peer)
        self._send_handshake_initiation(peer, now, is_retry=True)

    def _reset_source(self, peer: Peer) -> None:
        if peer.endpoint is not None:
            if len(self._source_resets) >= 1024:  # an adapter that never drains them
                self._source_resets.clear()
            self._source_resets.append(peer.endpoint)

    def _expire_send_keepalive(self, peer: Peer, now: float) -> None:
        self._send_keepalive(peer, now)
        if peer.timers.need_another_keepalive:
            peer.timers.need_another_keepalive = False
            peer.timers.arm_send_keepalive(now)

    def _expire_new_handshake(self, peer: Peer, now: float) -> None:
        self._reset_source(peer)
        self._send_handshake_initiation(peer, now, is_retry=False)

    def _expire_zero_key_material(self, peer: Peer, now: float) -> None:
        self._zero_and_flush_all(peer)

    def _expire_persistent_keepalive(self, peer: Peer, now: float) -> None:
        if peer.persistent_keepalive_interval > 0:
            self._send_keepalive(peer, now)

    # ======================================================================================
    # Sending
    # ======================================================================================
    def send_packets(self, packets: Iterable[bytes | memoryview]) -> None:
        """Plaintext IP packets from the TUN: route by destination, encrypt or stage them."""
        groups: dict[Peer, list[bytes]] = {}
        lookup4, lookup6 = self.allowed_ips.lookup4, self.allowed_ips.lookup6
        cache4 = self.allowed_ips.cache4
        stats = self.stats
        dst4, dst6 = _DST4, _DST6
        last_peer, group = MISS, None   # MISS: never a peer, nor None (no route)
        # Packets may be memoryviews into the caller's reused buffer: they are encrypted
        # straight from it, and copied only if they must wait (staged) -- see _stage.
        for packet in packets:
            size = len(packet)
            version = packet[0] >> 4 if size else 0
            if version == 4 and size >= 20:
                dst = dst4(packet)[0]
                peer = cache4.get(dst, MISS)
                if peer is MISS:
                    peer = lookup4(dst)
            elif version == 6 and size >= 40:
                peer = lookup6(dst6(packet)[0])
            else:
                stats["bad_ip_header"] += 1
                continue
            if peer is last_peer:       # most packets of a batch go where the one before went
                group.append(packet)
                continue
            if peer is None:
                stats["no_route"] += 1
                continue
            last_peer = peer
            group = groups.get(peer)
            if group is None:
                group = groups[peer] = [packet]
            else:
                group.append(packet)
        if not groups:
            return
        now = self.clock.monotonic()
        for peer, group in groups.items():
            if not peer.running:
                stats["peer_not_running"] += len(group)
                continue
            if not peer.staged and self._usable_keypair(peer, now) is not None:
                self._encrypt_and_send(peer, peer.keypairs.current, group, now)
                continue
            self._stage(peer, group)
            self._send_staged(peer, now)

    def _stage(self, peer: Peer, packets: list) -> None:
        """Keep packets until a keypair is ready (at most 128: the oldest are dropped)."""
        dropped = len(peer.staged) + len(packets) - peer.staged.maxlen
        if dropped > 0:
            self.stats["staged_overflow"] += dropped
        peer.staged.extend(p if type(p) is bytes else bytes(p) for p in packets)

    @staticmethod
    def _usable_keypair(peer: Peer, now: float) -> Keypair | None:
        keypair = peer.keypairs.current
        if keypair is None or keypair.send_nonce >= REJECT_AFTER_MESSAGES or now - keypair.created >= REJECT_AFTER_TIME:
            return None
        return keypair

    def _send_staged(self, peer: Peer, now: float) -> None:
        if not peer.staged or not self.up:
            return
        keypair = self._usable_keypair(peer, now)
        if keypair is None:
            self._send_handshake_initiation(peer, now, is_retry=False)
            return
        packets = list(peer.staged)
        peer.staged.clear()
        self._encrypt_and_send(peer, keypair, packets, now)

    def _send_keepalive(self, peer: Peer, now: float) -> None:
        if not peer.staged and peer.running:
            peer.staged.append(b"")
        self._send_staged(peer, now)

    def _encrypt_and_send(self, peer: Peer, keypair: Keypair, packets: list[bytes], now: float) -> None:
        """Transport data for `packets` (in order) under `keypair`: the hot path."""
        first = keypair.send_nonce
        if first + len(packets) > REJECT_AFTER_MESSAGES:
            # Counters run out: send what fits, keep the rest staged for the next keypair.
            fits = max(REJECT_AFTER_MESSAGES - first, 0)
            self._stage(peer, packets[fits:])
            packets = packets[:fits]
        keypair.send_nonce = first + len(packets)
        endpoint = peer.endpoint
        data_sent = False
        if endpoint is None:
            # wireguard-go encrypts, then fails to send: the counters are used up all the same.
            self.stats["no_endpoint"] += len(packets)
            data_sent = any(packets)
        else:
            seal = keypair.send.encrypt
            pack_header = TRANSPORT_HEADER.pack
            pack_nonce = _NONCE.pack
            transport = MESSAGE_TRANSPORT
            receiver = keypair.remote_index
            mtu = self._mtu
            padding = self._padding
            outbox = self.outbox
            outbox.begin_run(peer)
            append = outbox.datagrams.append
            counter = first
            tx = 0
            for packet in packets:
                size = len(packet)
                if size:
                    pad = padding[size] if size <= mtu else padding_size(size, mtu)
                    if pad:
                        packet = b"".join((packet, _ZEROS[:pad]))
                        size += pad
                    tx += size
                append((pack_header(transport, receiver, counter) + seal(pack_nonce(counter), packet, None), endpoint))
                counter += 1
            data_sent = tx > 0     # keepalives are empty; any data packet is at least 16 bytes padded
            peer.tx_bytes += tx + KEEPALIVE_SIZE * len(packets)
        timers = peer.timers
        timers.on_any_authenticated_packet_traversal(now, peer.persistent_keepalive_interval)
        timers.on_any_authenticated_packet_sent()
        if data_sent:
            timers.on_data_sent(now)
        if endpoint is not None:
            self._keep_key_fresh_sending(peer, now)
        if peer.staged and keypair.send_nonce >= REJECT_AFTER_MESSAGES:
            self._send_staged(peer, now)

    def _keep_key_fresh_sending(self, peer: Peer, now: float) -> None:
        keypair = peer.keypairs.current
        if keypair is None:
            return
        if keypair.send_nonce > REKEY_AFTER_MESSAGES or (
                keypair.is_initiator and now - keypair.created > self.rekey_after_time):
            self._send_handshake_initiation(peer, now, is_retry=False)

    def _send_datagram(self, peer: Peer, data: bytes) -> None:
        if peer.endpoint is None:
            self.stats["no_endpoint"] += 1
            return
        self.outbox.send(peer, data, peer.endpoint)

    def _send_handshake_initiation(self, peer: Peer, now: float, is_retry: bool) -> None:
        if not is_retry:
            peer.timers.handshake_attempts = 0
        hs = peer.handshake
        if now - hs.last_sent_handshake < REKEY_TIMEOUT:
            return
        hs.last_sent_handshake = now
        self.indices.forget_handshake(peer)
        msg = hs_mod.create_initiation(hs, self.identity, self.rng, self.clock.wall(), self.indices.allocator_for(peer))
        if msg is None:
            self.stats["initiation_impossible"] += 1
            return
        data = peer.cookie_generator.add_macs(pack_initiation(msg), now)
        peer.timers.on_any_authenticated_packet_traversal(now, peer.persistent_keepalive_interval)
        peer.timers.on_any_authenticated_packet_sent()
        self._send_datagram(peer, data)
        peer.timers.on_handshake_initiated(now)

    def _send_handshake_response(self, peer: Peer, now: float) -> None:
        hs = peer.handshake
        hs.last_sent_handshake = now
        self.indices.forget_handshake(peer)
        msg = hs_mod.create_response(hs, self.rng, self.indices.allocator_for(peer))
        if msg is None:
            self.indices.forget_handshake(peer)
            self.stats["bad_handshake"] += 1
            return
        data = peer.cookie_generator.add_macs(pack_response(msg), now)
        self._begin_session(peer, now)
        peer.timers.on_session_derived(now)
        peer.timers.on_any_authenticated_packet_traversal(now, peer.persistent_keepalive_interval)
        peer.timers.on_any_authenticated_packet_sent()
        self._send_datagram(peer, data)

    def _begin_session(self, peer: Peer, now: float) -> None:
        hs = peer.handshake
        index, remote_index = hs.local_index, hs.remote_index
        send_key, receive_key, initiator = hs_mod.begin_session(hs)
        keypair = Keypair(send_key, receive_key, now, initiator, index, remote_index, peer)
        self.indices.promote(peer, keypair)
        hs.local_index = 0
        for dropped in peer.keypairs.rotate_on_session(keypair):
            self.indices.drop_keypair(dropped)

    # ======================================================================================
    # Receiving
    # ======================================================================================
    @property
    def under_load(self) -> bool:
        """True while handshake messages arrive faster than `under_load_threshold` per second."""
        return self._under_load_until > self.clock.monotonic()

    def _note_handshake_message(self, now: float) -> None:
        if now - self._load_window_start >= 1.0:
            self._load_window_start, self._load_count = now, 0
        self._load_count += 1
        if self._load_count >= self.under_load_threshold:
            self._under_load_until = now + UNDER_LOAD_AFTER_TIME

    def receive_datagrams(self, batch: Iterable[tuple[bytes | memoryview, tuple]]) -> None:
        """UDP payloads with their source addresses. Bad ones are counted in `stats` and dropped.

        Transport data is handled inline in this one loop, against STYLE's small-function
        habit on purpose: it is the per-packet hot path, and each call or attribute lookup
        saved here is throughput. Per-peer timer and endpoint updates run once per batch
        (as wireguard-go's RoutineSequentialReceiver does), after the loop.
        """
        stats = self.stats
        authenticated = self._authenticated = []
        if not self.up:
            for _ in batch:
                stats["device_down"] += 1
            return
        now = self.clock.monotonic()
        keypair_get = self.indices.keypairs.get
        unpack_header = TRANSPORT_HEADER.unpack_from
        pack_nonce = _NONCE.pack
        lookup4, lookup6 = self.allowed_ips.lookup4, self.allowed_ips.lookup6
        cache4 = self.allowed_ips.cache4  # cleared in place on changes, never replaced
        packets_out = self._packets
        last_addr: dict[Peer, tuple] = {}
        data_peers: dict[Peer, None] = {}
        # The (peer, addr) last stored in last_addr / the peer last stored in data_peers:
        # runs from one peer and one read (GRO) skip the dict stores.
        stored_peer = stored_addr = data_peer = None
        # The keypair that passed its checks last and its parts; MISS: none (never None,
        # which an unknown index gives).
        checked, decrypt, replay, peer = MISS, None, None, None
        handshakes: list[tuple[bytes, tuple]] = []   # mac1-valid handshake messages of this batch
        for data, addr in batch:
            size = len(data)
            if size >= KEEPALIVE_SIZE and data[0] == MESSAGE_TRANSPORT:
                mtype, receiver, counter = unpack_header(data)
                if mtype != MESSAGE_TRANSPORT:
                    stats["unknown_type"] += 1
                    continue
                keypair = keypair_get(receiver)
                if keypair is not checked:
                    # Checks that hold for the whole batch (`now` is fixed), once per keypair run.
                    if keypair is None:
                        stats["unknown_index"] += 1
                        continue
                    peer = keypair.peer
                    if now - keypair.created > REJECT_AFTER_TIME or not peer.running:
                        stats["keypair_expired"] += 1
                        continue
                    checked, decrypt, replay = keypair, keypair.receive.decrypt, keypair.replay.accept
                try:
                    plain = decrypt(pack_nonce(counter), data[16:], None)
                except InvalidTag:
                    stats["decrypt_failed"] += 1
                    continue
                # Replay check, only after the tag verified: a forged packet must not move
                # the window.
                if not replay(counter):
                    stats["replay"] += 1
                    continue
                if keypair is peer.keypairs.next:
                    self._confirm_next_keypair(peer, keypair, addr, now)
                if peer is not stored_peer or addr is not stored_addr:
                    last_addr[peer] = stored_addr = addr
                    stored_peer = peer
                plain_size = len(plain)
                peer.rx_bytes += plain_size + KEEPALIVE_SIZE
                if not plain_size:
                    continue  # keepalive
                if peer is not data_peer:
                    data_peers[peer] = None
                    data_peer = peer
                version = plain[0] >> 4
                if version == 4:
                    if plain_size < 20:
                        stats["bad_ip_header"] += 1
                        continue
                    length = (plain[2] << 8) | plain[3]
                    if length > plain_size or length < 20:
                        stats["bad_ip_header"] += 1
                        continue
                    if length != plain_size:
                        plain = plain[:length]
                    owner = cache4.get(plain[12:16], MISS)
                    if owner is MISS:
                        owner = lookup4(plain[12:16])
                    if owner is not peer:
                        stats["bad_src_ip"] += 1
                        continue
                elif version == 6:
                    if plain_size < 40:
                        stats["bad_ip_header"] += 1
                        continue
                    length = ((plain[4] << 8) | plain[5]) + 40
                    if length > plain_size:
                        stats["bad_ip_header"] += 1
                        continue
                    if length != plain_size:
                        plain = plain[:length]
                    if lookup6(plain[8:24]) is not peer:
                        stats["bad_src_ip"] += 1
                        continue
                else:
                    stats["bad_ip_header"] += 1
                    continue
                packets_out.append(plain)
            elif self._admit_handshake_message(data, addr, now, handshakes):
                pass             # queued for after this batch's transport data
        for peer, addr in last_addr.items():
            peer.endpoint = peer.trusted_source = addr
            authenticated.append(addr)
            self._keep_key_fresh_receiving(peer, now)
            peer.timers.on_any_authenticated_packet_traversal(now, peer.persistent_keepalive_interval)
            peer.timers.on_any_authenticated_packet_received()
            if peer in data_peers:
                peer.timers.on_data_received(now)
        if handshakes:
            self._receive_handshake_messages(handshakes, now)

    def _confirm_next_keypair(self, peer: Peer, keypair: Keypair, addr: tuple, now: float) -> None:
        """First transport packet under a responder's next keypair: it becomes current."""
        dropped = peer.keypairs.confirm_next(keypair)
        if dropped is not None:
            self.indices.drop_keypair(dropped)
        peer.endpoint = peer.trusted_source = addr
        self._handshake_complete(peer)
        self._send_staged(peer, now)

    def _handshake_complete(self, peer: Peer) -> None:
        peer.timers.on_handshake_complete()
        peer.last_handshake_ns = int(self.clock.wall() * 1e9)

    def _keep_key_fresh_receiving(self, peer: Peer, now: float) -> None:
        if peer.timers.sent_last_minute_handshake:
            return
        keypair = peer.keypairs.current
        if keypair is not None and keypair.is_initiator and now - keypair.created > REKEY_ON_RECEIVE_AGE:
            peer.timers.sent_last_minute_handshake = True
            self._send_handshake_initiation(peer, now, is_retry=False)

    def _admit_handshake_message(self, data, addr: tuple, now: float, queue: list) -> bool:
        """What every non-transport datagram costs before it is known genuine: size and type
        checks, then (for handshake messages) one keyed BLAKE2s for mac1. Cookie replies are
        handled at once (one AEAD, no DH). True when `data` was queued."""
        size = len(data)
        if size < 4:
            self.stats["bad_size"] += 1
            return False
        mtype = data[0] if data[1] == data[2] == data[3] == 0 else -1
        if mtype == MESSAGE_INITIATION:
            if size != INITIATION_SIZE:
                self.stats["bad_size"] += 1
                return False
        elif mtype == MESSAGE_RESPONSE:
            if size != RESPONSE_SIZE:
                self.stats["bad_size"] += 1
                return False
        elif mtype == MESSAGE_COOKIE_REPLY:
            self._receive_cookie_reply(bytes(data), now)
            return False
        else:
            self.stats["bad_size" if mtype == MESSAGE_TRANSPORT else "unknown_type"] += 1
            return False
        data = bytes(data)
        if not self.cookie_checker.check_mac1(data):
            self.stats["bad_mac1"] += 1
            return False
        if len(queue) >= HANDSHAKE_QUEUE_SIZE:
            self.stats["handshake_queue_full"] += 1
            return False
        queue.append((data, addr))
        return True

    def _receive_handshake_messages(self, queue: list[tuple[bytes, tuple]], now: float) -> None:
        """A batch's mac1-valid handshake messages, after its transport data. Under load, the
        trusted sources' messages go first, then those with a valid mac2; the rest get a
        cookie reply (rate-limited per source) and no DH."""
        for _ in queue:
            self._note_handshake_message(now)
        if len(queue) >= UNDER_LOAD_QUEUE:
            self._under_load_until = now + UNDER_LOAD_AFTER_TIME
        if self._under_load_until <= now:
            for data, addr in queue:
                self._dispatch_handshake(data, addr, now)
            return
        trusted = self._trusted_sources(now)
        first, second = [], []
        for data, addr in queue:
            if addr in trusted and self.trusted_limiter.allow(addr, now):
                first.append((data, addr))
                continue
            src = source_bytes(addr)
            if not self.cookie_checker.check_mac2(data, src, now):
                if not self.cookie_limiter.allow(addr, now):
                    self.stats["cookie_reply_limited"] += 1
                    continue
                sender = int.from_bytes(data[4:8], "little")
                reply = self.cookie_checker.create_reply(data, sender, src, now, self.rng)
                self.outbox.send_uncounted(pack_cookie_reply(reply), addr)
                self.stats["cookie_reply_sent"] += 1
                continue
            if not self.rate_limiter.allow(addr, now):
                self.stats["ratelimited"] += 1
                continue
            second.append((data, addr))
        if first:
            self.stats["trusted_under_load"] += len(first)
        for data, addr in first + second:
            self._dispatch_handshake(data, addr, now)

    def _dispatch_handshake(self, data: bytes, addr: tuple, now: float) -> None:
        if data[0] == MESSAGE_INITIATION:
            self._receive_initiation(data, addr, now)
        else:
            self._receive_response(data, addr, now)

    def _trusted_sources(self, now: float) -> dict[tuple, Peer]:
        """Authenticated last endpoints of running peers, rebuilt at most once a second
        (only under load; a peer that roamed meanwhile goes the cookie way until then)."""
        if now - self._trusted_at >= TRUSTED_REFRESH:
            self._trusted = {peer.trusted_source: peer for peer in self.peers.values()
                             if peer.running and peer.trusted_source is not None}
            self._trusted_at = now
        return self._trusted

    def _receive_cookie_reply(self, data: bytes, now: float) -> None:
        reply = unpack_cookie_reply(data)
        if reply is None:
            self.stats["bad_size"] += 1
            return
        peer = self.indices.peer_for(reply.receiver)
        if peer is None or not peer.running:
            self.stats["unknown_index"] += 1
            return
        if not peer.cookie_generator.consume_reply(reply, now):
            self.stats["bad_cookie_reply"] += 1

    def _receive_initiation(self, data: bytes, addr: tuple, now: float) -> None:
        msg = unpack_initiation(data)
        found = hs_mod.decrypt_initiator_static(msg, self.identity)
        if found is None:
            self.stats["bad_handshake"] += 1
            return
        remote_static, chain_key, h = found
        peer = self.peers.get(remote_static)
        if peer is None or not peer.running:
            self.stats["unknown_peer"] += 1
            return
        refused = hs_mod.consume_initiation(peer.handshake, msg, chain_key, h, now)
        if refused is not None:
            self.stats[refused] += 1
            return
        peer.timers.on_any_authenticated_packet_traversal(now, peer.persistent_keepalive_interval)
        peer.timers.on_any_authenticated_packet_received()
        peer.endpoint = peer.trusted_source = addr
        self._authenticated.append(addr)
        peer.rx_bytes += len(data)
        self._send_handshake_response(peer, now)

    def _receive_response(self, data: bytes, addr: tuple, now: float) -> None:
        msg = unpack_response(data)
        peer = self.indices.handshakes.get(msg.receiver)
        if peer is None or not peer.running:
            self.stats["unknown_index"] += 1
            return
        if not hs_mod.consume_response(peer.handshake, msg, self.identity):
            self.stats["bad_handshake"] += 1
            return
        peer.endpoint = peer.trusted_source = addr
        self._authenticated.append(addr)
        peer.rx_bytes += len(data)
        peer.timers.on_any_authenticated_packet_traversal(now, peer.persistent_keepalive_interval)
        peer.timers.on_any_authenticated_packet_received()
        self._begin_session(peer, now)
        peer.timers.on_session_derived(now)
        self._handshake_complete(peer)
        self._send_keepalive(peer, now)
