// The density map's smoothing passes on the device (defined in density_cuda.cu, compiled only when
// CAMPSCOPE_WITH_CUDA is set), for density_map_cuda and the kernel benchmark.
#pragma once
#include <cuda_runtime.h>

namespace campscope {

// The separable Gaussian's two passes over a row-major width x height grid, bit-identical to DensityRowPass and
// DensityColumnPass (no spans: every cell is summed). The column pass also scales to persons per km^2; its `out`
// may be the row pass's `in`.
void density_row_pass_cuda(const float* in, float* out, const float* weights, int radius, int width, int height,
                           cudaStream_t stream);
void density_column_pass_cuda(const float* in, float* out, const float* weights, int radius, int width, int height,
                              float per_km2, cudaStream_t stream);

}  // namespace campscope
