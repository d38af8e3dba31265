"""`stillmotion serve | worker | generate | music | keys | purge`, and the client commands
`submit | result | cancel | list`: errors are one clear line, never a traceback."""

from __future__ import annotations

import logging
import os
import shlex
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from stillmotion.api.schemas import describe_validation_error
from stillmotion.config import Settings
from stillmotion.logs import configure_logging
from stillmotion.media.errors import InputError

# Plain help (rich_markup_mode=None): wrapped to the terminal, flags shown without a value.
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="stillmotion: a self-hosted Vidu 2.0 image-to-video service.")
keys_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                       help="Create, list and revoke API keys.")
app.add_typer(keys_app, name="keys")
out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

DataDir = typer.Option(None, "--data-dir", help="Where the database, blobs and secrets live "
                       "(default: $STILLMOTION_DATA_DIR or ./stillmotion-data).")


def _is_database_error(exc: BaseException) -> bool:
    """Checked without importing SQLAlchemy: `generate` never loads it, so it starts faster."""
    module = sys.modules.get("sqlalchemy.exc")
    return module is not None and isinstance(exc, module.SQLAlchemyError)


def one_line_errors(command: F) -> F:
    """Turn expected failures into `error: <sentence>` and exit status 2."""
    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ValidationError as exc:
            message = describe_validation_error(exc.errors())
        except InputError as exc:
            message = f"the image {exc}"
        except OSError as exc:
            message = f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
        except ValueError as exc:  # SchemaMismatch included
            message = str(exc)
        except Exception as exc:
            if not _is_database_error(exc):
                raise
            message = f"the database is unavailable ({type(exc).__name__}: {exc.args[0]})"
        err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    return wrapper  # type: ignore[return-value]


def settings_for(data_dir: Path | None, **overrides: Any) -> Settings:
    """The settings of a command that works on the data directory (serve, worker, keys,
    migrate, purge): what it creates there is private to its user (umask 077)."""
    os.umask(0o077)
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    return Settings(**values)


def _key_store(settings: Settings) -> Any:
    from stillmotion.jobs.keys import KeyStore
    from stillmotion.jobs.store import Store

    settings.ensure_dirs()
    store = Store(settings)
    store.prepare_schema()
    return KeyStore(store.engine)


def _migrate(settings: Settings) -> tuple[str | None, str]:
    from stillmotion.jobs.database import make_engine
    from stillmotion.jobs.schema import migrate as run_migrations

    settings.ensure_dirs()
    engine = make_engine(settings.resolved_database_url)
    try:
        return run_migrations(engine)
    finally:
        engine.dispose()


def curl_example(base: str, key: str) -> str:
    """Paste-ready commands. The body is streamed through a pipe: a real photo's base64 is
    far longer than the 128 KB the kernel allows one command-line argument."""
    auth = shlex.quote("Authorization: Bearer " + key)
    body = ("{ printf '{\"images\":[\"data:image/jpeg;base64,'; base64 -w0 photo.jpg; "
            "printf '\"],\"prompt\":\"slow push in\",\"duration\":4}'; }")
    return (f"{body} | \\\n  curl -s {base}/v3/async/vidu-2.0-img2video -H {auth} "
            f"-H 'Content-Type: application/json' --data-binary @-\n"
            f"curl -s {shlex.quote(base + '/v3/async/task-result?task_id=<task_id>')} -H {auth}")


