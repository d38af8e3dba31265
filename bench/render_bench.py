"""Render benchmark: a 4 s 1080p push-in, us against ffmpeg zoompan and the encode-only floor.

Every variant runs as a whole child process in the same run, interleaved run by run, so the
ratios printed at the end compare like with like on a noisy shared machine:

- ours: `stillmotion generate PHOTO --resolution 1080p --prompt "zoom in" --seed 1`;
- zoompan: ffmpeg's Ken Burns (the imageio-ffmpeg binary), the same size, 96 frames at 24 fps,
  the same zoom range as our plan (1 to its largest zoom, eased by smootherstep in log zoom)
  toward the centre, libx264 preset medium CRF 20 yuv420p; "plain" on the photo as is,
  "supersampled" on the photo scaled up with lanczos first (the usual cure for zoompan's
  whole-pixel jitter);
- floor: our exact frames, rendered into a raw file beforehand (not timed), encoded by a
  process that only reads them and runs our Mp4Writer with our settings.

Measured per variant: wall and CPU time of the process (median of --runs), peak RSS
(psutil over the process tree, and the kernel's ru_maxrss), output size, and encode
fidelity: PSNR of the decoded MP4 against the frames the encoder was given, kept losslessly
(ours: our frames through the same RGB->yuv420p conversion the writer does; zoompan: the
same ffmpeg command with a rawvideo yuv420p output, i.e. exactly what its x264 received).

    .venv/bin/python -m bench.render_bench [--runs 3] [--photo coffee] [--x264 PRESET:CRF]

Run from the repository root. `--no-write` skips updating bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "RESULTS.md"
FPS = 24
DURATION = 4
PROMPT = "zoom in"
SEED = 1
ZOOMPAN_PRESET = "medium"
ZOOMPAN_CRF = 20


# --- shared with load_bench ------------------------------------------------------------------

def machine() -> str:
    """`N cores, CPU model, Python x.y` for the results file."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"nproc {os.cpu_count()}, {model}, Python {platform.python_version()}"


def load_average() -> str:
    """The 1-minute load average now; above nproc means other work shared the machine."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def command_line() -> str:
    """The command that is running now, as one would type it from the repository root."""
    return " ".join(shlex.quote(a) for a in [".venv/bin/python", "-m",
                                              _module_name(), *sys.argv[1:]])


def _module_name() -> str:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return spec.name if spec is not None else Path(sys.argv[0]).stem


def write_section(name: str, body: str, path: Path = RESULTS) -> None:
    """Replace (or append) the section between this benchmark's markers in RESULTS.md."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


@dataclass
class ProcessRun:
    wall_s: float
    cpu_s: float  # user + system of the child (and any children it waited for)
    peak_rss_bytes: int
    returncode: int


def run_measured(cmd: list[str], log: Path, cwd: Path = REPO,
                 env: dict[str, str] | None = None) -> ProcessRun:
    """Run `cmd` to completion: exact wall time (wait4) and peak RSS of its process tree.

    Peak RSS is the larger of the kernel's ru_maxrss for the child (exact, one process) and
    the largest sum over the child and its descendants seen by psutil every 20 ms.
    """
    import psutil

    with open(log, "ab") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT,
                                env={**os.environ, **(env or {})})
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not done.is_set():
            total = 0
            try:
                for member in [root, *root.children(recursive=True)]:
                    try:
                        total += member.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
            except psutil.NoSuchProcess:
                return
            peak = max(peak, total)
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return ProcessRun(wall, usage.ru_utime + usage.ru_stime, max(peak, usage.ru_maxrss * 1024),
                      proc.returncode)


# --- the photo and our plan ------------------------------------------------------------------

