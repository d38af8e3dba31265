"""Every default of the service, named once.

Operators tune the ones `Settings` exposes (STILLMOTION_* variables); code reads those
through Settings. The rest are fixed by the wire contract or not worth a knob.
"""

from __future__ import annotations

# --- wire contract (CONTRACT.md): not tunable -------------------------------------------
TASK_TYPE = "VIDU_2_0_IMG2VIDEO"
FPS = 24
DURATIONS = (4, 8)
RESOLUTIONS_BY_DURATION: dict[int, tuple[str, ...]] = {4: ("360p", "720p", "1080p"), 8: ("720p",)}
DEFAULT_RESOLUTION_BY_DURATION = {4: "360p", 8: "720p"}
SHORT_SIDE_BY_RESOLUTION = {"360p": 360, "720p": 720, "1080p": 1080}
AMPLITUDES = ("auto", "small", "medium", "large")
MAX_PROMPT_CHARS = 1500
MAX_SEED = 2**32 - 1
MIN_ASPECT = 1 / 4
MAX_ASPECT = 4.0
MAX_DATA_URI_BYTES = 10 * 1024 * 1024  # decoded payload must be *under* this
MAX_URL_IMAGE_BYTES = 50 * 1024 * 1024

IDEMPOTENCY_TTL_S = 24 * 3600  # an Idempotency-Key is remembered this long per API key
MAX_IDEMPOTENCY_KEY_CHARS = 255
LIST_LIMIT_DEFAULT = 20  # GET /v3/async/tasks page size when `limit` is absent
LIST_LIMIT_MAX = 100

# --- tunable through Settings ------------------------------------------------------------
HOST = "127.0.0.1"
PORT = 8000
DATA_DIR = "stillmotion-data"
VIDEO_URL_TTL_S = 3600
MAX_REQUEST_BYTES = 16 * 1024 * 1024  # a 10 MB payload is ~13.4 MB as base64, plus JSON
MAX_IMAGE_PIXELS = 50_000_000  # refuse decompression bombs before a full decode
URL_CONNECT_TIMEOUT_S = 5.0
URL_READ_TIMEOUT_S = 15.0
URL_MAX_REDIRECTS = 3

LEASE_S = 30.0  # a worker silent this long is presumed dead and its task handed on
HEARTBEAT_S = 5.0  # well inside the lease so two missed beats still keep it
REAP_INTERVAL_S = 2.0
POLL_INTERVAL_S = 0.2  # idle workers look for work this often
MAX_ATTEMPTS = 3
RETRY_BACKOFF_S = 2.0  # first retry after ~2 s, then doubling, each with +/-50% jitter
PROGRESS_WRITE_INTERVAL_S = 0.5  # throttle: at most two progress writes a second per task
CANCEL_CHECK_INTERVAL_S = 0.25  # a render reads its cancel flag at least this often
CANCEL_WAIT_S = 2.0  # task-cancel waits this long for a running render to stop and say so
DRAIN_TIMEOUT_S = 120.0  # SIGTERM waits this long for running renders before releasing them
EVENTS_POLL_S = 0.2  # task-events reads the store this often (the store is the truth)
EVENTS_KEEPALIVE_S = 10.0  # task-events sends a comment line after this much silence

# Webhooks (CONTRACT.md: as the hosted service, a 5 s timeout and up to 5 attempts).
WEBHOOK_TIMEOUT_S = 5.0
WEBHOOK_MAX_ATTEMPTS = 5
# Retry n waits about WEBHOOK_BACKOFF_S * 6^(n-1): 5 s, 30 s, 3 min, 18 min (+/-20%), so
# five attempts span a receiver's restart or a short deploy, like hosted webhook senders.
WEBHOOK_BACKOFF_S = 5.0
WEBHOOK_POLL_S = 0.5  # the outbox is read this often for deliveries that fell due
WEBHOOK_CONCURRENCY = 8  # deliveries in flight at once per sending process
WEBHOOK_REDELIVER_ATTEMPTS = 5  # attempts a redelivery request adds
WEBHOOK_MAX_URL_CHARS = 2048

# Quotas and backpressure (429 RATE_LIMIT_EXCEEDED with Retry-After); 0 turns one off.
SUBMITS_PER_MINUTE_PER_KEY = 600
OPEN_TASKS_PER_KEY = 200  # queued + processing
MAX_QUEUED_TASKS = 10_000  # across all keys

# Retention: blobs of finished tasks go after RETENTION_DAYS, their rows after ROW_RETENTION_DAYS.
RETENTION_DAYS = 7.0
ROW_RETENTION_DAYS = 30.0
PURGE_INTERVAL_S = 3600.0

ETA_SAMPLE_SIZE = 20  # recent renders averaged for the ETA
ETA_DEFAULT_NS_PER_PIXEL_FRAME = 40.0  # before any render was measured (about 1 s per 360p 4 s)

# Chosen with bench/render_bench.py (numbers in bench/RESULTS.md): superfast at CRF 19
# matches or beats the Y and RGB PSNR of ffmpeg zoompan's x264 medium CRF 20 on both sample
# photos and encodes a 4 s 1080p clip with 0.6-0.9 CPU-s less than veryfast (about 20-25%
# of the encode); veryfast at CRF 18 fell 0.7-1.0 dB short in Y. The price is files about
# 2.1-2.5x veryfast/18's. If size matters more, veryfast at CRF 16 also reaches the
# fidelity, at veryfast's CPU and about 1.4x the size.
X264_PRESET = "superfast"
X264_CRF = 19
# Fixed, never "auto": x264 output depends on its thread count, and an automatic count
# varied between runs on a loaded machine, which broke same-seed-same-frames.
X264_THREADS = 4
URL_TOTAL_TIMEOUT_S = 30.0  # a slow-drip server cannot hold a submit longer than this