@app.command()
@one_line_errors
def serve(
    host: str = typer.Option(None, help="Interface to listen on (default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default 8000)."),
    data_dir: Path | None = DataDir,
    workers: int = typer.Option(None, help="Render worker processes (default: one per two "
                                "cores; 0 for an API-only node)."),
    api_processes: int = typer.Option(None, help="API processes sharing the port (default 1)."),
    access_log: bool = typer.Option(False, help="Log every request."),
    migrate_first: bool = typer.Option(False, "--migrate", help="Bring the database schema "
                                       "up to date first (as `stillmotion migrate`)."),
) -> None:
    """Run the API with in-process render workers (SQLite and local files by default)."""
    from stillmotion.server import serve as run_server

    configure_logging()
    settings = settings_for(data_dir, host=host, port=port, workers=workers,
                            api_processes=api_processes)
    if workers is not None and workers < 0:
        raise ValueError("--workers must be 0 or more")
    if settings.workers > 0:  # a wrong engine setting fails here, not in every worker
        from stillmotion.engines import check_engine

        check_engine(settings)
    if migrate_first:
        _migrate(settings)
    keys = _key_store(settings)
    base = settings.public_base_url
    out.print(f"stillmotion serving on {base}  (API docs: {base}/docs; "
              f"{settings.workers} worker(s); data in {settings.data_dir.resolve()})")
    if keys.count() == 0:
        key = keys.create("default")
        out.print("\nAPI key 'default' (shown once; more with `stillmotion keys create NAME`):")
        out.print(f"  {key}\n", highlight=False)
        out.print("Try it with a photo.jpg in this directory:", highlight=False)
        out.print(curl_example(base, key) + "\n", highlight=False, soft_wrap=True)
    else:  # keys are shown once, at creation: say where a new one comes from
        out.print(f"{keys.count()} API key(s) in {settings.data_dir.resolve()}; a new one: "
                  "`stillmotion keys create NAME`", highlight=False, soft_wrap=True)
    run_server(settings, access_log=access_log)


@app.command()
@one_line_errors
def worker(data_dir: Path | None = DataDir) -> None:
    """Run one render worker against the configured store (for render-only machines)."""
    from stillmotion.jobs.worker import Worker
    from stillmotion.server import Housekeeping

    configure_logging()
    settings = settings_for(data_dir)
    settings.ensure_dirs()
    runner = Worker(settings)
    runner.store.prepare_schema()
    runner.install_signal_handlers()
    housekeeping = Housekeeping(settings).start()
    try:
        runner.run()
    finally:
        housekeeping.stop()


@keys_app.command("create")
@one_line_errors
def keys_create(name: str, data_dir: Path | None = DataDir) -> None:
    """Create a key; it is printed once and only its hash is stored.

    The key alone goes to stdout, so `KEY=$(stillmotion keys create ci)` works; the key's
    webhook signing secret goes to stderr (`keys webhook-secret NAME` shows it again).
    """
    keys = _key_store(settings_for(data_dir))
    secret = keys.create(name)
    out.print(secret, highlight=False)
    err.print(f"webhook signing secret: {keys.webhook_secret(name)}", highlight=False)


@keys_app.command("webhook-secret")
@one_line_errors
def keys_webhook_secret(
    name: str, data_dir: Path | None = DataDir,
    rotate: bool = typer.Option(False, "--rotate", help="Make a new secret; the old one "
                                "keeps signing beside it for 24 hours."),
) -> None:
    """Print the key's webhook signing secret (Standard Webhooks, whsec_...)."""
    keys = _key_store(settings_for(data_dir))
    out.print(keys.rotate_webhook_secret(name) if rotate else keys.webhook_secret(name),
              highlight=False)


@keys_app.command("list")
@one_line_errors
def keys_list(data_dir: Path | None = DataDir) -> None:
    """List keys (name, prefix, state); secrets are never shown again."""
    from datetime import UTC, datetime

    for info in _key_store(settings_for(data_dir)).list():
        created = datetime.fromtimestamp(info.created_ms / 1000, UTC).isoformat(timespec="seconds")
        state = "revoked" if info.revoked_ms else "active"
        out.print(f"{info.name}\t{info.prefix}…\t{state}\tcreated {created}", highlight=False)


@keys_app.command("revoke")
@one_line_errors
def keys_revoke(name: str, data_dir: Path | None = DataDir) -> None:
    """Revoke a key: its next request gets 401."""
    _key_store(settings_for(data_dir)).revoke(name)
    out.print(f"revoked {name}")


def parse_age(text: str) -> int:
    """'7d', '12h', '30m', '90s' (or plain days) as milliseconds."""
    units = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000}
    text = text.strip().lower()
    unit = units.get(text[-1:], None)
    number = text[:-1] if unit else text
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{text!r} is not an age like 7d, 12h, 30m or 90s") from None
    if value < 0:
        raise ValueError(f"an age cannot be negative, got {text!r}")
    return int(value * (unit or units["d"]))


@app.command()
@one_line_errors
def migrate(data_dir: Path | None = DataDir) -> None:
    """Bring the database schema to this version (STILLMOTION_DATABASE_URL, else the
    SQLite file in the data dir). Back the database up first; run it once per upgrade,
    before starting the new version's processes."""
    before, after = _migrate(settings_for(data_dir))
    if before == after:
        out.print(f"the schema is up to date (revision {after})")
    else:
        out.print(f"migrated the schema from {before or 'an empty database'} to {after}")


