#!/usr/bin/env python3
"""Interval coverage of campscope's population estimates against the generator's truth (stdlib only).

Reads, for each seed K under --work, seedK/truth_population.csv, seedK/run/estimates.csv and seedK/eval.json (written
by bench/interval_coverage.sh) and writes a JSON summary and a short markdown table. Rows with coverage 0 carry no
counts and are left out; rows with 0 < coverage < 1 are also summarised on their own. truth_population.csv counts only
tents whose centre lies on an imaged pixel, and the estimator does not scale counts up by coverage, so a partially
imaged row compares like with like.
"""
import argparse
import csv
import datetime
import json
import sys
from pathlib import Path

CONTAINED_TARGET = 0.90
WIDTH_AIM_PCT = 30.0
PROFILE_NOTES = {
    "default": "the scenes the detector was tuned on (0.5 m, 8-bit RGB, mid-morning sun)",
    "hard": "GSD 0.3-1.0 m per tile, haze, colour shifts, JPEG, 16-bit RGB+NIR, low sun, clouds, packed and "
            "low-contrast tents, shelters, walls with parked cars (campscope generate --profile hard)",
}
NOTES = [
    "Partially imaged rows compare like with like: truth_population.csv counts only tents whose centre lies on an "
    "imaged pixel, and the estimate is not scaled up by coverage.",
    "The generator's truth is tents x the camp's persons_per_tent, the same figure the point estimate uses, so the "
    "containment rate tests the count error only, not the occupancy range that makes most of the width.",
]


def fail(message):
    sys.exit(f"interval_coverage: {message}")


def read_csv(path, columns):
    if not path.is_file():
        fail(f"{path}: not found")
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            fail(f"{path}: no column {', '.join(missing)}")
        return list(reader)


def number(path, row, column):
    try:
        return float(row[column])
    except (TypeError, ValueError):
        fail(f"{path}: {row['camp']} {row['date']} has {column}={row[column]!r}, not a number")


def seed_rows(seed_dir, seed):
    truth_path = seed_dir / "truth_population.csv"
    estimates_path = seed_dir / "run" / "estimates.csv"
    truth = {(r["camp"], r["date"]): number(truth_path, r, "population")
             for r in read_csv(truth_path, ["camp", "date", "population"])}
    rows = []
    for r in read_csv(estimates_path, ["camp", "date", "population", "population_low", "population_high",
                                       "coverage"]):
        coverage = number(estimates_path, r, "coverage")
        if coverage <= 0.0:
            continue
        key = (r["camp"], r["date"])
        if key not in truth:
            fail(f"{truth_path}: no row for {key[0]} on {key[1]}, which {estimates_path} estimates")
        estimate = number(estimates_path, r, "population")
        low = number(estimates_path, r, "population_low")
        high = number(estimates_path, r, "population_high")
        true_population = truth[key]
        rows.append({
            "seed": seed,
            "camp": key[0],
            "date": key[1],
            "coverage": coverage,
            "truth": true_population,
            "estimate": estimate,
            "low": low,
            "high": high,
            "contained": low <= true_population <= high,
            "width_pct": 100.0 * (high - low) / estimate if estimate > 0 else None,
            "error_pct": 100.0 * (estimate - true_population) / true_population if true_population > 0 else None,
        })
    return rows


def mean(values):
    return sum(values) / len(values) if values else None


def summarise(rows):
    widths = [r["width_pct"] for r in rows if r["width_pct"] is not None]
    errors = [r["error_pct"] for r in rows if r["error_pct"] is not None]
    contained = sum(r["contained"] for r in rows)
    worst = max((r for r in rows if r["error_pct"] is not None), key=lambda r: abs(r["error_pct"]), default=None)
    fraction = contained / len(rows) if rows else None
    width = mean(widths)
    return {
        "rows": len(rows),
        "contained": contained,
        "contained_fraction": fraction,
        "mean_width_pct_of_estimate": width,
        "mean_abs_error_pct": mean([abs(e) for e in errors]),
        "max_abs_error_pct": abs(worst["error_pct"]) if worst else None,
        "max_abs_error_row": {k: worst[k] for k in ("seed", "camp", "date")} if worst else None,
        "mean_signed_error_pct": mean(errors),
        "rows_without_error_pct": len(rows) - len(errors),
        "meets_contained_target": fraction is not None and fraction >= CONTAINED_TARGET,
        "meets_width_aim": width is not None and width <= WIDTH_AIM_PCT,
    }


