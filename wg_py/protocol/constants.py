"""WireGuard's protocol constants, with the whitepaper's names (§5.4, §6) and wireguard-go's values.

Every number the protocol core uses lives here, so a test can name it and a reader can
check it against the paper in one place.
"""

from __future__ import annotations

# Noise construction and identifier strings (whitepaper §5.4).
CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"
LABEL_MAC1 = b"mac1----"
LABEL_COOKIE = b"cookie--"

# Message types and exact sizes (whitepaper §5.4.2-§5.4.7).
MESSAGE_INITIATION = 1
MESSAGE_RESPONSE = 2
MESSAGE_COOKIE_REPLY = 3
MESSAGE_TRANSPORT = 4
INITIATION_SIZE = 148
RESPONSE_SIZE = 92
COOKIE_REPLY_SIZE = 64
TRANSPORT_HEADER_SIZE = 16
TAG_SIZE = 16
KEEPALIVE_SIZE = TRANSPORT_HEADER_SIZE + TAG_SIZE  # 32: the smallest transport data message
PADDING_MULTIPLE = 16
MAX_DATAGRAM_SIZE = 65535

# Timers and limits (whitepaper §6.1; wireguard-go device/constants.go).
REKEY_AFTER_MESSAGES = 1 << 60
REJECT_AFTER_MESSAGES = (1 << 64) - (1 << 13) - 1
REKEY_AFTER_TIME = 120.0
REJECT_AFTER_TIME = 180.0
REKEY_ATTEMPT_TIME = 90.0
REKEY_TIMEOUT = 5.0
KEEPALIVE_TIMEOUT = 10.0
COOKIE_REFRESH_TIME = 120.0
HANDSHAKE_INITIATION_RATE = 1.0 / 50  # 20 ms: initiations closer than this from one peer are a flood
UNDER_LOAD_AFTER_TIME = 1.0  # stay "under load" this long after the last detection
REKEY_TIMEOUT_JITTER_MAX_MS = 334  # jitter drawn from [0, 334) ms
MAX_TIMER_HANDSHAKES = int(REKEY_ATTEMPT_TIME / REKEY_TIMEOUT)  # 18 retries, then give up
# Initiator's receive-side rekey ("last minute" handshake): 180 - 10 - 5 = 165 s.
REKEY_ON_RECEIVE_AGE = REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT
ZERO_KEY_MATERIAL_TIME = REJECT_AFTER_TIME * 3  # 540 s

QUEUE_STAGED_SIZE = 128  # packets waiting for a keypair (wireguard-go QueueStagedSize)
MAX_PEERS = 1 << 16  # wireguard-go MaxPeers
DEFAULT_MTU = 1420

# Replay window: wireguard-go replay/replay.go, 128 blocks of 64 bits, one block redundant.
REPLAY_WINDOW_SIZE = (128 - 1) * 64  # 8128, the same as the kernel's on 64-bit machines
