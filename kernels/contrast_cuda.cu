#include "contrast_cuda.h"

#include <stdexcept>

#include "cuda_check.cuh"
#include "detect_pixels_impl.h"
#include "parallel_for.cuh"

namespace campscope::detect {
namespace {

// A CUDA block computes a kTileSide x kTileSide tile of the response, kTileSide / kTileRows rows per thread.
constexpr int kTileSide = 32;
constexpr int kTileRows = 8;
constexpr int kTileThreads = kTileSide * kTileRows;

// The tile's integral images: entries (i, j), 0 <= i, j <= side, of the (side x side)-pixel window that starts
// `reach` pixels west and north of the tile, one plane per channel. The pitch, side + 1 = 33 + 2 reach, is odd, so
// threads scanning neighbouring rows touch different banks.
struct TileLayout {
  int reach, side, pitch, plane;
  __host__ __device__ explicit TileLayout(const PixelParams& params)
      : reach(contrast_reach(params)), side(kTileSide + 2 * reach), pitch(side + 1), plane((side + 1) * (side + 1)) {}
  std::size_t shared_bytes() const { return static_cast<std::size_t>(kChannels) * plane * sizeof(std::uint32_t); }
};

template <typename Real>
__global__ void __launch_bounds__(kTileThreads)
    tiled_contrast_kernel(const std::uint8_t* rgb, const std::uint8_t* valid, int width, int height, PixelParams params,
                          std::uint16_t* response) {
  extern __shared__ std::uint32_t tile[];
  const TileLayout layout(params);
  const int thread = threadIdx.y * kTileSide + threadIdx.x;
  const int window_x = static_cast<int>(blockIdx.x) * kTileSide - layout.reach;
  const int window_y = static_cast<int>(blockIdx.y) * kTileSide - layout.reach;
  // Entry (i, j) first holds pixel (i - 1, j - 1) of the window; row 0 and column 0 stay zero.
  for (int e = thread; e < layout.plane; e += kTileThreads) {
    const int x = window_x + e % layout.pitch - 1, y = window_y + e / layout.pitch - 1;
    const bool imaged = e % layout.pitch > 0 && e >= layout.pitch && x >= 0 && y >= 0 && x < width && y < height;
    const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
    for (int c = 0; c < kChannels; ++c) tile[c * layout.plane + e] = imaged ? masked_channel(rgb, valid, p, c) : 0u;
  }
  __syncthreads();
  for (int task = thread; task < kChannels * layout.side; task += kTileThreads) {
    std::uint32_t* row = tile + (task / layout.side) * layout.plane + (task % layout.side + 1) * layout.pitch;
    std::uint32_t sum = 0;
    for (int i = 1; i <= layout.side; ++i) row[i] = sum += row[i];
  }
  __syncthreads();
  for (int task = thread; task < kChannels * layout.side; task += kTileThreads) {
    std::uint32_t* column = tile + (task / layout.side) * layout.plane + task % layout.side + 1;
    std::uint32_t sum = 0;
    for (int j = 1; j <= layout.side; ++j) column[j * layout.pitch] = sum += column[j * layout.pitch];
  }
  __syncthreads();
  const InteriorScale vehicle(layout.pitch, layout.plane, params.vehicle_inner_half, params.vehicle_outer_half);
  const InteriorScale tent(layout.pitch, layout.plane, params.tent_inner_half, params.tent_outer_half);
  const int x = static_cast<int>(blockIdx.x) * kTileSide + threadIdx.x;
  if (x >= width) return;
  for (int r = threadIdx.y; r < kTileSide; r += kTileRows) {
    const int y = static_cast<int>(blockIdx.y) * kTileSide + r;
    if (y >= height) break;
    const std::uint32_t* entry = tile + (r + layout.reach) * layout.pitch + threadIdx.x + layout.reach;
    ContrastResponse::interior<1, Real>(vehicle, tent, entry, response + static_cast<std::int64_t>(y) * width + x);
  }
}

// Largest dynamic shared memory a block of the current device may opt in to.
std::size_t shared_bytes_limit() {
  int device = 0, bytes = 0;
  CAMPSCOPE_CUDA_CHECK(cudaGetDevice(&device));
  CAMPSCOPE_CUDA_CHECK(cudaDeviceGetAttribute(&bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  return static_cast<std::size_t>(bytes);
}

double largest_tile_product(const PixelParams& params) {
  const TileLayout layout(params);
  return largest_product(
      InteriorScale(layout.pitch, layout.plane, params.vehicle_inner_half, params.vehicle_outer_half),
      InteriorScale(layout.pitch, layout.plane, params.tent_inner_half, params.tent_outer_half));
}

template <typename Real>
void launch(const std::uint8_t* rgb, const std::uint8_t* valid, int width, int height, const PixelParams& params,
            std::uint16_t* response, cudaStream_t stream) {
  const std::size_t bytes = TileLayout(params).shared_bytes();
  // Beyond 48 KiB a kernel must opt in; setting the attribute is cheap next to a launch.
  CAMPSCOPE_CUDA_CHECK(cudaFuncSetAttribute(tiled_contrast_kernel<Real>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                            static_cast<int>(bytes)));
  const dim3 grid(cuda::blocks_for(static_cast<std::size_t>(width), kTileSide),
                  cuda::blocks_for(static_cast<std::size_t>(height), kTileSide));
  tiled_contrast_kernel<Real>
      <<<grid, dim3(kTileSide, kTileRows), bytes, stream>>>(rgb, valid, width, height, params, response);
  CAMPSCOPE_CUDA_CHECK_LAUNCH();
}

}  // namespace

bool tiled_contrast_fits(const PixelParams& params) {
  return TileLayout(params).shared_bytes() <= shared_bytes_limit() && largest_tile_product(params) < kDoubleExactBelow;
}

void tiled_contrast_cuda(const std::uint8_t* rgb, const std::uint8_t* valid, int width, int height,
                         const PixelParams& params, std::uint16_t* response, cudaStream_t stream) {
  if (!tiled_contrast_fits(params)) throw std::invalid_argument("tiled_contrast_cuda: the boxes do not fit a tile");
  if (width <= 0 || height <= 0) return;
  if (cuda::blocks_for(static_cast<std::size_t>(height), kTileSide) > kMaxGridRows)
    throw std::invalid_argument("tiled_contrast_cuda: more rows than a CUDA grid holds");
  if (largest_tile_product(params) < kFloatExactBelow) {
    launch<float>(rgb, valid, width, height, params, response, stream);
  } else {
    launch<double>(rgb, valid, width, height, params, response, stream);
  }
}

}  // namespace campscope::detect