@app.command()
@one_line_errors
def purge(
    data_dir: Path | None = DataDir,
    older_than: str | None = typer.Option(
        None, help="Delete images and videos of tasks finished longer ago than this "
        "(7d, 12h, 30m, 90s; default: STILLMOTION_RETENTION_DAYS, 7 days)."),
    rows_older_than: str | None = typer.Option(
        None, help="Forget tasks finished longer ago than this (default: "
        "STILLMOTION_ROW_RETENTION_DAYS, 30 days)."),
) -> None:
    """Apply the retention rules now (`serve` and `worker` also do it periodically)."""
    from stillmotion.blobs import make_blob_store
    from stillmotion.jobs.retention import DAY_MS, purged_reason, remove_stale_scratch
    from stillmotion.jobs.retention import purge as run_purge
    from stillmotion.jobs.store import Store

    settings = settings_for(data_dir)
    settings.ensure_dirs()
    store = Store(settings)
    store.prepare_schema()
    blob_age = parse_age(older_than) if older_than else int(settings.retention_days * DAY_MS)
    row_age = (parse_age(rows_older_than) if rows_older_than
               else int(settings.row_retention_days * DAY_MS))
    report = run_purge(store, make_blob_store(settings), blob_age, row_age,
                       purged_reason(blob_age / DAY_MS))
    remove_stale_scratch(settings.tmp_dir)
    out.print(f"purged the image and video of {report.tasks_purged} task(s); "
              f"deleted {report.rows_deleted} old task record(s)")


@app.command()
@one_line_errors
def generate(
    image: Path = typer.Argument(..., help="A PNG, JPEG or WebP photo."),
    output: Path | None = typer.Option(None, "-o", "--output",
                                       help="Where to write the MP4 (not with --plan-only)."),
    prompt: str = typer.Option("", help="How the shot should move, e.g. 'slow pan left'."),
    duration: int = typer.Option(4, help="4 or 8 seconds."),
    resolution: str | None = typer.Option(None, help="360p, 720p or 1080p (8 s: 720p)."),
    amplitude: str = typer.Option("auto", help="auto, small, medium or large."),
    seed: int = typer.Option(-1, help="0..2^32-1; -1 picks one at random."),
    bgm: bool = typer.Option(False, "--bgm", help="Add background music that fits the clip."),
    show_plan: bool = typer.Option(False, "--show-plan",
                                   help="Print how the prompt was read and the shot planned."),
    plan_only: bool = typer.Option(False, "--plan-only",
                                   help="Print the plan and stop: no video is rendered."),
) -> None:
    """Render a video locally through the same pipeline as the service, without a server."""
    from stillmotion.api.schemas import Img2VideoRequest
    from stillmotion.engines import load_engine
    from stillmotion.media.images import inspect_image
    from stillmotion.pipeline import EncoderOptions, render_to_file

    body = Img2VideoRequest.model_validate({
        "images": [str(image)], "prompt": prompt, "duration": duration,
        "resolution": resolution, "movement_amplitude": amplitude, "seed": seed, "bgm": bgm})
    data = image.read_bytes()
    settings = Settings()
    info = inspect_image(data, settings.max_image_pixels)
    request = body.resolve(info.width, info.height).render  # as a submit is resolved
    used_seed = request.seed
    if plan_only:
        from stillmotion.media.images import decode_rgb
        from stillmotion.pipeline import music_plan, plan_record

        engine = load_engine(settings)
        pixels = decode_rgb(data, settings.max_image_pixels)
        shot = engine.plan(request, pixels)
        _print_plan(plan_record(shot, music_plan(request, shot, pixels)))
        return
    if output is None:
        raise ValueError("say where to write the video with -o/--output "
                         "(or ask for --plan-only)")
    scratch = output.with_name(f".{output.name}.part")
    recorded: dict[str, Any] = {}
    with Progress(TextColumn("[bold]rendering"), BarColumn(), TaskProgressColumn(),
                  TimeRemainingColumn(), console=err, transient=True) as bar:
        job = bar.add_task("render", total=1.0)
        plan = render_to_file(load_engine(settings), request, data, scratch,
                              EncoderOptions.from_settings(settings),
                              on_plan=recorded.update,
                              on_progress=lambda f: bar.update(job, completed=f),
                              max_pixels=settings.max_image_pixels)
    scratch.replace(output)
    music = f", {recorded['music']['mood']} music" if "music" in recorded else ""
    out.print(f"wrote {output} ({plan.width}x{plan.height}, {plan.frame_count} frames, "
              f"seed {used_seed}{music})", highlight=False)
    if show_plan:
        _print_plan(recorded)
        return
    for note in getattr(plan, "fallbacks", ()):  # what the photo did not allow, and instead
        out.print(f"not as asked: {note}", highlight=False)
    for note in getattr(plan, "not_rendered", ()):  # asked for, and no engine part draws it
        out.print(f"not rendered: {note}", highlight=False)