def detector_f1(eval_path, seed):
    """Per-class precision, recall and F1, and the worst per-camp tent count error over (camp, date) rows."""
    if not eval_path.is_file():
        fail(f"{eval_path}: not found")
    try:
        classes = json.loads(eval_path.read_text())["classes"]
        row = {"seed": seed}
        for cls in ("tent", "vehicle"):
            for key in ("precision", "recall", "f1"):
                row[f"{cls}_{key}"] = classes[cls][key]
        errors = [abs(counts["count_error"]) for dates in classes["tent"].get("by_camp", {}).values()
                  for counts in dates.values() if counts["truth"] > 0]
        row["max_camp_tent_count_error"] = max(errors) if errors else None
        return row
    except (ValueError, KeyError, TypeError) as error:
        fail(f"{eval_path}: no classes.tent / classes.vehicle precision, recall and f1 ({error})")


def pct(value, decimals=1):
    return "n/a" if value is None else f"{value:.{decimals}f}%"


def markdown(report):
    lines = [
        "# Population interval coverage",
        "",
        f"- date: {report['date']}",
        f"- commit: {report['commit']}" + (" (working tree has uncommitted changes)" if report["dirty"] else ""),
        f"- command: `{report['command']}`",
        f"- seeds: {report['seeds'][0]}..{report['seeds'][-1]} ({len(report['seeds'])}), profile "
        f"\"{report['profile']}\"; {report['profile_note']}",
        "",
        f"| rows | n | truth in [low, high] (target >= {CONTAINED_TARGET:.0%}) | mean width, % of estimate "
        f"(aim <= {WIDTH_AIM_PCT:.0f}%) | mean abs error | max abs error |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, key in (("coverage > 0", "imaged"), ("0 < coverage < 1", "partially_imaged")):
        s = report[key]
        fraction = "n/a" if s["contained_fraction"] is None else \
            f"{s['contained']}/{s['rows']} = {pct(100.0 * s['contained_fraction'])}"
        lines.append(f"| {label} | {s['rows']} | {fraction} | {pct(s['mean_width_pct_of_estimate'])} | "
                     f"{pct(s['mean_abs_error_pct'], 2)} | {pct(s['max_abs_error_pct'], 2)} |")
    f1 = report["detector_f1"]
    lines += ["", "| seed | tent F1 | vehicle F1 |", "|---:|---:|---:|"]
    lines += [f"| {r['seed']} | {r['tent_f1']:.4f} | {r['vehicle_f1']:.4f} |" for r in f1]
    lines.append(f"| mean | {mean([r['tent_f1'] for r in f1]):.4f} | {mean([r['vehicle_f1'] for r in f1]):.4f} |")
    lines += ["", *[f"Note: {note}" for note in report["notes"]]]
    misses = [r for r in report["rows"] if not r["contained"]]
    if misses:
        lines += ["", "Rows whose interval misses the truth:", ""]
        lines += [f"- seed {r['seed']} {r['camp']} {r['date']}: truth {r['truth']:.0f}, estimate {r['estimate']:.0f} "
                  f"[{r['low']:.0f}, {r['high']:.0f}], coverage {r['coverage']:.4f}" for r in misses]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="folder holding seed1..seedN")
    parser.add_argument("--seeds", type=int, required=True)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--calibrated", choices=("yes", "no"), default="no",
                        help="the runs used a calibrated model (campscope run --model)")
    parser.add_argument("--profile", default="default")
    parser.add_argument("--command", required=True, help="the command that produced the runs, for the record")
    parser.add_argument("--commit", required=True)
    parser.add_argument("--dirty", choices=("yes", "no"), default="no")
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--markdown", type=Path, required=True)
    args = parser.parse_args()
    if args.seeds < 1:
        fail(f"--seeds must be at least 1, got {args.seeds}")

    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    rows, f1 = [], []
    for seed in seeds:
        seed_dir = args.work / f"seed{seed}"
        rows += seed_rows(seed_dir, seed)
        f1.append(detector_f1(seed_dir / "eval.json", seed))
    if not rows:
        fail(f"{args.work}: no imaged (camp, date) rows in any estimates.csv")

    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": args.commit,
        "dirty": args.dirty == "yes",
        "command": args.command,
        "seeds": seeds,
        "profile": args.profile,
        "calibrated": args.calibrated == "yes",
        "profile_note": PROFILE_NOTES.get(args.profile, ""),
        "notes": NOTES,
        "targets": {"contained_fraction_min": CONTAINED_TARGET, "mean_width_pct_max": WIDTH_AIM_PCT},
        "imaged": summarise(rows),
        "partially_imaged": summarise([r for r in rows if r["coverage"] < 1.0]),
        "detector_f1": f1,
        "rows": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    args.markdown.write_text(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