def write_photo(name: str, path: Path) -> tuple[int, int]:
    """A scikit-image sample photo as an RGB PNG; returns (width, height)."""
    from PIL import Image
    from skimage import data as skdata

    image = getattr(skdata, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    image = np.ascontiguousarray(image[..., :3].astype(np.uint8))
    Image.fromarray(image).save(path, format="PNG")
    return image.shape[1], image.shape[0]


def our_plan(photo: Path) -> Any:
    """The engine's plan for the benchmark request (plan(request) or plan(request, image))."""
    import inspect

    from stillmotion.engines.base import RenderRequest
    from stillmotion.engines.motion.engine import MotionEngine
    from stillmotion.media.images import decode_rgb

    image = decode_rgb(photo.read_bytes(), 50_000_000)
    request = RenderRequest(prompt=PROMPT, duration=DURATION, resolution="1080p",
                            movement_amplitude="auto", seed=SEED, image_width=image.shape[1],
                            image_height=image.shape[0])
    engine = MotionEngine()
    if len(inspect.signature(engine.plan).parameters) >= 2:
        return engine.plan(request, image)  # type: ignore[call-arg]
    return engine.plan(request)  # type: ignore[call-arg]


def plan_zoom(plan: Any) -> float:
    """The largest zoom of our shot (MotionPlan.zoom_max, or .zoom in older plans)."""
    zoom: Any = getattr(plan, "zoom_max", None) or getattr(plan, "zoom", 1.0)
    return float(zoom)


def plan_target(plan: Any) -> Any:
    return getattr(plan, "focus", None) or getattr(plan, "target", None)


def our_frames(photo: Path, plan: Any) -> Iterator[np.ndarray]:
    from stillmotion.engines.motion.engine import MotionEngine
    from stillmotion.media.images import decode_rgb

    image = decode_rgb(photo.read_bytes(), 50_000_000)
    yield from MotionEngine().frames(plan, image)


def source_version() -> str:
    """The commit measured, and whether the working tree differed from it."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=10"],
                             cwd=REPO, capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def snapshot_source(work: Path) -> Path:
    """Copy src/stillmotion into `work` and import it from there, here and in children.

    The tree is shared with people editing it; a snapshot keeps every variant of one run
    on the same code. Call before anything imports stillmotion.
    """
    target = work / "src"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(REPO / "src" / "stillmotion", target / "stillmotion",
                    ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, str(target))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(target), *filter(None, [os.environ.get("PYTHONPATH")])])
    return target


def encoder_settings() -> tuple[int, str, int]:
    """(crf, preset, threads) exactly as `stillmotion generate` reads them."""
    from stillmotion.config import Settings

    settings = Settings()
    return settings.x264_crf, settings.x264_preset, settings.x264_threads


def encode_floor_main(raw: Path, out: Path, width: int, height: int) -> None:
    """The floor process: pre-rendered frames from a raw file into our Mp4Writer."""
    from stillmotion.media.encoder import Mp4Writer

    crf, preset, threads = encoder_settings()
    size = width * height * 3
    with open(raw, "rb") as source, Mp4Writer(out, width, height, FPS, crf=crf, preset=preset,
                                              threads=threads) as writer:
        while True:
            frame = np.fromfile(source, dtype=np.uint8, count=size)
            if frame.size < size:
                break
            writer.write(frame.reshape(height, width, 3))


# --- zoompan ---------------------------------------------------------------------------------

def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def zoompan_filter(zoom: float, width: int, height: int, frames: int, supersample: int) -> str:
    """Our push-in as a zoompan expression: log zoom eased by smootherstep, centred."""
    last = frames - 1
    t = f"(on/{last})"
    ease = f"pow({t},3)*({t}*(6*{t}-15)+10)"
    zp = (f"zoompan=z='exp({np.log(zoom):.9f}*{ease})'"
          f":x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d={frames}:s={width}x{height}:fps={FPS}")
    if supersample > 1:
        return f"scale=iw*{supersample}:ih*{supersample}:flags=lanczos,{zp}"
    return zp


def zoompan_cmd(photo: Path, vf: str, frames: int, output: list[str]) -> list[str]:
    return [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(photo),
            "-vf", vf, "-frames:v", str(frames), *output]


def x264_output(out: Path) -> list[str]:
    return ["-c:v", "libx264", "-preset", ZOOMPAN_PRESET, "-crf", str(ZOOMPAN_CRF),
            "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(out)]


# --- fidelity --------------------------------------------------------------------------------

@dataclass
class Fidelity:
    """Global PSNR (MSE summed over all frames) of a decoded MP4 against a reference."""

    frames: int = 0
    y_se: float = 0.0
    y_n: int = 0
    rgb_se: float = 0.0
    rgb_n: int = 0
    rgb_src_se: float = 0.0  # against the renderer's RGB frames (ours only)
    rgb_src_n: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def _db(se: float, n: int) -> float:
        if n == 0:
            return float("nan")
        mse = se / n
        return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))

    @property
    def y_psnr(self) -> float:
        return self._db(self.y_se, self.y_n)

    @property
    def rgb_psnr(self) -> float:
        return self._db(self.rgb_se, self.rgb_n)

    @property
    def rgb_src_psnr(self) -> float:
        return self._db(self.rgb_src_se, self.rgb_src_n)


def _se(a: np.ndarray, b: np.ndarray) -> float:
    import cv2

    return float(cv2.norm(np.ascontiguousarray(a), np.ascontiguousarray(b), cv2.NORM_L2SQR))


def decoded_frames(path: Path) -> Iterator[Any]:
    import av

    with av.open(str(path)) as container:
        yield from container.decode(container.streams.video[0])


def compare(decoded: Iterator[Any], references: Iterator[tuple[np.ndarray, np.ndarray | None]],
            width: int, height: int) -> Fidelity:
    """Y-plane and RGB PSNR of decoded frames against (yuv420p, optional RGB) references.

    Both the decoded frame and the yuv420p reference are turned into RGB by the same swscale
    conversion (the file's BT.601 matrix), so RGB PSNR measures what x264 lost and nothing
    else; the optional RGB reference also counts the 4:2:0 conversion.
    """
    import av

    fid = Fidelity()
    for got, (ref, src) in zip(decoded, references, strict=True):
        got_yuv = got.to_ndarray(format="yuv420p")
        fid.y_se += _se(got_yuv[:height], ref[:height])
        fid.y_n += width * height
        got_rgb = got.to_ndarray(format="rgb24")
        ref_rgb = av.VideoFrame.from_ndarray(ref, format="yuv420p").to_ndarray(format="rgb24")
        fid.rgb_se += _se(got_rgb, ref_rgb)
        fid.rgb_n += got_rgb.size
        if src is not None:
            fid.rgb_src_se += _se(got_rgb, src)
            fid.rgb_src_n += src.size
        fid.frames += 1
    return fid


def our_fidelity(mp4: Path, photo: Path, plan: Any) -> Fidelity:
    import av

    def references() -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        for rgb in our_frames(photo, plan):
            # What Mp4Writer's stream.encode() does to an rgb24 frame before x264 sees it.
            yuv = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            yield yuv.to_ndarray(), rgb

    return compare(decoded_frames(mp4), references(), plan.width, plan.height)


def zoompan_fidelity(mp4: Path, photo: Path, vf: str, frames: int, width: int,
                     height: int) -> Fidelity:
    """Its own frames: the same ffmpeg command with a lossless rawvideo yuv420p output."""
    cmd = zoompan_cmd(photo, vf, frames, ["-pix_fmt", "yuv420p", "-f", "rawvideo", "-"])
    size = width * height * 3 // 2
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    assert proc.stdout is not None

    def references() -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        assert proc.stdout is not None
        while True:
            chunk = proc.stdout.read(size)
            if len(chunk) < size:
                return
            yield np.frombuffer(chunk, dtype=np.uint8).reshape(height * 3 // 2, width), None

    try:
        return compare(decoded_frames(mp4), references(), width, height)
    finally:
        proc.stdout.close()
        proc.wait()


# --- the run ---------------------------------------------------------------------------------

class RunStats:
    """What a benchmark reports of a variant's timed runs (its `runs` field): median wall
    and CPU seconds, and the largest peak RSS."""

    runs: list[ProcessRun]

    @property
    def wall(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu_s for r in self.runs)

    @property
    def rss_mb(self) -> float:
        return max(r.peak_rss_bytes for r in self.runs) / 2**20


@dataclass
class Variant(RunStats):
    key: str
    label: str
    x264: str
    cmd: list[str]
    out: Path
    env: dict[str, str] = field(default_factory=dict)
    runs: list[ProcessRun] = field(default_factory=list)
    fidelity: Fidelity | None = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per variant (median)")
    parser.add_argument("--photo", default="coffee", choices=["coffee", "astronaut"],
                        help="scikit-image sample photo (coffee: 1620x1080 out; astronaut: "
                        "1080x1080)")
    parser.add_argument("--supersample", type=int, default=4,
                        help="lanczos upscale of the photo before zoompan (supersampled run)")
    parser.add_argument("--x264", action="append", default=[], metavar="PRESET:CRF",
                        help="also run ours and the floor with these x264 settings (through "
                        "STILLMOTION_X264_PRESET/CRF); repeatable")
    parser.add_argument("--workdir", type=Path, default=None, help="keep outputs here")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--encode-floor", nargs=4, metavar=("RAW", "OUT", "W", "H"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.encode_floor:
        raw, out, w, h = args.encode_floor
        encode_floor_main(Path(raw), Path(out), int(w), int(h))
        return 0
    for setting in args.x264:
        if not re.fullmatch(r"[a-z]+:\d+", setting):
            parser.error(f"--x264 {setting!r}: expected PRESET:CRF, e.g. veryfast:16")

    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return run(args, args.workdir)
    with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp:
        return run(args, Path(tmp))


def our_variants(work: Path, photo: Path, raw: Path, width: int, height: int, x264: str,
                 env: dict[str, str], suffix: str) -> list[Variant]:
    stillmotion = str(Path(sys.executable).with_name("stillmotion"))
    ours_out, floor_out = work / f"ours{suffix}.mp4", work / f"floor{suffix}.mp4"
    return [
        Variant(f"ours{suffix}", "ours: `stillmotion generate`", x264,
                [stillmotion, "generate", str(photo), "-o", str(ours_out), "--resolution",
                 "1080p", "--prompt", PROMPT, "--seed", str(SEED)], ours_out, env),
        Variant(f"floor{suffix}", "encode-only floor: our frames into Mp4Writer", x264,
                [sys.executable, "-m", "bench.render_bench", "--encode-floor", str(raw),
                 str(floor_out), str(width), str(height)], floor_out, env),
    ]


def run(args: argparse.Namespace, work: Path) -> int:
    version, load_start = source_version(), load_average()
    snapshot_source(work)
    photo = work / f"{args.photo}.png"
    pw, ph = write_photo(args.photo, photo)
    plan = our_plan(photo)
    zoom = plan_zoom(plan)
    width, height, frames = plan.width, plan.height, plan.frame_count
    crf, preset, threads = encoder_settings()
    print(f"photo {args.photo} {pw}x{ph} -> {width}x{height}, {frames} frames; plan: "
          f"{plan.move} zoom {zoom} target {plan_target(plan)}; ours: x264 {preset} "
          f"CRF {crf}; zoompan: x264 {ZOOMPAN_PRESET} CRF {ZOOMPAN_CRF}", flush=True)

    # The floor's input, made beforehand and not timed.
    raw = work / "frames.rgb"
    with open(raw, "wb") as sink:
        for frame in our_frames(photo, plan):
            sink.write(np.ascontiguousarray(frame).tobytes())

    vf_plain = zoompan_filter(zoom, width, height, frames, 1)
    vf_super = zoompan_filter(zoom, width, height, frames, args.supersample)
    zp_x264 = f"{ZOOMPAN_PRESET}:{ZOOMPAN_CRF}"
    zp_plain = Variant("zp_plain", "ffmpeg zoompan, plain", zp_x264,
                       zoompan_cmd(photo, vf_plain, frames, x264_output(work / "zp_plain.mp4")),
                       work / "zp_plain.mp4")
    zp_super = Variant("zp_super", f"ffmpeg zoompan, supersampled {args.supersample}x lanczos",
                       zp_x264,
                       zoompan_cmd(photo, vf_super, frames, x264_output(work / "zp_super.mp4")),
                       work / "zp_super.mp4")
    groups = [our_variants(work, photo, raw, width, height, f"{preset}:{crf}", {}, "")]
    for setting in args.x264:
        p, c = setting.split(":")
        env = {"STILLMOTION_X264_PRESET": p, "STILLMOTION_X264_CRF": c}
        groups.append(our_variants(work, photo, raw, width, height, setting, env,
                                   f"_{p}_{c}"))
    variants = [*groups[0], zp_plain, zp_super, *[v for g in groups[1:] for v in g]]

    log = work / "children.log"
    for i in range(args.runs):
        for v in variants:
            result = run_measured(v.cmd, log, env=v.env)
            if result.returncode != 0:
                print(f"{v.key} failed ({result.returncode}); log:\n{log.read_text()[-3000:]}")
                return 1
            v.runs.append(result)
            print(f"run {i + 1}/{args.runs} {v.key:22s} {result.wall_s:6.2f} s wall "
                  f"{result.cpu_s:6.2f} s CPU {result.peak_rss_bytes / 2**20:6.0f} MB",
                  flush=True)

    print("fidelity ...", flush=True)
    identical: dict[str, bool] = {}
    for ours, floor in groups:
        ours.fidelity = our_fidelity(ours.out, photo, plan)
        identical[ours.x264] = ours.out.read_bytes() == floor.out.read_bytes()
        floor.fidelity = (ours.fidelity if identical[ours.x264]
                          else our_fidelity(floor.out, photo, plan))
    zp_plain.fidelity = zoompan_fidelity(zp_plain.out, photo, vf_plain, frames, width, height)
    zp_super.fidelity = zoompan_fidelity(zp_super.out, photo, vf_super, frames, width, height)
    for v in variants:
        assert v.fidelity is not None
        if v.fidelity.frames != frames:
            print(f"{v.key}: decoded {v.fidelity.frames} frames, expected {frames}")
            return 1

    for ours, _floor in groups:
        assert ours.fidelity is not None
        if ours.fidelity.rgb_src_psnr < 30:
            print(f"{ours.key}: its video does not show the frames this run rendered (RGB PSNR "
                  f"{ours.fidelity.rgb_src_psnr:.1f} dB); not writing results")
            return 1

    table = report_table(variants, zp_super)
    ratios = [ratio_lines(ours, floor, zp_super, zp_plain, identical[ours.x264],
                          default=(g == 0))
              for g, (ours, floor) in enumerate(groups)]
    print()
    print(table)
    print()
    print("\n".join(ratios))

    if not args.no_write:
        body = "\n".join([
            "## Render: 4 s 1080p push-in, ours vs ffmpeg zoompan vs encode-only floor",
            "",
            f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
            f"- machine: {machine()}; 1-minute load average {load_start} at the start, "
            f"{load_average()} at the end (above {os.cpu_count()}: other work shared the "
            "cores, so wall times are noisy and the CPU columns are the steadier measure)",
            f"- source: `{version}` (`-dirty`: with uncommitted changes; src/stillmotion was "
            "copied at the start, so every variant ran the same code)",
            f"- command: `{command_line()}`",
            f"- photo: scikit-image `{args.photo}` ({pw}x{ph} PNG) -> {width}x{height}, "
            f"{frames} frames at {FPS} fps; our plan: {plan.move}, zoom up to {zoom:.4f} toward "
            f"{plan_target(plan)}; zoompan: the same zoom range (1 to {zoom:.4f}, smootherstep "
            "in log zoom), toward the centre",
            f"- x264: ours/floor preset:CRF as listed (default {preset}:{crf}, threads "
            f"{threads or 'auto'}); zoompan {zp_x264}; all yuv420p, +faststart",
            f"- wall and CPU (user+sys): median of {args.runs} runs of the whole process, "
            "variants interleaved run by run; peak RSS: the largest over runs of the process "
            "tree's resident memory (psutil every 20 ms, and the kernel's ru_maxrss)",
            "",
            table,
            "",
            *ratios,
            "",
            "PSNR is global (MSE over all frames), of the decoded MP4 against the frames the "
            "encoder was given, kept losslessly: for ours and the floor, our RGB frames through "
            "the writer's own RGB->yuv420p conversion; for zoompan, the same ffmpeg command "
            "with a rawvideo yuv420p output (ffmpeg converts the PNG to yuv420p *before* "
            "zoompan, so those are its own frames). Y is the luma plane; RGB is both sides "
            "converted back with the same BT.601 matrix. The last column, ours only, is RGB "
            "PSNR against the renderer's RGB frames, so it also counts the 4:2:0 chroma "
            "subsampling, which the zoompan rows cannot see (their frames are 4:2:0 already).",
        ])
        write_section("render_bench", body)
        print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 0


def ratio_lines(ours: Variant, floor: Variant, zp_super: Variant, zp_plain: Variant,
                identical: bool, default: bool) -> str:
    of, sf = ours.fidelity, zp_super.fidelity
    assert of is not None and sf is not None
    vs_super, vs_floor = ours.wall / zp_super.wall, ours.wall / floor.wall
    fid_ok = of.y_psnr >= sf.y_psnr and of.rgb_psnr >= sf.rgb_psnr
    head = f"ours at x264 {ours.x264}" + (" (the default)" if default else "")
    return "\n".join([
        f"- {head}:",
        f"  - / zoompan-supersampled wall: **{vs_super:.2f}** (target <= 0.60; CPU "
        f"{ours.cpu / zp_super.cpu:.2f}); fidelity Y {of.y_psnr:.2f} vs {sf.y_psnr:.2f} dB, "
        f"RGB {of.rgb_psnr:.2f} vs {sf.rgb_psnr:.2f} dB "
        f"({'equal or better' if fid_ok else 'LOWER'}) -> "
        f"{'met' if vs_super <= 0.6 and fid_ok else 'MISSED'}",
        f"  - / zoompan-plain wall: {ours.wall / zp_plain.wall:.2f}",
        f"  - / encode-floor wall: **{vs_floor:.2f}** (target <= 1.15; CPU "
        f"{ours.cpu / floor.cpu:.2f}) -> {'met' if vs_floor <= 1.15 else 'MISSED'}; "
        f"ours and the floor wrote {'byte-identical' if identical else 'different'} MP4s",
    ])


def report_table(variants: list[Variant], zp_super: Variant) -> str:
    rows = [
        "| variant | x264 preset:CRF | wall s | wall / zoompan-ss | CPU s | peak RSS MB | "
        "MP4 KB | Y PSNR dB | RGB PSNR dB | RGB PSNR vs RGB frames dB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for v in variants:
        fid = v.fidelity
        assert fid is not None
        src = f"{fid.rgb_src_psnr:.2f}" if fid.rgb_src_n else "n/a"
        rows.append(
            f"| {v.label} | {v.x264} | {v.wall:.2f} | {v.wall / zp_super.wall:.2f} | "
            f"{v.cpu:.2f} | {v.rss_mb:.0f} | {v.out.stat().st_size / 1024:.0f} | "
            f"{fid.y_psnr:.2f} | {fid.rgb_psnr:.2f} | {src} |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