def _print_plan(record: dict[str, Any]) -> None:
    from stillmotion.plan_text import describe

    for line in describe(record):
        out.print(line, highlight=False, soft_wrap=True)


@app.command()
@one_line_errors
def music(
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the WAV "
                                "(48 kHz, 16-bit stereo)."),
    mood: str | None = typer.Option(None, help="calm, happy, epic, mysterious, sad, romantic "
                                    "or energetic (default: read from --prompt and --image)."),
    duration: float = typer.Option(8.0, help="Seconds of music, 1 to 60."),
    seed: int = typer.Option(-1, help="0..2^32-1; -1 picks one at random."),
    prompt: str = typer.Option("", help="A video prompt to read the mood from."),
    image: Path | None = typer.Option(None, help="A photo whose light and colour steer the "
                                      "mood, as a task's image does."),
    amplitude: str = typer.Option("auto", help="auto, small, medium or large (nudges tempo)."),
) -> None:
    """Compose background music alone, to audition moods without rendering video."""
    import secrets

    from stillmotion import defaults
    from stillmotion.media.images import decode_rgb
    from stillmotion.music import MOODS, SAMPLE_RATE, make_music, plan_for
    from stillmotion.music.wav import write_wav

    if mood is not None and mood not in MOODS:
        raise ValueError(f"--mood must be one of {', '.join(MOODS)}, got {mood!r}")
    if not 1.0 <= duration <= 60.0:
        raise ValueError(f"--duration must be between 1 and 60 seconds, got {duration:g}")
    if amplitude not in defaults.AMPLITUDES:
        raise ValueError(f"--amplitude must be one of {', '.join(defaults.AMPLITUDES)}, "
                         f"got {amplitude!r}")
    if not -1 <= seed <= defaults.MAX_SEED:
        raise ValueError(f"--seed must be -1 or 0..{defaults.MAX_SEED}, got {seed}")
    used_seed = seed if seed >= 0 else secrets.randbelow(defaults.MAX_SEED + 1)
    pixels = decode_rgb(image.read_bytes(), Settings().max_image_pixels) if image else None
    plan = plan_for(prompt, duration, used_seed, amplitude, pixels, mood=mood)
    result = make_music(plan)
    write_wav(output, result.pcm, SAMPLE_RATE)
    out.print(f"wrote {output} ({duration:g} s, {plan.mood}: {plan.key}, {plan.tempo_bpm:g} bpm, "
              f"{' '.join(plan.chords)}; {result.report.loudness_lufs:.1f} LUFS, true peak "
              f"{result.report.true_peak_dbtp:.1f} dBTP; seed {used_seed})", highlight=False,
              soft_wrap=True)
    for reason in plan.reasons:
        out.print(f"  {reason}", highlight=False, soft_wrap=True)



@app.command("diffusers-tiny")
@one_line_errors
def diffusers_tiny(
    directory: Path = typer.Argument(..., help="Where to write the model directory."),
    family: str = typer.Option("wan", help="svd, ltx, wan or cogvideox."),
    seed: int = typer.Option(0, help="Seed of the random weights."),
) -> None:
    """Write a tiny, randomly initialised model of a family, to smoke-test a diffusers
    deployment without real weights (its videos are coloured noise starting on the photo):
    STILLMOTION_ENGINE=diffusers STILLMOTION_DIFFUSERS_MODEL=DIRECTORY stillmotion serve."""
    try:
        from stillmotion.engines.diffusers.tiny import save_tiny
    except ImportError as exc:
        raise typer.BadParameter("needs the extra: pip install 'stillmotion[diffusers]'") from exc
    save_tiny(family, directory, seed)
    out.print(f"wrote a tiny {family} model to {directory}", highlight=False)


