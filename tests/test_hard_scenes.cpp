// The detector on one difficulty at a time (issue 3's hard scenes): each scene isolates one thing real deliveries
// bring, and the test asserts bounds on recall and precision for it. The bounds are today's figures less a margin
// (they record where the detector stands and catch regressions; where they sit far below 1 the scene names a known
// weakness, see the issue notes).
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "campscope/backend.h"
#include "campscope/detect.h"
#include "scene_fixture.h"

namespace campscope {
namespace {

using testing::match;
using testing::MatchStats;
using testing::SceneBuilder;

// BGR, as SceneBuilder draws.
const cv::Scalar kWhite(242, 243, 244), kBlue(185, 110, 55), kSoilBeige(152, 180, 195), kShelterGrey(170, 176, 178);
const cv::Scalar kAsphalt(88, 85, 85), kGreyBlue(185, 168, 160);

// Post-processing of the finished block: what the atmosphere and the delivery do to it.
void haze(RgbBlock& block, double strength) {
  const double veil[3] = {200.0, 205.0, 215.0};  // R, G, B
  for (std::size_t i = 0; i < block.rgb.size(); ++i)
    block.rgb[i] = cv::saturate_cast<std::uint8_t>(block.rgb[i] * (1.0 - strength) + veil[i % 3] * strength);
}
void colour_shift(RgbBlock& block, const double (&gain)[3], double offset) {
  for (std::size_t i = 0; i < block.rgb.size(); ++i)
    block.rgb[i] = cv::saturate_cast<std::uint8_t>(block.rgb[i] * gain[i % 3] + offset);
}
void jpeg(RgbBlock& block, int quality) {
  cv::Mat rgb(block.height, block.width, CV_8UC3, block.rgb.data()), bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<std::uint8_t> encoded;
  cv::imencode(".jpg", bgr, encoded, {cv::IMWRITE_JPEG_QUALITY, quality});
  cv::cvtColor(cv::imdecode(encoded, cv::IMREAD_COLOR), rgb, cv::COLOR_BGR2RGB);
}

// A block of tents in rows, `pitch` metres apart.
void tent_rows(SceneBuilder& s, double x0, double y0, int rows, int columns, double side, double pitch, double angle,
               const cv::Scalar& colour, double shadow_m = 0.7) {
  const double rad = angle * CV_PI / 180.0;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < columns; ++c)
      s.tent(x0 + c * pitch * std::cos(rad) - r * pitch * std::sin(rad),
             y0 + c * pitch * std::sin(rad) + r * pitch * std::cos(rad), side, angle, colour, shadow_m);
}

// Rows of white tents above rows of blue tarpaulins, finished: the scene the delivery effects are applied to.
RgbBlock white_and_blue_rows(SceneBuilder& s) {
  tent_rows(s, 10, 10, 3, 8, 4.0, 7.0, 0, kWhite);
  tent_rows(s, 10, 35, 2, 8, 4.0, 7.0, 0, kBlue);
  return s.finish();
}

// Flat concrete roofs with their shadows and dark water tanks.
void roofs_with_tanks(SceneBuilder& s) {
  for (int k = 0; k < 4; ++k) {
    const double x = 14 + 22 * k;
    s.rectangle(x + 1.5, 22 + 1.5, 14, 12, 8 * k, cv::Scalar(95, 105, 115));  // shadow
    s.rectangle(x, 22, 14, 12, 8 * k, cv::Scalar(185, 190, 195));
    s.disc(x - 3, 20, 1.6, cv::Scalar(60, 60, 62));
    s.disc(x + 2, 25, 1.2, cv::Scalar(70, 70, 75));
    s.disc(x + 3, 19, 1.8, cv::Scalar(55, 55, 58));
  }
}

struct HardScene {
  std::string name;
  double gsd;
  std::function<RgbBlock(SceneBuilder&)> build;  // draws the scene and returns the finished block
  double min_recall;     // of the placed objects (tents and vehicles alike), matched with the right class
  int max_spurious;      // detections that match nothing placed
};

std::vector<HardScene> hard_scenes() {
  return {
      {"tents_at_1m", 1.0,
       [](SceneBuilder& s) {
         tent_rows(s, 10, 10, 3, 5, 5.0, 9.0, 0, kWhite);
         tent_rows(s, 60, 10, 3, 4, 5.5, 9.0, 0, kBlue);
         return s.finish();
       },
       0.9, 1},  // the blur adds a pixel all round: 12 of the 27 fell over the area limit until it was corrected
      {"soil_coloured_tents", 0.5,
       [](SceneBuilder& s) {
         tent_rows(s, 10, 10, 3, 8, 4.0, 7.0, 10, kSoilBeige);
         return s.finish();
       },
       0.9, 1},
      {"blue_tarpaulins", 0.5,
       [](SceneBuilder& s) {
         tent_rows(s, 10, 10, 3, 8, 4.0, 7.0, 25, kBlue);
         return s.finish();
       },
       0.9, 1},
      {"block_shelters", 0.5,
       [](SceneBuilder& s) {
         tent_rows(s, 10, 10, 3, 8, 3.5, 6.5, 0, kShelterGrey, 2.5);
         return s.finish();
       },
       0.75, 1},  // 20 of 24 today
      {"packed_tents", 0.3,
       [](SceneBuilder& s) {
         tent_rows(s, 10, 10, 4, 8, 4.0, 5.2, 0, kWhite);
         return s.finish();
       },
       0.9, 1},
      {"inner_tents_of_a_packed_block", 0.5,
       [](SceneBuilder& s) {
         tent_rows(s, 8, 10, 5, 14, 4.4, 5.4, 3, kGreyBlue);
         return s.finish();
       },
       0.95, 1},  // 70 of 70: inside the block the response's surround is more tents, and the inner tents are
                  // found from their neighbours (14 without that, 17 with it but a quarter of the window asked to be
                  // ground) and from the block's rows (47 without completing them)
      {"packed_blue_tarpaulins", 0.7,
       [](SceneBuilder& s) {
         tent_rows(s, 10, 5, 3, 12, 3.7, 4.9, 20, kBlue);
         return s.finish();
       },
       0.45, 1},  // 18 of 36: at 0.7 m the gaps blur into blue blends, which a third of a cut-out tarpaulin's
                  // border may be (0 when it was 15%, as for pale covers); 12 without completing the block's rows
      {"rows_at_every_angle", 0.5,
       [](SceneBuilder& s) {
         for (int k = 0; k < 4; ++k) tent_rows(s, 12 + 22 * k, 12, 3, 2, 4.0, 7.0, 30.0 * k, kWhite);
         return s.finish();
       },
       0.9, 1},
      {"long_shadows_low_sun", 0.5,
       [](SceneBuilder& s) {
         tent_rows(s, 10, 10, 3, 8, 4.0, 9.0, 0, kWhite, 3.5);
         return s.finish();
       },
       0.9, 1},
      {"haze", 0.5,
       [](SceneBuilder& s) {
         RgbBlock block = white_and_blue_rows(s);
         haze(block, 0.3);
         return block;
       },
       0.5, 1},
      {"colour_and_brightness_shift", 0.5,
       [](SceneBuilder& s) {
         RgbBlock block = white_and_blue_rows(s);
         colour_shift(block, {1.12, 0.95, 0.88}, -12.0);
         return block;
       },
       0.7, 1},
      {"strong_colour_cast", 0.5,
       [](SceneBuilder& s) {
         tent_rows(s, 10, 10, 5, 8, 4.0, 7.0, 0, kWhite);
         RgbBlock block = s.finish();
         // A warm cast as in some 16-bit deliveries: white covers come out pinkish beige, as far from grey as the
         // soil is, and only the balance on the ground shows them as pale.
         colour_shift(block, {1.10, 0.86, 0.74}, 0.0);
         return block;
       },
       0.9, 1},
      {"jpeg_artefacts", 0.5,
       [](SceneBuilder& s) {
         RgbBlock block = white_and_blue_rows(s);
         jpeg(block, 40);
         return block;
       },
       0.8, 1},
      {"cloud_shadow_over_tents", 0.5,
       [](SceneBuilder& s) {
         tent_rows(s, 10, 10, 3, 8, 4.0, 7.0, 0, kWhite);
         RgbBlock block = s.finish();
         // A soft-edged shadow darkening by up to 40% across the middle rows.
         for (int y = 0; y < block.height; ++y)
           for (int x = 0; x < block.width; ++x) {
             const double dy = (y * s.gsd() - 17.0) / 6.0;
             const double shade = 1.0 - 0.4 * std::exp(-dy * dy);
             for (int c = 0; c < 3; ++c) {
               std::uint8_t& v = block.rgb[(static_cast<std::size_t>(y) * block.width + x) * 3 + c];
               v = cv::saturate_cast<std::uint8_t>(v * shade);
             }
           }
         return block;
       },
       0.95, 1},  // all 24: a cover is judged against the ground just around it when the window's ground,
                  // half lit, says no (16 of 24 without that)
      {"olive_grove", 0.5,
       [](SceneBuilder& s) {
         for (int gx = 0; gx < 12; ++gx)
           for (int gy = 0; gy < 7; ++gy) {
             s.disc(8 + gx * 7 + 1.2, 8 + gy * 7 + 1.2, 4.4, cv::Scalar(50, 60, 65));
             s.disc(8 + gx * 7, 8 + gy * 7, 4.4, cv::Scalar(45, 75, 60));
           }
         return s.finish();
       },
       0.0, 2},
      {"roofs_with_tanks", 0.5,
       [](SceneBuilder& s) {
         roofs_with_tanks(s);
         return s.finish();
       },
       0.0, 2},
      {"roofs_with_tanks_under_a_blue_cast", 0.5,
       [](SceneBuilder& s) {
         roofs_with_tanks(s);
         RgbBlock block = s.finish();
         // Pale roofs come out blue enough for tarpaulins by their colour alone; against their ground they are not.
         colour_shift(block, {0.72, 0.92, 1.18}, 0.0);
         return block;
       },
       0.0, 0},  // 2 pieces of roof when packed tarpaulins were told by their colour less their ground's
      {"rocks_and_road_markings", 0.5,
       [](SceneBuilder& s) {
         s.rectangle(50, 40, 100, 7, 0, kAsphalt);
         for (double x = 4; x < 96; x += 9) s.rectangle(x, 40, 3, 0.15, 0, cv::Scalar(240, 240, 240));
         for (int k = 0; k < 12; ++k) s.disc(6 + 8 * k, 12 + (k % 3) * 5, 0.6 + 0.08 * k, cv::Scalar(115, 120, 124));
         return s.finish();
       },
       0.0, 1},
      {"truck_sized_shadows_of_roofs", 0.5,
       [](SceneBuilder& s) {
         // Flat roofs low in the sun: each casts a strip 9 x 2.3 m, a truck's size, as dark as a dark vehicle.
         for (int k = 0; k < 8; ++k) {
           const double x = 12 + 22 * (k % 4), y = 12 + 24 * (k / 4);
           s.rectangle(x + 1.2, y + 1.9, 9, 6, 12 * k, cv::Scalar(75, 85, 95));  // shadow
           s.rectangle(x, y, 9, 6, 12 * k, cv::Scalar(185, 190, 195));
         }
         return s.finish();
       },
       0.0, 0},
      {"water_tanks_in_rows_on_roofs", 0.5,
       [](SceneBuilder& s) {
         // Two or three tanks side by side make a dark blob a car's size, with nothing beside it to cast it.
         for (int k = 0; k < 8; ++k) {
           const double x = 12 + 22 * (k % 4), y = 12 + 24 * (k / 4);
           s.rectangle(x, y, 12, 10, 10 * k, cv::Scalar(185, 190, 195));
           const int tanks = 2 + k % 2;
           for (int t = 0; t < tanks; ++t) s.disc(x - 1.6 + 1.6 * t, y + 0.2 * t, 1.7, cv::Scalar(60, 60, 62));
         }
         return s.finish();
       },
       0.0, 2},  // two of the eight rows pass as dark vehicles today: their region fills its rectangle as a
                 // car's does, and the roof around them is ground (known weakness)
      {"cars_beside_white_walls", 0.5,
       [](SceneBuilder& s) {
         for (int k = 0; k < 5; ++k) {
           const double x = 12 + 18 * k;
           s.rectangle(x, 20, 14, 0.3, 0, cv::Scalar(230, 235, 235));  // wall
           s.car(x - 2.5, 21.8, 0, k % 2 ? cv::Scalar(40, 40, 180) : cv::Scalar(190, 190, 190));
         }
         return s.finish();
       },
       0.4, 1},  // the 2 red cars today; the 3 grey ones are missed: their paint and the white wall beside them
                 // fill neighbouring histogram bins, a tenth of the window together, so the grey is taken for a
                 // second ground (known weakness; the generated walls' cars are found by taking the wall's line off)
      {"dark_vehicles_on_asphalt", 0.5,
       [](SceneBuilder& s) {
         s.rectangle(50, 20, 100, 9, 0, kAsphalt);
         for (int k = 0; k < 8; ++k) s.car(8 + 11 * k, 20, 0, k % 2 ? cv::Scalar(20, 20, 22) : cv::Scalar(60, 62, 64));
         return s.finish();
       },
       0.5, 1},  // the 4 black cars, as dark regions that nothing beside them casts; the dark grey ones, the
                 // colour of asphalt in shadow, are still missed (known weakness)
      {"queue_nose_to_tail", 0.5,
       [](SceneBuilder& s) {
         s.rectangle(50, 20, 100, 9, 0, kAsphalt);
         const cv::Scalar colours[] = {{240, 240, 240}, {40, 40, 180}, {190, 190, 190}, {150, 60, 30}};
         for (int k = 0; k < 12; ++k) s.car(6 + 6.0 * k, 21.75, 0, colours[k % 4]);
         return s.finish();
       },
       0.75, 4},  // 10 of 12 today, two of them as tents
  };
}

void PrintTo(const HardScene& scene, std::ostream* out) { *out << scene.name; }

class HardScenes : public ::testing::TestWithParam<HardScene> {};

TEST_P(HardScenes, RecallAndPrecisionWithinBounds) {
  const HardScene& scene = GetParam();
  SceneBuilder builder(100.0, 50.0, scene.gsd, 11);
  const RgbBlock block = scene.build(builder);
  const auto found = detect_objects(block, scene.gsd, DetectorParams{}, Backend::Cpu);
  const MatchStats stats = match(builder.objects(), found, scene.gsd, 2.0);
  const int placed = static_cast<int>(builder.objects().size());
  const int matched = stats.matched_tents + stats.matched_vehicles;
  const double recall = placed > 0 ? static_cast<double>(matched) / placed : 1.0;
  RecordProperty("recall", std::to_string(recall));
  RecordProperty("spurious", stats.spurious);
  std::printf("%-28s placed %3d matched %3d wrong class %2d spurious %2d recall %.2f\n", scene.name.c_str(), placed,
              matched, stats.wrong_class, stats.spurious, recall);
  EXPECT_GE(recall, scene.min_recall) << scene.name;
  EXPECT_LE(stats.spurious + stats.wrong_class, scene.max_spurious) << scene.name;
}

INSTANTIATE_TEST_SUITE_P(Detect, HardScenes, ::testing::ValuesIn(hard_scenes()),
                         [](const ::testing::TestParamInfo<HardScene>& info) { return info.param.name; });

}  // namespace
}  // namespace campscope
