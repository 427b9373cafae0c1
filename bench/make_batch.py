#!/usr/bin/env python3
"""Writes a batch of COPIES copies of a generated sample's tiles, for the end-to-end benchmarks.

    bench/make_batch.py SAMPLE_DIR BATCH_DIR COPIES

The tiles are symlinks (the manifest rejects a path listed twice); copy k is dated k years after the original so
each copy is processed as its own dates, like the original.
"""
import json, os, sys
sample, batch, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(os.path.join(sample, "manifest.json")) as f:
    manifest = json.load(f)
os.makedirs(os.path.join(batch, "tiles"))
tiles = []
for k in range(copies):
    for tile in manifest["tiles"]:
        name = "c%03d_%s" % (k, os.path.basename(tile["path"]))
        os.symlink(os.path.relpath(os.path.join(sample, tile["path"]), os.path.join(batch, "tiles")),
                   os.path.join(batch, "tiles", name))
        year = int(tile["date"][:4]) + k
        tiles.append({"path": "tiles/" + name, "date": "%04d%s" % (year, tile["date"][4:])})
out = {"tiles": tiles}
for key in ("camps", "reported"):
    if key in manifest:
        out[key] = os.path.relpath(os.path.join(sample, manifest[key]), batch)
with open(os.path.join(batch, "manifest.json"), "w") as f:
    json.dump(out, f, indent=2)