# --- client commands: talk to a running server (ours or the hosted one) over HTTP --------

EXIT_TASK_FAILED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_TIMEOUT = 5
EXIT_UNAVAILABLE = 6

EXIT_CODES_HELP = (
    "Exit codes: 0 success (with --wait: the task SUCCEED), 1 the task FAILED (reason "
    "printed), 2 usage or validation error (the server's 400 message printed), 3 bad or "
    "missing API key, 4 no such task, 5 --wait timed out, 6 server unavailable or network "
    "error (also 5xx and 429).")

ServerUrl = typer.Option(None, "--server", help="API base URL (default: $STILLMOTION_BASE_URL "
                         "or http://127.0.0.1:8000).")
ApiKey = typer.Option(None, "--key", help="API key (default: $STILLMOTION_API_KEY).")


def _fail(code: int, message: str) -> typer.Exit:
    from rich.markup import escape

    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def client_errors(command: F) -> F:
    """The client's exceptions as one line on stderr and the documented exit codes."""
    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from stillmotion.client import errors

        try:
            return command(*args, **kwargs)
        except errors.ApiError as exc:
            message = f"{exc.message} ({exc.code} {exc.reason})"
            if isinstance(exc, errors.AuthError):
                raise _fail(EXIT_AUTH, message) from None
            if isinstance(exc, errors.NotFound):
                raise _fail(EXIT_NOT_FOUND, message) from None
            if isinstance(exc, errors.ServerError | errors.RateLimited):
                raise _fail(EXIT_UNAVAILABLE, message) from None
            raise _fail(EXIT_USAGE, message) from None
        except errors.WaitTimeout as exc:
            raise _fail(EXIT_TIMEOUT, str(exc)) from None
        except errors.TransportError as exc:
            raise _fail(EXIT_UNAVAILABLE, f"no answer from the server: {exc}") from None
        except errors.ClientError as exc:
            raise _fail(EXIT_USAGE, str(exc)) from None
        except OSError as exc:
            raise _fail(EXIT_USAGE, f"{exc.filename}: {exc.strerror}" if exc.filename
                        else str(exc)) from None
        except ValueError as exc:
            raise _fail(EXIT_USAGE, str(exc)) from None
    return wrapper  # type: ignore[return-value]


def _short_status(status: str) -> str:
    return status.removeprefix("TASK_STATUS_").lower()


def _status_filter(status: str | None) -> str | None:
    """`queued`, `failed`... or the full TASK_STATUS_* name."""
    if status is None:
        return None
    name = status.strip().upper()
    name = {"SUCCEEDED": "SUCCEED", "SUCCESS": "SUCCEED", "RUNNING": "PROCESSING"}.get(name,
                                                                                      name)
    full = name if name.startswith("TASK_STATUS_") else f"TASK_STATUS_{name}"
    if full not in ("TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING", "TASK_STATUS_SUCCEED",
                    "TASK_STATUS_FAILED"):
        raise ValueError(f"--status must be queued, processing, succeed or failed, "
                         f"got {status!r}")
    return full


@app.command(epilog=EXIT_CODES_HELP)
@client_errors
def submit(
    image: str = typer.Argument(..., help="A PNG, JPEG or WebP file, or an http(s) URL or a "
                                "data URI."),
    server: str | None = ServerUrl,
    key: str | None = ApiKey,
    prompt: str | None = typer.Option(None, help="How the shot should move."),
    duration: int | None = typer.Option(None, help="4 or 8 seconds (server default 4)."),
    resolution: str | None = typer.Option(None, help="360p, 720p or 1080p (8 s: 720p)."),
    amplitude: str | None = typer.Option(None, help="auto, small, medium or large."),
    seed: int | None = typer.Option(None, help="0..2^32-1; -1 or none picks one at random."),
    bgm: bool = typer.Option(False, "--bgm", help="Add background music."),
    webhook_url: str | None = typer.Option(None, help="Notified when the task ends."),
    wait: bool = typer.Option(False, "--wait", help="Show progress until the task ends."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Download the MP4 here "
                                       "(implies --wait)."),
    timeout: float | None = typer.Option(None, help="With --wait: give up after this many "
                                         "seconds (exit 5); default: no limit."),
    poll_interval: float = typer.Option(1.0, help="With --wait: seconds between polls."),
) -> None:
    """Submit an image-to-video task to a server; prints the task id.

    With --wait, a progress bar follows the task; with -o the video is downloaded once it
    SUCCEEDs. Only the task id goes to stdout: TASK=$(stillmotion submit photo.jpg).
    """
    from stillmotion.client import Client

    with Client(server, key) as client:
        task_id = client.submit(image, prompt=prompt, duration=duration,
                                resolution=resolution, movement_amplitude=amplitude,
                                seed=seed, bgm=bgm or None, webhook_url=webhook_url)
        typer.echo(task_id)
        if not (wait or output):
            return
        result = _wait_with_bar(client, task_id, timeout, poll_interval)
        if result.failed:
            raise _fail(EXIT_TASK_FAILED, f"task {task_id} FAILED: {result.reason}")
        if output is not None:
            client.download(result, output)
            err.print(f"wrote {output}", highlight=False)
        else:
            err.print(f"SUCCEED: {result.video_url}", highlight=False, soft_wrap=True)


