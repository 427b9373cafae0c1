// Per-kernel timing on the GPU: each detection and density kernel on a synthetic scene, timed with CUDA events
// after warm-up (median of repeats), its nominal memory traffic turned into GB/s and set against the device's own
// measured device-to-device copy bandwidth (issue 4's target: at least 60%). Writes JSON to stdout.
//
//   cuda_kernels [--size N] [--repeats R]     (default 4096 x 4096 pixels, 20 repeats)
//
// Traffic is counted as the bytes a kernel must read and write once (an integral image entry is four channels of
// 4 bytes); kernels that reread neighbours from cache can exceed what that count suggests.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "contrast_cuda.h"
#include "cuda_check.cuh"
#include "density_passes_cuda.h"
#include "detect_impl.h"
#include "detect_pixels_impl.h"
#include "integral_cuda.h"
#include "parallel_for.cuh"

namespace campscope {
namespace {

// Median milliseconds of `repeats` timed runs of `launch` after three untimed ones.
double median_ms(const std::function<void(cudaStream_t)>& launch, cudaStream_t stream, int repeats) {
  cudaEvent_t start = nullptr, stop = nullptr;
  CAMPSCOPE_CUDA_CHECK(cudaEventCreate(&start));
  CAMPSCOPE_CUDA_CHECK(cudaEventCreate(&stop));
  for (int i = 0; i < 3; ++i) launch(stream);
  std::vector<float> times;
  for (int i = 0; i < repeats; ++i) {
    CAMPSCOPE_CUDA_CHECK(cudaEventRecord(start, stream));
    launch(stream);
    CAMPSCOPE_CUDA_CHECK(cudaEventRecord(stop, stream));
    CAMPSCOPE_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0.0f;
    CAMPSCOPE_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    times.push_back(ms);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

struct Measured {
  std::string name;
  double ms;
  double bytes;
  std::string counted;  // the traffic `bytes` counts
};

int run(int size, int repeats) {
  int device = 0;
  CAMPSCOPE_CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp properties{};
  CAMPSCOPE_CUDA_CHECK(cudaGetDeviceProperties(&properties, device));
  cuda::Stream stream;
  const int w = size, h = size;
  const std::int64_t pixels = static_cast<std::int64_t>(w) * h;

  // A scene with structure at the detector's scales: soil with noise and bright and dark rectangles.
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(pixels) * 3), valid(static_cast<std::size_t>(pixels), 1);
  std::mt19937 random(7);
  std::normal_distribution<float> noise(0.0f, 6.0f);
  for (std::int64_t p = 0; p < pixels; ++p) {
    const int x = static_cast<int>(p % w), y = static_cast<int>(p / w);
    const bool object = (x / 6 + y / 9) % 7 == 0;
    const float base[3] = {object ? 240.0f : 170.0f, object ? 240.0f : 155.0f, object ? 235.0f : 130.0f};
    for (int c = 0; c < 3; ++c)
      rgb[static_cast<std::size_t>(p) * 3 + c] = static_cast<std::uint8_t>(std::clamp(base[c] + noise(random), 1.0f, 255.0f));
  }
  cuda::DeviceBuffer<std::uint8_t> d_rgb(rgb.size()), d_valid(valid.size()), d_candidates(valid.size());
  cuda::DeviceBuffer<std::uint32_t> d_integral(static_cast<std::size_t>(detect::integral_size(w, h)));
  cuda::DeviceBuffer<std::uint16_t> d_response(static_cast<std::size_t>(pixels));
  CAMPSCOPE_CUDA_CHECK(cudaMemcpy(d_rgb.data(), rgb.data(), rgb.size(), cudaMemcpyHostToDevice));
  CAMPSCOPE_CUDA_CHECK(cudaMemcpy(d_valid.data(), valid.data(), valid.size(), cudaMemcpyHostToDevice));
  const detect::PixelParams params = detect::to_pixel_params(DetectorParams{}, 0.5);

  // The yardstick: a device-to-device copy of the integral image's size (read and write counted).
  const std::size_t copy_bytes = static_cast<std::size_t>(detect::integral_size(w, h)) * sizeof(std::uint32_t);
  cuda::DeviceBuffer<std::uint8_t> copy_from(copy_bytes), copy_to(copy_bytes);
  CAMPSCOPE_CUDA_CHECK(cudaMemset(copy_from.data(), 1, copy_bytes));
  const double copy_ms = median_ms(
      [&](cudaStream_t s) {
        CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(copy_to.data(), copy_from.data(), copy_bytes, cudaMemcpyDeviceToDevice, s));
      },
      stream.get(), repeats);
  const double copy_gbps = 2.0 * static_cast<double>(copy_bytes) / (copy_ms * 1e6);

  const double entry = detect::kChannels * sizeof(std::uint32_t);
  std::vector<Measured> kernels;
  const auto time = [&](const std::string& name, double bytes, const std::string& counted,
                        const std::function<void(cudaStream_t)>& launch) {
    kernels.push_back({name, median_ms(launch, stream.get(), repeats), bytes, counted});
  };
  // The contrast response as the detector computes it: tiled from the pixels, or, for boxes too large for a tile,
  // from integral images of the whole block. The second path's kernels are timed one by one as well.
  cuda::DeviceBuffer<std::uint32_t> d_column_sums(
      static_cast<std::size_t>(detect::prefix_columns_scratch_words(w, h)));
  cuda::DeviceBuffer<std::uint16_t> d_tiled_response(static_cast<std::size_t>(pixels));
  time("detect/tiled_contrast", pixels * (4.0 + 2.0), "pixels in, response out", [&](cudaStream_t s) {
    detect::tiled_contrast_cuda(d_rgb.data(), d_valid.data(), w, h, params, d_tiled_response.data(), s);
  });
  // At 0.3 m the boxes reach 13 pixels: the tile's integral images take 56 KB, beyond the 48 KB a block has
  // without opting in.
  const detect::PixelParams fine = detect::to_pixel_params(DetectorParams{}, 0.3);
  time("detect/tiled_contrast (0.3 m boxes)", pixels * (4.0 + 2.0), "pixels in, response out", [&](cudaStream_t s) {
    detect::tiled_contrast_cuda(d_rgb.data(), d_valid.data(), w, h, fine, d_tiled_response.data(), s);
  });
  time("detect/integral_rows (large boxes)", pixels * (4.0 + entry), "pixels in, integral out",
       [&](cudaStream_t s) { detect::integral_rows_cuda(d_rgb.data(), d_valid.data(), w, h, d_integral.data(), s); });
  // Each entry read and written once (the chunked passes read it twice).
  time("detect/prefix_columns (large boxes)", pixels * 2.0 * entry, "integral in and out",
       [&](cudaStream_t s) { detect::prefix_columns_cuda(d_integral.data(), w, h, d_column_sums.data(), s); });
  // The timed passes ran the in-place column prefix many times over: build the integral images once more.
  detect::integral_rows_cuda(d_rgb.data(), d_valid.data(), w, h, d_integral.data(), stream.get());
  detect::prefix_columns_cuda(d_integral.data(), w, h, d_column_sums.data(), stream.get());
  time("detect/contrast_response (large boxes)", pixels * (entry + 2.0), "integral in, response out",
       [&](cudaStream_t s) {
         for_each_pixel_cuda(w, h, detect::ContrastResponse{d_integral.data(), d_response.data(), w, h, params, 1}, s);
       });
  detect::tiled_contrast_cuda(d_rgb.data(), d_valid.data(), w, h, params, d_tiled_response.data(), stream.get());
  std::vector<std::uint16_t> tiled(static_cast<std::size_t>(pixels)), whole(static_cast<std::size_t>(pixels));
  CAMPSCOPE_CUDA_CHECK(cudaMemcpy(tiled.data(), d_tiled_response.data(), pixels * 2, cudaMemcpyDeviceToHost));
  CAMPSCOPE_CUDA_CHECK(cudaMemcpy(whole.data(), d_response.data(), pixels * 2, cudaMemcpyDeviceToHost));
  if (tiled != whole) throw std::runtime_error("the tiled contrast response differs from the one of integral images");
  time("detect/local_maxima", pixels * 3.0, "response in, flags out", [&](cudaStream_t s) {
    for_each_pixel_cuda(w, h,
                        detect::LocalMaxima{d_response.data(), d_candidates.data(), w, h, params.nms_radius,
                                            params.physical.min_contrast, 1},
                        s);
  });

  // Density: a grid of the same size in cells, a Gaussian of 2.5 cells (25 m on 10 m cells) over the four standard
  // deviations the pipeline takes: 21 taps.
  std::vector<float> weights;
  const int radius = 10;
  double total = 0.0;
  for (int k = -radius; k <= radius; ++k) total += std::exp(-0.5 * (k / 2.5) * (k / 2.5));
  for (int k = -radius; k <= radius; ++k) weights.push_back(static_cast<float>(std::exp(-0.5 * (k / 2.5) * (k / 2.5)) / total));
  cuda::DeviceBuffer<float> d_weights(weights.size()), d_cells(static_cast<std::size_t>(pixels)),
      d_rows(static_cast<std::size_t>(pixels));
  CAMPSCOPE_CUDA_CHECK(cudaMemcpy(d_weights.data(), weights.data(), weights.size() * sizeof(float),
                                  cudaMemcpyHostToDevice));
  CAMPSCOPE_CUDA_CHECK(cudaMemset(d_cells.data(), 0, static_cast<std::size_t>(pixels) * sizeof(float)));
  time("density/row_pass", pixels * 8.0, "cells in and out", [&](cudaStream_t s) {
    density_row_pass_cuda(d_cells.data(), d_rows.data(), d_weights.data(), radius, w, h, s);
  });
  time("density/column_pass", pixels * 8.0, "cells in and out", [&](cudaStream_t s) {
    density_column_pass_cuda(d_rows.data(), d_cells.data(), d_weights.data(), radius, w, h, 1.0f, s);
  });

  std::printf("{\n  \"device\": \"%s\",\n  \"size\": %d,\n  \"repeats\": %d,\n", properties.name, size, repeats);
  std::printf("  \"copy_device_to_device_gbps\": %.1f,\n  \"kernels\": [\n", copy_gbps);
  for (std::size_t k = 0; k < kernels.size(); ++k) {
    const double gbps = kernels[k].bytes / (kernels[k].ms * 1e6);
    std::printf(
        "    {\"name\": \"%s\", \"counted\": \"%s\", \"median_ms\": %.4f, \"gbps\": %.1f, "
        "\"fraction_of_copy\": %.3f}%s\n",
        kernels[k].name.c_str(), kernels[k].counted.c_str(), kernels[k].ms, gbps, gbps / copy_gbps,
        k + 1 < kernels.size() ? "," : "");
  }
  std::printf("  ]\n}\n");
  return 0;
}

}  // namespace
}  // namespace campscope

int main(int argc, char** argv) {
  int size = 4096, repeats = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--size") == 0) size = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--repeats") == 0) repeats = std::atoi(argv[i + 1]);
  }
  if (size < 64 || repeats < 1) {
    std::fprintf(stderr, "cuda_kernels: --size must be at least 64 and --repeats at least 1\n");
    return 2;
  }
  try {
    return campscope::run(size, repeats);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cuda_kernels: %s\n", e.what());
    return 1;
  }
}
