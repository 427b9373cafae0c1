#include "kit_dataset.h"

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "geotiff.h"
#include "outputs.h"

namespace campscope {
namespace {

namespace fs = std::filesystem;

constexpr int kUtm32NorthEpsg = 32632;
// Near Munich (48.14 N, 11.58 E), where the mosaics were taken. Scenes (about 170 x 50 m each) are laid out west to
// east kSceneSpacingM apart, so none overlaps another and merging detections across tiles cannot join two scenes.
constexpr double kFirstSceneEastingM = 690000.0;
constexpr double kSceneNorthingM = 5335000.0;
constexpr double kSceneSpacingM = 500.0;

enum class KitLabel { Vehicle, NotVehicle };

// classes.txt: one class name a line, line k naming class index k - 1.
std::vector<KitLabel> load_class_table(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path.string() + ": cannot read the class names");
  std::vector<KitLabel> table;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream fields(line);
    std::string name, extra;
    if (!(fields >> name)) {
      if (in.peek() == std::ifstream::traits_type::eof()) break;
      throw InputError(path.string() + ": line " + std::to_string(number) + " is empty (expected a class name)");
    }
    if (fields >> extra) {
      throw InputError(path.string() + ": line " + std::to_string(number) + " holds more than one class name");
    }
    if (name == "car" || name == "truck" || name == "bus" || name == "minibus") {
      table.push_back(KitLabel::Vehicle);
    } else if (name == "cyclist") {
      table.push_back(KitLabel::NotVehicle);
    } else {
      throw InputError(path.string() + ": line " + std::to_string(number) + ": unknown class '" + name +
                       "' (expected car, truck, bus, minibus or cyclist)");
    }
  }
  if (table.empty()) throw InputError(path.string() + ": no class names");
  return table;
}

struct LabelBox {
  KitLabel label;
  double cx, cy;  // normalised to the image, 0..1
};

bool parse_finite(const std::string& text, double& value) {
  std::size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == text.size() && std::isfinite(value);
}

// YOLO labels: "class cx cy w h" a line, box centre and size normalised to the image. Blank lines are ignored.
std::vector<LabelBox> load_labels(const fs::path& path, const std::vector<KitLabel>& classes) {
  std::ifstream in(path);
  if (!in) throw InputError(path.string() + ": cannot read the labels (every image needs its .txt label file)");
  std::vector<LabelBox> boxes;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string context = path.string() + ": line " + std::to_string(number);
    std::istringstream stream(line);
    std::vector<std::string> fields;
    for (std::string field; stream >> field;) fields.push_back(field);
    if (fields.empty()) continue;
    if (fields.size() != 5) {
      throw InputError(context + " has " + std::to_string(fields.size()) + " fields (expected: class cx cy w h)");
    }
    const std::string& class_text = fields[0];
    if (class_text.empty() || class_text.size() > 3 ||
        !std::all_of(class_text.begin(), class_text.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(class_text) >= static_cast<int>(classes.size())) {
      throw InputError(context + ": class '" + class_text + "' is not an index 0.." +
                       std::to_string(classes.size() - 1) + " into classes.txt");
    }
    std::array<double, 4> box{};
    const char* names[4] = {"cx", "cy", "w", "h"};
    for (int k = 0; k < 4; ++k) {
      if (!parse_finite(fields[k + 1], box[k]) || box[k] < 0.0 || box[k] > 1.0 || (k >= 2 && box[k] == 0.0)) {
        throw InputError(context + ": " + names[k] + " '" + fields[k + 1] + "' is not a number in " +
                         (k >= 2 ? "(0, 1]" : "[0, 1]"));
      }
    }
    boxes.push_back({classes[static_cast<std::size_t>(std::stoi(class_text))], box[0], box[1]});
  }
  return boxes;
}

void write_rgb_geotiff(const fs::path& path, const cv::Mat& rgb, const double (&geotransform)[6]) {
  QuietGdalErrors quiet;
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
  if (driver == nullptr) throw std::runtime_error("GDAL has no GTiff driver");
  const char* creation_options[] = {"PHOTOMETRIC=RGB", "COMPRESS=DEFLATE", nullptr};
  GDALDataset* dataset = driver->Create(path.string().c_str(), rgb.cols, rgb.rows, 3, GDT_Byte,
                                        const_cast<char**>(creation_options));
  if (dataset == nullptr) throw std::runtime_error("cannot create " + path.string() + ": " + quiet.last_error());
  dataset->SetGeoTransform(const_cast<double*>(geotransform));
  OGRSpatialReference utm;
  utm.importFromEPSG(kUtm32NorthEpsg);
  dataset->SetSpatialRef(&utm);
  int band_map[3] = {1, 2, 3};
  const CPLErr written =
      dataset->RasterIO(GF_Write, 0, 0, rgb.cols, rgb.rows, const_cast<uchar*>(rgb.data), rgb.cols, rgb.rows,
                        GDT_Byte, 3, band_map, 3, static_cast<GSpacing>(rgb.step[0]), 1, nullptr);
  // Compression happens while closing, so a full disk shows up only there.
  if (written == CE_None) CPLErrorReset();
  GDALClose(dataset);
  if (written != CE_None || CPLGetLastErrorType() == CE_Failure)
    throw std::runtime_error("cannot write " + path.string() + ": " + quiet.last_error());
}

