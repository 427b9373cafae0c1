#!/usr/bin/env python3
"""Writes bench/RESULTS.md (on stdout) from what bench/run_benchmarks.sh leaves in OUT_DIR:
stages.json (Google Benchmark JSON of bench_stages), e2e.json (end-to-end run) and, when present, large.json
(bench/large_tile.sh), and from a lent GPU machine (bench/gpu_check.sh) gpu.json, cuda_kernels.json,
e2e_gpu.json and ncu.txt, and from bench/gpu_sanitize.sh sanitize.txt (its summary.txt).

    python3 bench/make_results.py bench/out > bench/RESULTS.md
"""
import datetime
import json
import os
import re
import sys

# What each stage measures, the unit of its items, and what the OpenCV peer does differently.
STAGES = {
    "decode": ("pix", "1024 x 1024 DEFLATE GeoTIFF tile to 8-bit RGB; the file is opened on every call on both sides "
                      "(GDAL's block cache would otherwise serve decoded blocks). TileReader decompresses the tile's blocks "
                      "on 2 threads (GTiff NUM_THREADS, as `campscope run --threads 2` does), applies the nodata "
                      "masks to the validity plane and measures the tile's haze on the samples; cv::imread (libtiff) has no threads, ignores nodata and returns "
                      "BGR."),
    "convert": ("pix", "a 16-bit R, G, B, NIR block (12-bit signal) to 8-bit RGB with the tile's linear stretch "
                       "(99.9th percentile to 255), as TileReader does after decoding a 16-bit delivery; ours: a "
                       "65536-entry table built per call, one lookup per sample, on 2 threads; peer: "
                       "cv::cvtColor (RGBA2RGB, 16-bit) + Mat::convertTo (rounds halves to even)."),
    "integral": ("pix", "integral images of masked R, G, B and validity (4 uint32 planes); peer: cv::split + "
                        "4 x cv::integral (no masking: nodata pixels are already 0 on this tile)."),
    "contrast": ("pix", "centre-surround colour contrast at the vehicle and tent scales; ours reads the integral "
                        "planes (integer, masked); peer: cv::boxFilter at the same box sizes on RGB (float, "
                        "replicated border, no mask) + addWeighted + absdiff + channel sum + max."),
    "nms": ("pix", "local maxima of the response above the threshold; peer: cv::dilate + cv::compare + "
                   "cv::bitwise_and (keeps every plateau pixel, ours one per plateau)."),
    "detect": ("pix", "whole detect_objects on the block; peer: a much simpler grey blob detector (cvtColor, "
                      "boxFilter, dilate, compare, connectedComponentsWithStats) - a lower bound for a "
                      "classical OpenCV chain, not the same analysis."),
    "look": ("cand", "the vehicle look of every candidate the detector leaves on the block that is no tent: the "
                     "built-in model's first screen, then, for those it lets through, the patch turned to its "
                     "dominant orientation, its HOG and colour features and the forest's vote (campscope run looks "
                     "only at those not on a tent or a found vehicle); peer: "
                     "cvtColor + one HOGDescriptor::compute over the same candidates' 16 x 16 pixel windows, unturned "
                     "(8 m at this 0.5 m block) - the bare core of the look, without the turn, the colour features "
                     "or the forest."),
    "density_map": ("cells", "splat 200k tents and smooth with the 21-tap Gaussian (25 m over 10 m cells) on a "
                             "2021 x 2021 grid; peer: float splat loop + cv::sepFilter2D (BORDER_REFLECT) + scale."),
    "reduce": ("points", "assign_camps + reduce_by_camp, 1e6 points over the generated camps; peer: bounding box + "
                         "cv::pointPolygonTest per camp on cv::parallel_for_, then counts."),
}
COUNTERS = ("candidates", "objects", "inside")
NO_GPU = "No CUDA device was lent for these measurements."


