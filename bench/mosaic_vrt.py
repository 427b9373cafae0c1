#!/usr/bin/env python3
"""Prints a GDAL VRT that repeats one tile in a grid to SIZE x SIZE pixels, georeferenced from the tile's origin.

    python3 bench/mosaic_vrt.py tile.tif SIZE > mosaic.vrt
"""
import os
import subprocess
import sys
import xml.sax.saxutils


def main():
    tile, size = sys.argv[1], int(sys.argv[2])
    info = subprocess.run(["gdalinfo", "-json", tile], capture_output=True, text=True, check=True).stdout
    import json
    meta = json.loads(info)
    width, height = meta["size"]
    gt = meta["geoTransform"]
    wkt = meta["coordinateSystem"]["wkt"]
    source = os.path.abspath(tile)
    out = ['<VRTDataset rasterXSize="%d" rasterYSize="%d">' % (size, size),
           "  <SRS>%s</SRS>" % xml.sax.saxutils.escape(wkt),
           "  <GeoTransform>%s</GeoTransform>" % ", ".join(repr(v) for v in gt)]
    for band, colour in ((1, "Red"), (2, "Green"), (3, "Blue")):
        out.append('  <VRTRasterBand dataType="Byte" band="%d">' % band)
        out.append("    <ColorInterp>%s</ColorInterp>" % colour)
        out.append("    <NoDataValue>0</NoDataValue>")
        for y in range(0, size, height):
            for x in range(0, size, width):
                w, h = min(width, size - x), min(height, size - y)
                out.append('    <SimpleSource><SourceFilename relativeToVRT="0">%s</SourceFilename>'
                           '<SourceBand>%d</SourceBand><SrcRect xOff="0" yOff="0" xSize="%d" ySize="%d"/>'
                           '<DstRect xOff="%d" yOff="%d" xSize="%d" ySize="%d"/></SimpleSource>'
                           % (source, band, w, h, x, y, w, h))
        out.append("  </VRTRasterBand>")
    out.append("</VRTDataset>")
    print("\n".join(out))


if __name__ == "__main__":
    main()