def _wait_with_bar(client: Any, task_id: str, timeout: float | None,
                   poll_interval: float) -> Any:
    """`client.wait` under a progress bar: stage (or status), percent, the server's ETA."""
    from stillmotion.client import TaskResult

    with Progress(TextColumn("[bold]{task.fields[stage]:<10}"), BarColumn(),
                  TaskProgressColumn(), TextColumn("{task.fields[eta]}"), console=err,
                  transient=True) as bar:
        job = bar.add_task("task", total=100, stage="submitted", eta="")

        def show(result: TaskResult) -> None:
            stage = result.stage or _short_status(result.status)
            if result.extra.queue_position is not None:
                stage = f"queued #{result.extra.queue_position + 1}"
            eta = f"eta {result.eta} s" if result.eta and not result.done else ""
            bar.update(job, completed=result.progress, stage=stage, eta=eta)

        return client.wait(task_id, timeout=timeout, poll_interval=poll_interval,
                           on_progress=show)


@app.command("result", epilog=EXIT_CODES_HELP)
@client_errors
def result_command(task_id: str = typer.Argument(..., help="The task id."),
                   server: str | None = ServerUrl, key: str | None = ApiKey) -> None:
    """Print the task-result JSON; exit 1 when the task FAILED, otherwise 0."""
    import json

    from stillmotion.client import Client

    with Client(server, key) as client:
        result = client.result(task_id)
    typer.echo(json.dumps(result.model_dump(mode="json", exclude_unset=True), indent=2))
    if result.failed:
        raise typer.Exit(EXIT_TASK_FAILED)


@app.command(epilog=EXIT_CODES_HELP)
@client_errors
def cancel(task_id: str = typer.Argument(..., help="The task id."),
           server: str | None = ServerUrl, key: str | None = ApiKey) -> None:
    """Cancel a queued or running task (it ends FAILED, "cancelled by the user"); a task
    that already finished is exit 2."""
    from stillmotion.client import Client

    with Client(server, key) as client:
        result = client.cancel(task_id)
    typer.echo(f"{result.task_id}\t{_short_status(result.status)}\t{result.reason}")


@app.command("list", epilog=EXIT_CODES_HELP)
@client_errors
def list_command(
    server: str | None = ServerUrl, key: str | None = ApiKey,
    status: str | None = typer.Option(None, help="Only queued, processing, succeed or "
                                      "failed tasks."),
    limit: int = typer.Option(20, help="Show at most this many tasks (newest first)."),
) -> None:
    """List the key's tasks, newest first: id, status, progress, submit time, reason."""
    from datetime import UTC, datetime
    from itertools import islice

    from stillmotion.client import Client

    if limit < 1:
        raise ValueError(f"--limit must be 1 or more, got {limit}")
    wanted = _status_filter(status)
    with Client(server, key) as client:
        for task in islice(client.iter_tasks(wanted, page_size=min(limit, 100)), limit):
            submitted = task.extra.debug_info.submit_time_ms
            when = (datetime.fromtimestamp(int(submitted) / 1000, UTC)
                    .isoformat(timespec="seconds") if submitted.isdigit() else "-")
            typer.echo(f"{task.task_id}\t{_short_status(task.status)}\t{task.progress}%\t"
                       f"{when}\t{task.reason}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    logging.captureWarnings(True)
    main()