def load_json(path):
    with open(path) as f:
        return json.load(f)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def memory_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def benchmark_rows(path):
    """{run name without /real_time: {"seconds", "items_per_second", "cv", counters...}}, in registration order.

    Uses the median over repetitions when the file has aggregates, otherwise the mean over its plain runs."""
    data = load_json(path)
    per_name = {}
    for b in data["benchmarks"]:
        name = b.get("run_name", b["name"]).replace("/real_time", "")
        # Interleaved repetitions come in random order; the family index is the order of registration.
        entry = per_name.setdefault(name, {"median": None, "stddev": None, "mean": None, "runs": [],
                                           "order": b.get("family_index", len(per_name))})
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") in ("median", "stddev", "mean"):
                entry[b["aggregate_name"]] = b
        elif not b.get("error_occurred"):
            entry["runs"].append(b)
        if b.get("error_occurred"):
            entry["error"] = b.get("error_message", "error")
    rows = {}
    for name, entry in sorted(per_name.items(), key=lambda item: item[1]["order"]):
        if "error" in entry:
            rows[name] = {"error": entry["error"]}
            continue
        chosen = entry["median"]
        if chosen is None and entry["runs"]:
            runs = entry["runs"]
            chosen = dict(runs[0])
            chosen["items_per_second"] = sum(r["items_per_second"] for r in runs) / len(runs)
            chosen["real_time"] = sum(r["real_time"] for r in runs) / len(runs)
        if chosen is None:
            continue
        scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[chosen.get("time_unit", "ns")]
        row = {"seconds": chosen["real_time"] * scale, "items_per_second": chosen["items_per_second"]}
        if entry["mean"] and entry["stddev"] and entry["mean"]["real_time"] > 0:
            row["cv"] = entry["stddev"]["real_time"] / entry["mean"]["real_time"]
        for counter in COUNTERS:
            if counter in chosen:
                row[counter] = chosen[counter]
        rows[name] = row
    return data.get("context", {}), rows


def stage_pairs(rows):
    """[(stage, ours name, peer name)] in the order of `rows`."""
    pairs = {}
    for name in rows:
        stage, _, impl = name.partition("/")
        pair = pairs.setdefault(stage, [None, None])
        if impl.startswith("campscope") and not impl.endswith("_cuda"):
            pair[0] = name
        elif impl.startswith("opencv"):
            pair[1] = name
    return [(stage, ours, peer) for stage, (ours, peer) in pairs.items()]


def mega(value):
    return "%.1f" % (value / 1e6) if value >= 1e7 else "%.2f" % (value / 1e6)


def milliseconds(row):
    return "%.2f" % (row["seconds"] * 1e3)


def spread(row):
    return " (cv %.0f%%)" % (100 * row["cv"]) if "cv" in row else ""


def counters_note(ours, peer):
    notes = []
    for counter in COUNTERS:
        if counter in ours or counter in peer:
            notes.append("%s: ours %s, OpenCV %s" % (counter, "%.0f" % ours[counter] if counter in ours else "-",
                                                     "%.0f" % peer[counter] if counter in peer else "-"))
    return "; ".join(notes)