class UtmToLonLat {
 public:
  UtmToLonLat() {
    utm_.importFromEPSG(kUtm32NorthEpsg);
    lonlat_.importFromEPSG(4326);
    utm_.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    lonlat_.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    transform_.reset(OGRCreateCoordinateTransformation(&utm_, &lonlat_));
    if (!transform_) throw std::runtime_error("cannot create the EPSG:32632 -> EPSG:4326 transformation");
  }
  void apply(double easting, double northing, double& lon, double& lat) const {
    lon = easting;
    lat = northing;
    if (!transform_->Transform(1, &lon, &lat)) throw std::runtime_error("EPSG:32632 -> EPSG:4326 failed");
  }

 private:
  struct Destroy {
    void operator()(OGRCoordinateTransformation* t) const { OGRCoordinateTransformation::DestroyCT(t); }
  };
  OGRSpatialReference utm_, lonlat_;
  std::unique_ptr<OGRCoordinateTransformation, Destroy> transform_;
};

}  // namespace

bool kit_scene_trains_builtin_model(const std::string& name) {
  constexpr const char* kPrefix = "MunichStreet02-MOS";
  constexpr int kFirstHeldOut = 88;
  if (name.rfind(kPrefix, 0) != 0) return false;
  const std::string number = name.substr(std::char_traits<char>::length(kPrefix));
  return !number.empty() && std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         std::stoi(number) < kFirstHeldOut;
}

std::vector<KitScene> prepare_kit_scenes(const std::string& kit_dir, const std::string& out_dir,
                                         double target_gsd_m, const std::function<bool(const std::string&)>& take_scene) {
  if (!std::isfinite(target_gsd_m) || target_gsd_m <= 0.0) {
    throw InputError("prepare_kit_scenes: target ground-sample distance " + std::to_string(target_gsd_m) +
                     " m is not positive and finite");
  }
  ensure_gdal_registered();
  const fs::path kit(kit_dir);
  std::vector<fs::path> images;
  std::error_code ec;
  for (fs::directory_iterator it(kit, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("MunichStreet", 0) == 0 && it->path().extension() == ".png") images.push_back(it->path());
  }
  if (ec) throw InputError(kit_dir + ": cannot list the folder (" + ec.message() + ")");
  if (images.empty()) throw InputError(kit_dir + ": no MunichStreet*.png images");
  std::sort(images.begin(), images.end());
  const std::vector<KitLabel> classes = load_class_table(kit / "classes.txt");

  const fs::path out(out_dir);
  fs::create_directories(out / "tiles", ec);
  if (ec) throw std::runtime_error(out_dir + ": cannot create the output folder (" + ec.message() + ")");

  const UtmToLonLat to_lonlat;
  const double scale = kKitSourceGsdM / target_gsd_m;
  std::vector<KitScene> scenes;
  nlohmann::json tiles = nlohmann::json::array();
  std::vector<Detection> all_truth;
  for (std::size_t index = 0; index < images.size(); ++index) {
    const fs::path& image_path = images[index];
    const std::string stem = image_path.stem().string();
    if (take_scene && !take_scene(stem)) continue;
    const std::vector<LabelBox> boxes = load_labels(kit / (stem + ".txt"), classes);
    const cv::Mat bgr = cv::imread(image_path.string(), cv::IMREAD_COLOR);
    if (bgr.empty()) throw InputError(image_path.string() + ": cannot read the image");
    const int width = std::max(1, static_cast<int>(std::lround(bgr.cols * scale)));
    const int height = std::max(1, static_cast<int>(std::lround(bgr.rows * scale)));
    cv::Mat resized, rgb;
    cv::resize(bgr, resized, cv::Size(width, height), 0, 0, cv::INTER_AREA);
    cv::cvtColor(resized, rgb, cv::COLOR_BGR2RGB);

    const double left = kFirstSceneEastingM + static_cast<double>(index) * kSceneSpacingM;
    const double geotransform[6] = {left, target_gsd_m, 0.0, kSceneNorthingM, 0.0, -target_gsd_m};
    const std::string manifest_path = "tiles/" + stem + ".tif";
    KitScene scene;
    scene.name = stem;
    scene.tile_path = (out / manifest_path).string();
    write_rgb_geotiff(scene.tile_path, rgb, geotransform);

    for (const LabelBox& box : boxes) {
      if (box.label != KitLabel::Vehicle) continue;
      // Normalised coordinates scale with the image, so the centre in the resized tile is cx * width.
      Detection truth;
      truth.cls = ObjectClass::Vehicle;
      truth.score = 1.0f;
      truth.date = kKitDate;
      truth.tile = manifest_path;
      to_lonlat.apply(geotransform[0] + box.cx * width * target_gsd_m,
                      geotransform[3] - box.cy * height * target_gsd_m, truth.lon, truth.lat);
      scene.truth.push_back(truth);
    }
    all_truth.insert(all_truth.end(), scene.truth.begin(), scene.truth.end());
    tiles.push_back({{"path", manifest_path}, {"date", kKitDate}});
    scenes.push_back(std::move(scene));
  }
  write_file_atomically((out / "manifest.json").string(), nlohmann::json{{"tiles", tiles}}.dump(2) + "\n");
  write_file_atomically((out / "truth.geojson").string(), detections_geojson(all_truth));
  return scenes;
}

}  // namespace campscope
