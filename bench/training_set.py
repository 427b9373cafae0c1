#!/usr/bin/env python3
"""One labelled training set out of several: `campscope calibrate` takes a single manifest and truth file.

    bench/training_set.py OUT_DIR SET[*WEIGHT] [SET[*WEIGHT] ...]

Each SET is a folder holding manifest.json and truth.geojson (from `campscope generate` or bench/kit_scenes). The
combined manifest lists every set's tiles WEIGHT times (default 1), each copy k years later than the one before, and
the truth follows: calibrate matches labels to tiles by date, so the copies never meet, and a set given weight 2
counts twice in the forest's examples (the KIT mosaics are few beside the generated scenes). Paths point into
the sets' own folders, linked from OUT_DIR once per copy (s0c0, s0c1, ..., s1c0, ...).
"""
import json
import os
import sys


def shift_date(date, years):
    return f"{int(date[:4]) + years:04d}{date[4:]}"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    tiles, features, years = [], [], 0
    for index, spec in enumerate(sys.argv[2:]):
        folder, _, weight = spec.partition("*")
        copies = int(weight) if weight else 1
        try:
            manifest = json.load(open(os.path.join(folder, "manifest.json")))
            truth = json.load(open(os.path.join(folder, "truth.geojson")))
        except (OSError, ValueError) as error:
            sys.exit(f"training_set: {folder}: {error}")
        for copy in range(copies):
            # A manifest lists each file once: every copy reads its set through a link of its own.
            name = f"s{index}c{copy}"
            link = os.path.join(out, name)
            if os.path.lexists(link):
                os.remove(link)
            os.symlink(os.path.abspath(folder), link)
            years += 10  # generated scenes span a few months; ten years keeps every copy apart
            for tile in manifest["tiles"]:
                tiles.append({"path": f"{name}/{tile['path']}", "date": shift_date(tile["date"], years)})
            for feature in truth["features"]:
                properties = dict(feature["properties"])
                properties["date"] = shift_date(properties["date"], years)
                if "tile" in properties:
                    properties["tile"] = f"{name}/{properties['tile']}"
                features.append({**feature, "properties": properties})
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"tiles": tiles}, f, indent=1)
    with open(os.path.join(out, "truth.geojson"), "w") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f)
    print(f"training_set: {len(tiles)} tiles, {len(features)} labels in {out}")


if __name__ == "__main__":
    main()