def stages_section(context, rows):
    lines = [
        "## Stages (CPU)",
        "",
        "Same input, same process, %s threads on both sides (campscope's parallel_for_cpu pool, cv::setNumThreads for OpenCV); "
        "wall-clock time per call, median of the repetitions (cv: their coefficient of variation). Throughput is "
        "items per second, the items being pixels of the 1024 x 1024 block, candidates, grid cells or points; ratio = campscope "
        "/ OpenCV throughput, so below 1 means campscope is slower." % context.get("threads", "2"),
        "",
        "| stage | unit | campscope M/s | ms | OpenCV peer | OpenCV M/s | ms | ratio |",
        "|---|---|---:|---:|---|---:|---:|---:|",
    ]
    slower = []
    notes = []
    for stage, ours_name, peer_name in stage_pairs(rows):
        unit, description = STAGES.get(stage, ("items", ""))
        ours = rows.get(ours_name) if ours_name else None
        peer = rows.get(peer_name) if peer_name else None
        if not ours or not peer or "error" in ours or "error" in peer:
            problem = (ours or {}).get("error") or (peer or {}).get("error") or "missing half of the pair"
            lines.append("| %s | %s | | | %s | | | %s |" % (stage, unit, peer_name or "-", problem))
            continue
        ratio = ours["items_per_second"] / peer["items_per_second"]
        if ratio < 1.0:
            slower.append("%s (%.2fx)" % (stage, ratio))
        shown_ratio = ("**%.2f**" if ratio < 1.0 else "%.2f") % ratio
        lines.append("| %s | %s | %s | %s%s | %s | %s | %s%s | %s |" % (
            stage, unit, mega(ours["items_per_second"]), milliseconds(ours), spread(ours),
            peer_name.partition("/")[2].replace("opencv_", ""), mega(peer["items_per_second"]), milliseconds(peer),
            spread(peer), shown_ratio))
        counted = counters_note(ours, peer)
        notes.append("- **%s**: %s%s" % (stage, description, " (" + counted + ")" if counted else ""))
    lines.append("")
    lines.append("campscope is slower than its OpenCV peer in: %s." % (", ".join(slower) if slower else "no stage"))
    lines.append("")
    lines.append("What each pair measures:")
    lines.append("")
    lines.extend(notes)
    checks = [context[key] for key in ("decode_check", "convert_check", "density_check") if key in context]
    if checks:
        lines.append("")
        lines.append("Peer checks made once before timing: " + "; ".join(checks) + ".")
    return lines


def e2e_section(e2e):
    pixels = e2e["pixels"]
    mpix = pixels / 1e6
    run_rate = mpix / e2e["run_seconds"]
    decode_rate = mpix / e2e["decode_seconds"]
    checksum_rate = e2e["gdal_checksum_pixels"] / 1e6 / e2e["gdal_checksum_seconds"]
    cpu_seconds = e2e["run_user_seconds"] + e2e["run_system_seconds"]
    lines = [
        "## End to end (`campscope run`, CPU backend, %d threads)" % e2e["threads"],
        "",
        "The batch is %d cop%s of the generated sample (`generate --seed 1`: 18 tiles of 1024 x 1024 at 0.5 m), "
        "copy k dated k years later so that every copy is processed as dates of its own." % (
            e2e["copies"], "y" if e2e["copies"] == 1 else "ies"),
        "",
        "| tiles | total Mpix | seconds | Mpix/s | peak RSS | CPU seconds (user+sys) |",
        "|---:|---:|---:|---:|---:|---:|",
        "| %d | %.1f | %.2f | %.2f | %.0f MiB | %.2f |" % (
            e2e["tiles"], mpix, e2e["run_seconds"], run_rate, e2e["peak_rss_kb"] / 1024, cpu_seconds),
        "",
        "Load average (1/5/15 min) just before the run: %s on %d CPUs; CPU seconds well below threads x seconds "
        "mean the run waited for the CPU or for I/O." % (
            " / ".join("%.2f" % x for x in e2e.get("load_average_before_run", [])) or "?", os.cpu_count() or 0),
        "",
        "I/O floor: the same tiles read block by block exactly as `campscope run` reads them (TileReader, %d-pixel "
        "blocks with the detector's halo, %d blocks, one tile at a time, decompressed on %d threads as the run "
        "does) and nothing else." % (e2e["block_size"], e2e["decode_blocks"], e2e["decode_threads"]),
        "",
        "| decode-only seconds | decode-only Mpix/s | pipeline / decode (time) | pipeline share of the floor's speed |",
        "|---:|---:|---:|---:|",
        "| %.2f | %.1f | %.1fx | %.1f%% |" % (e2e["decode_seconds"], decode_rate,
                                              e2e["run_seconds"] / e2e["decode_seconds"],
                                              100 * run_rate / decode_rate),
        "",
        "Cross-check with GDAL's own tool: `gdalinfo -checksum` over the %d sample tiles, one process per tile "
        "(start-up included): %.2f s, %.1f Mpix/s." % (e2e["gdal_checksum_tiles"], e2e["gdal_checksum_seconds"],
                                                      checksum_rate),
    ]
    if e2e.get("run_exit_status", 0) != 0:
        lines += ["", "**The run exited with status %d; its figures are not valid.**" % e2e["run_exit_status"]]
    if pixels < 1e9:
        lines += ["", "This batch is below the 1 gigapixel target; `bench/run_benchmarks.sh --copies 53` makes a "
                      "%.2f Gpix batch (%.1f Mpix per copy)." % (53 * pixels / e2e["copies"] / 1e9,
                                                              pixels / e2e["copies"] / 1e6)]
    return lines


