# Sourced by the scripts that run on a lent GPU machine (gpu_check.sh, gpu_sanitize.sh): unpacks the bundle
# bench/gpu_bundle.sh made (.gpu, carried) into $work and points the loader and GDAL/PROJ at it. Expects the
# caller's name in $script and its default output folder in $default_out; sets $out (the device tool's $OUT when
# set) and $bin.
out=${OUT:-$default_out}
work=/tmp/campscope-gpu
mkdir -p "$out" "$work"
tar -C "$work" -xJf .gpu/runtime.tar.xz || { echo "$script: no .gpu/runtime.tar.xz (carry .gpu)" >&2; exit 2; }
export LD_LIBRARY_PATH=$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export GDAL_DATA=$work/share/gdal PROJ_DATA=$work/share/proj PROJ_LIB=$work/share/proj
bin=$work/bin