def large_section(path):
    lines = ["## One large tile (`bench/large_tile.sh`)", ""]
    if not os.path.exists(path):
        return lines + ["Not measured in this run (`bench/large_tile.sh` writes `bench/out/large.json`)."]
    large = load_json(path)
    runs = sorted(large["runs"], key=lambda r: r["pixels"])
    base = runs[0]["seconds"] / runs[0]["pixels"]
    lines += ["Measured %s at commit %s: a generated 1024 x 1024 tile mosaicked into one DEFLATE GeoTIFF per size, "
              "`campscope run --threads 2 --backend cpu`, wall clock and peak RSS from `/usr/bin/time -v`." % (
                  large["date"], large["commit"]),
              "",
              "| size (px) | Mpix | seconds | Mpix/s | peak RSS (MiB) | time per pixel vs smallest |",
              "|---|---:|---:|---:|---:|---:|"]
    for r in runs:
        lines.append("| %d x %d | %.0f | %.1f | %.1f | %.0f | %.2f |" % (
            r["size"], r["size"], r["pixels"] / 1e6, r["seconds"], r["pixels"] / 1e6 / r["seconds"],
            r["peak_rss_kb"] / 1024, r["seconds"] / r["pixels"] / base))
    return lines


def gpu_section(path):
    lines = ["## GPU", ""]
    if not os.path.exists(path):
        return lines + [NO_GPU + " Only the CPU backend was measured."]
    context, rows = benchmark_rows(path)
    e2e_path = os.path.join(os.path.dirname(path), "e2e_gpu.json")
    commit = load_json(e2e_path).get("commit", "unknown") if os.path.exists(e2e_path) else "unknown"
    lines += ["Measured by `bench/gpu_check.sh` on a lent GPU machine (16 cores), stages started %s, binaries built at "
              "commit %s; from `%s`%s. The CPU rows are the CPU backend on that machine's host (2 threads)." % (
                  context.get("date", "?"), commit, os.path.basename(path),
                  ", device: " + context["cuda_device"] if "cuda_device" in context else ""),
              "",
              "| benchmark | M items/s | ms | CUDA / CPU |",
              "|---|---:|---:|---:|"]
    for name, row in rows.items():
        if "error" in row:
            lines.append("| %s | | | %s |" % (name, row["error"]))
            continue
        cpu = rows.get(name[:-len("_cuda")]) if name.endswith("_cuda") else None
        ratio = "%.2f" % (row["items_per_second"] / cpu["items_per_second"]) if cpu and "error" not in cpu else ""
        lines.append("| %s | %s | %s | %s |" % (name, mega(row["items_per_second"]), milliseconds(row), ratio))
    return lines


def kernel_section(path):
    """Per-kernel CUDA event timings against the device's copy bandwidth (bench/cuda_kernels.cu via gpu_check.sh)."""
    if not os.path.exists(path):
        return []
    report = load_json(path)
    lines = ["", "Kernels timed with CUDA events (median of %d after warm-up, %d x %d) on %s; device-to-device copy "
             "bandwidth %.0f GB/s. Target: each kernel at >= 60%% of it." % (
                 report["repeats"], report["size"], report["size"], report["device"],
                 report["copy_device_to_device_gbps"]),
             "",
             "| kernel | traffic counted | ms | GB/s | share of copy bandwidth | >= 60%? |",
             "|---|---|---:|---:|---:|---|"]
    for k in report["kernels"]:
        lines.append("| %s | %s | %.3f | %.0f | %.0f%% | %s |" % (
            k["name"], k.get("counted", "?"), k["median_ms"], k["gbps"], 100 * k["fraction_of_copy"],
            "yes" if k["fraction_of_copy"] >= 0.6 else "**no**"))
    return lines


def kernel_name(signature):
    """A kernel's name without its argument list and namespaces, e.g. tiled_contrast_kernel<float>."""
    depth = 0
    for i in range(len(signature) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(signature[i], 0)
        if depth == 0 and signature[i] == "(":
            signature = signature[:i]
            break
    signature = re.sub(r"^void\s+", "", signature)
    return re.sub(r"(<?unnamed>|\(anonymous namespace\)|\bcampscope|\bdetect|\bcuda)::", "", signature)


def ncu_section(path):
    """What limits each kernel, from Nsight Compute's speed-of-light figures (ncu.txt from gpu_check.sh): the first
    profiled launch of each kernel."""
    if not os.path.exists(path):
        return []
    header = re.compile(r"^\s+(.*) \(\d+, \d+, \d+\)x\(\d+, \d+, \d+\), Context ")
    metric = re.compile(r"^\s+(Duration|DRAM Throughput|L1/TEX Cache Throughput|Compute \(SM\) Throughput)\s+(\S+)\s+"
                        r"([0-9.,]+)$")
    kernels, current = {}, None
    for line in open(path):
        match = header.match(line)
        if match:
            name = kernel_name(match.group(1))
            current = kernels.setdefault(name, {}) if name not in kernels else None
            continue
        match = metric.match(line.rstrip())
        if current is not None and match and match.group(1) not in current:
            current[match.group(1)] = (float(match.group(3).replace(",", "")), match.group(2))
    if not kernels:
        return []
    lines = ["", "What limits each kernel: Nsight Compute's speed-of-light figures for its first profiled launch "
             "(`ncu --section SpeedOfLight` on bench/cuda_kernels, 4096 x 4096, clocks not locked; from ncu.txt). A "
             "kernel can reach the copy bandwidth only where DRAM is its busiest unit.",
             "",
             "| kernel | us | DRAM busy | L1/shared busy | SM issue busy | busiest |",
             "|---|---:|---:|---:|---:|---|"]
    units = [("DRAM Throughput", "DRAM"), ("L1/TEX Cache Throughput", "L1/shared"), ("Compute (SM) Throughput", "SM")]
    for name, figures in kernels.items():
        if any(key not in figures for key, _ in units) or "Duration" not in figures:
            continue
        duration, unit = figures["Duration"]
        microseconds = duration * {"ms": 1000.0, "ns": 0.001}.get(unit, 1.0)
        busiest = max(units, key=lambda u: figures[u[0]][0])[1]
        lines.append("| %s | %.0f | %.0f%% | %.0f%% | %.0f%% | %s |" % (
            name.replace("|", "\\|"), microseconds, figures["DRAM Throughput"][0],
            figures["L1/TEX Cache Throughput"][0], figures["Compute (SM) Throughput"][0], busiest))
    return lines


def gpu_e2e_section(path):
    """`campscope run` on a batch, both backends, on the GPU machine (bench/gpu_check.sh)."""
    if not os.path.exists(path):
        return []
    report = load_json(path)
    mpix = report["pixels"] / 1e6
    floor = report["decode_seconds"]
    lines = ["", "End to end on the GPU machine: `campscope run` over %d copies of the sample (%d tiles, %.0f Mpix); "
             "decode floor (GDAL only, %d threads) %.1f s, %.1f Mpix/s." % (
                 report["copies"], report["tiles"], mpix, report["decode_threads"], floor, mpix / floor),
             "",
             "| backend | threads | seconds | Mpix/s | share of decode-floor throughput |",
             "|---|---:|---:|---:|---:|"]
    for run in report["runs"]:
        lines.append("| %s | %d | %.1f | %.1f | %.0f%% |" % (run["backend"], run["threads"], run["seconds"],
                                                          mpix / run["seconds"], 100 * floor / run["seconds"]))
    return lines


def sanitize_section(path):
    """The compute-sanitizer summary lines bench/gpu_sanitize.sh wrote (its summary.txt, copied as sanitize.txt)."""
    if not os.path.exists(path):
        return []
    lines = ["", "CUDA tests under compute-sanitizer (`bench/gpu_sanitize.sh`, same bundle and machine):", ""]
    return lines + ["- " + line.strip() for line in open(path) if line.strip()]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_results.py OUT_DIR")
    out = sys.argv[1]
    context, rows = benchmark_rows(os.path.join(out, "stages.json"))
    e2e = load_json(os.path.join(out, "e2e.json"))

    # The commit the CPU figures were measured at, as run_benchmarks.sh recorded it; the GPU section names its own.
    commit = e2e.get("commit", "not recorded")
    memory = memory_gib()
    load = context.get("load_avg")
    lines = [
        "# campscope benchmark results",
        "",
        "Generated by `python3 bench/make_results.py bench/out` from the outputs of `bench/run_benchmarks.sh`; "
        "do not edit by hand.",
        "",
        "- Date (UTC): %s (stage benchmarks started %s)" % (
            datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"), context.get("date", "?")),
        "- Machine: %d CPUs (nproc), %s%s%s" % (
            os.cpu_count() or 0, cpu_model(), ", %.0f GiB memory" % memory if memory else "",
            ", load average %s when the stages started" % " / ".join("%.2f" % x for x in load) if load else ""),
        "- Commit: %s" % commit,
        "- Libraries: OpenCV %s, GDAL %s, Google Benchmark built as %s" % (
            context.get("opencv", "?"), context.get("gdal", "?"), context.get("library_build_type", "?")),
        "- Commands:",
    ]
    for key, command in e2e.get("commands", {}).items():
        lines.append("  - %s: `%s`" % (key, command))
    lines.append("")
    lines += stages_section(context, rows)
    lines.append("")
    lines += e2e_section(e2e)
    lines.append("")
    previous = previous_sections(os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"))
    large_path = os.path.join(out, "large.json")
    if not os.path.exists(large_path) and "One large tile" in previous:
        lines += carried_over(previous["One large tile"], "`bench/large_tile.sh` writes `bench/out/large.json`")
    else:
        lines += large_section(large_path)
    lines.append("")
    if not os.path.exists(os.path.join(out, "gpu.json")) and "GPU" in previous:
        lines += carried_over(previous["GPU"], "no GPU was lent to it; `bench/gpu_check.sh` writes the GPU files")
    else:
        lines += gpu_section(os.path.join(out, "gpu.json"))
        lines += kernel_section(os.path.join(out, "cuda_kernels.json"))
        lines += ncu_section(os.path.join(out, "ncu.txt"))
        lines += gpu_e2e_section(os.path.join(out, "e2e_gpu.json"))
        lines += sanitize_section(os.path.join(out, "sanitize.txt"))
    print("\n".join(lines))


def previous_sections(path):
    """The measured sections of an earlier RESULTS.md by heading (text after "## " up to its first "(" or the
    line's end), each from its heading to the next; sections that say they were not measured are left out."""
    if not os.path.exists(path):
        return {}
    sections, name = {}, None
    for line in open(path).read().splitlines():
        if line.startswith("## "):
            name = line[3:].split("(")[0].strip()
            sections[name] = [line]
        elif name:
            sections[name].append(line)
    return {k: v for k, v in sections.items()
            if not any(l.startswith("Not measured") or l.startswith(NO_GPU) for l in v)}


def carried_over(section, why):
    """An earlier section kept as it was, saying so: this run did not measure it."""
    while section and not section[-1].strip():
        section = section[:-1]
    return [section[0], "", "Carried over from the previous RESULTS.md (this run did not measure it: %s); the "
            "figures are those of the date and commit it names." % why] + [
        l for l in section[1:] if not l.startswith("Carried over from the previous RESULTS.md")]


if __name__ == "__main__":
    main()
