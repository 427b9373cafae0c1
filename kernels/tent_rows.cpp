#include "tent_rows.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "block_pixels.h"
#include "cell_index.h"
#include "detect_regions_impl.h"
#include "parallel_for.h"

namespace campscope::detect {
namespace {

// Two tents of a row stand at least a tent's width plus a metre apart, and at most its length plus two metres.
constexpr double kMinGapM = 1.0;
constexpr double kMaxGapM = 2.0;
// A found centre is off by up to about a pixel, so the gap between two tents is sought within this distance of
// the midpoint of their centres, along the line through them.
constexpr double kGapReachM = 0.75;
// A tent fills at least this share of the box of 0.8 spacings about its centre: a packed one most of it, one put
// past a diagonal neighbour (a box 1.4 times as wide) 40% and more; the lit soil where four olive canopies nearly
// meet, which their shadows bound like a tent, about 30%. Seeds 1-5 of the hard profile: 30 false tents fewer, 11
// true ones.
constexpr int kMinFillPercent = 35;
// A tent's colour is the mean of a box this wide about its centre: inside any tent (>= 2.2 m wide) even where the
// centre is off by a pixel.
constexpr double kCoreBoxM = 1.5;
// A tent is looked past by its own length or width and this gap: the middle of a packed block's gaps. Not a tent
// narrower than kNarrowestTentM where pixels resolve a windscreen (kWindscreenM): it may be a white van's body, and
// past its windscreen lies its bonnet.
constexpr double kProbeGapM = 1.5;
// A tent the region analysis finds where the lattice puts one is taken when its length and width are within this
// share of those of the tent it was put there from (a block's tents are alike), and its centre within a quarter
// spacing of the lattice point.
constexpr double kSameSizeShare = 0.25;

}  // namespace

void complete_tent_rows(const RgbBlock& block, const PixelParams& params, std::vector<DetectedObject>& objects) {
  const DetectorParams& physical = params.physical;
  const double gsd_m = params.gsd_m;
  const double min_spacing = (physical.tent_min_width_m + kMinGapM) / gsd_m;
  const double max_spacing = (physical.tent_max_length_m + kMaxGapM) / gsd_m;
  const double gap_reach = kGapReachM / gsd_m;
  const int core_half = static_cast<int>(std::floor(kCoreBoxM / 2.0 / gsd_m));
  const BlockPixels pixels(block);

  struct Point {
    double x, y;
  };
  struct Tent {
    double x, y;
    int colour[3];
    std::size_t found;  // the object it is, or was extrapolated from
    bool inside_solid_cover = false;  // put there by propose_inside_solid_cover
  };
  std::vector<Tent> tents;
  CellIndex<std::size_t> tents_near(max_spacing);
  for (std::size_t i = 0; i < objects.size(); ++i) {
    Tent t{objects[i].x, objects[i].y, {0, 0, 0}, i};
    if (objects[i].cls != ObjectClass::Tent || !pixels.box_mean(t.x, t.y, core_half, t.colour)) continue;
    tents_near.add(t.x, t.y, tents.size());
    tents.push_back(t);
  }
  const std::size_t found_tents = tents.size();
  // Where an object stands, and how far about it (half a spacing, or its width) no other can.
  struct Occupied {
    double x, y, width;
  };
  CellIndex<Occupied> occupied(max_spacing);
  // Two covers of a packed block joined along their row measure as a truck (8 x 2.6 m of canvas at 0.7 m): a vehicle
  // as wide as a tent and of the colour of a found tent beside it stands on no lattice point. Hard seeds 1-5: 54 more
  // tents found for one false one, and 20 false vehicles fewer once the block's tents surround them.
  const auto joined_covers = [&](const DetectedObject& v) {
    if (v.cls != ObjectClass::Vehicle || v.measured.width_m < physical.tent_min_width_m) return false;
    const int colour[3] = {static_cast<int>(v.measured.colour[0]), static_cast<int>(v.measured.colour[1]),
                           static_cast<int>(v.measured.colour[2])};
    bool beside_a_like_tent = false;
    tents_near.for_each_near(v.x, v.y, max_spacing, [&](std::size_t i) {
      beside_a_like_tent = beside_a_like_tent || (std::hypot(tents[i].x - v.x, tents[i].y - v.y) <= max_spacing &&
                                                  2 * colour_distance(colour, tents[i].colour) < physical.min_contrast);
    });
    return beside_a_like_tent;
  };
  for (const DetectedObject& o : objects)
    if (!joined_covers(o)) occupied.add(o.x, o.y, {o.x, o.y, o.measured.width_m / gsd_m});
  // A tent a round proposes: where, its colour, the object it copies, and the spacing and width that keep other
  // tents off it.
  struct Proposal {
    Tent tent;
    double spacing, width;
  };
  const auto clear_of = [](const Occupied& o, double x, double y, double spacing) {
    const double dx = o.x - x, dy = o.y - y, apart = std::max(0.5 * spacing, o.width);
    return dx * dx + dy * dy >= apart * apart;
  };
  // Free of every object standing when the round began and of the tents `mine` proposes in it.
  const auto is_free = [&](double x, double y, double spacing, const std::vector<Proposal>& mine) {
    bool free = true;
    occupied.for_each_near(x, y, max_spacing, [&](const Occupied& o) { free = free && clear_of(o, x, y, spacing); });
    for (const Proposal& p : mine) free = free && clear_of({p.tent.x, p.tent.y, p.width}, x, y, spacing);
    return free;
  };

  // Proposes a tent of colour `hole` at lattice point h of a's, centred on the pixels about h within `within` of that
  // colour, in a box that leaves the neighbours out, when they fill `min_fill_percent` of it, the centre stays within
  // a quarter spacing of h and nothing stands there.
  const auto propose_centred = [&](const Tent& a, Point h, const int* hole, int within, int min_fill_percent,
                                   double spacing, std::vector<Proposal>& mine) {
    Point centre = h;
    if (pixels.centre_on(centre.x, centre.y, static_cast<int>(0.4 * spacing), hole, within) < min_fill_percent ||
        std::hypot(centre.x - h.x, centre.y - h.y) > 0.25 * spacing || !is_free(centre.x, centre.y, spacing, mine))
      return false;
    mine.push_back({{centre.x, centre.y, {hole[0], hole[1], hole[2]}, a.found},
                    spacing,
                    objects[a.found].measured.width_m / gsd_m});
    return true;
  };

  // Proposes a tent at lattice point h next to tent a when nothing stands there; `between` is how distinct from a the
  // gaps between a and the neighbours that put h there are, at least half the contrast threshold (at 0.7 m the blurred
  // gaps between blue tarpaulins packed 1.5 m apart measure 28-42). The colour at h must differ from a's by at most
  // half of that, a gap at least half as distinct must separate h from each of `bounds`, and h must be unlike the
  // ground. The tent is then centred on the pixels about h nearer its colour than the gaps', in a box that leaves the
  // neighbours out: the extrapolation's error would otherwise add up along a row.
  const auto propose_if_tent = [&](const Tent& a, Point h, double spacing, int between,
                                   std::initializer_list<Point> bounds, std::vector<Proposal>& mine) {
    if (2 * between < physical.min_contrast || !is_free(h.x, h.y, spacing, mine)) return false;
    int hole[3];
    if (!pixels.box_mean(h.x, h.y, core_half, hole) || 2 * colour_distance(hole, a.colour) > between) return false;
    for (const Point& bound : bounds) {
      int gap;
      if (!pixels.gap(h.x, h.y, bound.x, bound.y, gap_reach, hole, gap) || 2 * gap < between) return false;
    }
    // Nearer a's colour than the block's ground and unlike it, and unlike the ground a stands on as a is: past the
    // edge of a block of beige tents lies soil as near their colour as the gaps' shadow is far from it, and the soil
    // between the canopies of an olive grove, a lattice of pale patches with dark gaps too, is the block's ground.
    const float* ground = objects[a.found].measured.ground;
    const int a_ground[3] = {static_cast<int>(ground[0]), static_cast<int>(ground[1]), static_cast<int>(ground[2])};
    const int to_block_ground = colour_distance(hole, params.block_ground);
    if (colour_distance(hole, a.colour) >= to_block_ground || 2 * to_block_ground < physical.min_contrast ||
        2 * colour_distance(hole, a_ground) < colour_distance(a.colour, a_ground))
      return false;
    return propose_centred(a, h, hole, between / 2, kMinFillPercent, spacing, mine);
  };

  // Proposes a tent at lattice point h of a's when nothing stands there yet, it is unlike the block's ground, and the
  // region analysis seeded there finds a tent of a's size centred there: where the blur of a block's gaps at 0.7-1 m
  // hides them from propose_if_tent's test, or a's neighbours were not found to fix the lattice.
  const auto propose_if_region_is_tent = [&](const Tent& a, Point h, double spacing, std::vector<Proposal>& mine) {
    const int px = static_cast<int>(std::floor(h.x)) - block.x0, py = static_cast<int>(std::floor(h.y)) - block.y0;
    if (px < 0 || py < 0 || px >= block.width || py >= block.height || !is_free(h.x, h.y, spacing, mine)) return;
    // Unlike the block's ground: soil past the end of a row is not looked at again.
    int there[3];
    if (!pixels.box_mean(h.x, h.y, core_half, there) ||
        2 * colour_distance(there, params.block_ground) < physical.min_contrast)
      return;
    RegionFeatures region;
    if (!grow_material_region(block.rgb.data(), block.valid.data(), block.width, block.height, px, py, params, region))
      return;
    const CandidateResult as_tent = classify_region(region, params);
    const ObjectMeasurements& like = objects[a.found].measured;
    if (as_tent.cls != static_cast<int>(ObjectClass::Tent) ||
        std::abs(as_tent.measured.length_m - like.length_m) > kSameSizeShare * like.length_m ||
        std::abs(as_tent.measured.width_m - like.width_m) > kSameSizeShare * like.width_m)
      return;
    const Point centre{region.cx + block.x0, region.cy + block.y0};
    if (std::hypot(centre.x - h.x, centre.y - h.y) > 0.25 * spacing || !is_free(centre.x, centre.y, spacing, mine))
      return;
    mine.push_back({{centre.x, centre.y,
                     {static_cast<int>(region.mean[0]), static_cast<int>(region.mean[1]),
                      static_cast<int>(region.mean[2])},
                     a.found},
                    spacing,
                    like.width_m / gsd_m});
  };

  // Covers of the soil's own colour, packed 1-2 m apart, are below the contrast threshold: no candidate or region
  // finds them, but their shadowed gaps draw the lattice. A lattice point a found cover probes (the odd cover of
  // such a block, of another colour) is taken when it is unlike the block's ground and thin gaps bound it toward a
  // and on two more of its sides (an edge cover of the block has soil on the third): darker by a third of the
  // contrast threshold (in luma) in the middle of the line to the next lattice point, and no darker than half that a
  // quarter of the way from either end (a dirt track or a tent's shadow beside bare soil is wider). Hard seeds 1-5:
  // 54 more tents for 5 false ones (a block of 35 soil-coloured covers in a cloud's shadow at Atme, seed 5,
  // 2019-12-01, found but for 2); the default profile: one more.
  const auto propose_if_gaps_bound_it = [&](const Tent& a, Point h, Point across, double spacing,
                                           std::vector<Proposal>& mine) {
    if (!is_free(h.x, h.y, spacing, mine)) return;
    int hole[3];
    if (!pixels.box_mean(h.x, h.y, core_half, hole) ||
        2 * colour_distance(hole, params.block_ground) < physical.min_contrast)
      return;
    const int hole_luma = luma_of(hole), step = physical.min_contrast / 3;
    const auto thin_gap_to = [&](Point q) {
      int gap;
      if (!pixels.darkest_in_middle(h.x, h.y, q.x, q.y, gap) || gap > hole_luma - step) return false;
      for (const double t : {0.25, 0.75}) {
        const std::uint8_t* p = pixels.at(h.x + t * (q.x - h.x), h.y + t * (q.y - h.y));
        if (!p || luma_of_pixel(p) < hole_luma - step / 2) return false;
      }
      return true;
    };
    if (!thin_gap_to({a.x, a.y})) return;
    const int other_sides = thin_gap_to({2 * h.x - a.x, 2 * h.y - a.y}) +
                            thin_gap_to({h.x + across.x, h.y + across.y}) +
                            thin_gap_to({h.x - across.x, h.y - across.y});
    if (other_sides < 2) return;
    propose_centred(a, h, hole, physical.min_contrast / 4, kMinFillPercent, spacing, mine);
  };

  // Tarpaulins packed a metre apart at 0.7-1 m blur into one solid blue cover: no gap shows between them, so neither
  // a gap nor the region analysis (which finds the whole cover, too large for a tent) puts a tent at a lattice point
  // inside it, while the odd cover of the block, or one at its edge, is found. A lattice point a blue tent probes is
  // taken when blue too and three quarters of the box of 0.8 spacings about it lie within three quarters of the
  // contrast threshold of its colour (the covers of a block differ by up to the threshold). A tent put there proposes
  // no more by this rule: from a found tent mismeasured at 1 m the lattice is too dense, and a chain of such steps
  // would fill the cover at that pitch. Hard seeds 1-5: 24 more tents, 23 more false ones, mean per-camp count error
  // 2.81% -> 2.53% (Kafr Lusin 2019-11-01 of seed 5 from -9.3% to -5.3%); seeds 6-10: 27 more, 16 more false ones.
  const auto propose_inside_solid_cover = [&](const Tent& a, Point h, double spacing, std::vector<Proposal>& mine) {
    constexpr int kMinSolidFillPercent = 75;
    if (a.inside_solid_cover || !tarpaulin_blue(a.colour, physical) || !is_free(h.x, h.y, spacing, mine)) return;
    int hole[3];
    if (!pixels.box_mean(h.x, h.y, core_half, hole) || !tarpaulin_blue(hole, physical)) return;
    if (propose_centred(a, h, hole, physical.min_contrast * 3 / 4, kMinSolidFillPercent, spacing, mine))
      mine.back().tent.inside_solid_cover = true;
  };

  // A cover of another material than its block's (a soil-coloured or grey one beside white canvas or blue tarpaulins)
  // that no gap test or region takes, inside a block whose tents were found all about it: the lattice point midway
  // between two tents a and c of a row, two spacings apart, is taken when a tent one spacing past a or c confirms the
  // row's pitch, the next row runs on past it unbroken (a tent across from it with one a spacing either side: a road
  // or track through the block, or the soil between two blocks, breaks that row too), nothing stands there, it is
  // unlike the block's ground by the contrast threshold (a vacant plot is not; at half of it, the soil in a shadowed
  // gap between two blocks passed) and unlike a by half of it (the lit soil between an olive grove's canopies, which
  // other rules take for tents, is like the patches beside it), and pixels within half the threshold of its colour
  // fill a third of the box about it (a soil-coloured cover at 0.7 m is blotchy: within a quarter, 15 fewer found).
  // Hard seeds 1-5: 44 more tents for 18 false ones (Kah 2019-11-01 of seed 2 from -7.3% to -6.1%, of seed 3 from
  // -8.5% to -5.7%), seeds 6-10: 66 for 12; the default profile 9 more, none false.
  const auto propose_if_surrounded = [&](const Tent& a, const Tent& c, std::vector<Proposal>& mine) {
    const double apart = std::hypot(c.x - a.x, c.y - a.y);
    if (apart < 2 * min_spacing || apart > 2 * max_spacing) return;
    const double spacing = 0.5 * apart, ux = (c.x - a.x) / apart, uy = (c.y - a.y) / apart;
    const double within = 0.15 * spacing;
    const Point h{0.5 * (a.x + c.x), 0.5 * (a.y + c.y)};
    if (!is_free(h.x, h.y, spacing, mine)) return;
    const auto tent_near = [&](double x, double y) {
      bool near = false;
      tents_near.for_each_near(x, y, within, [&](std::size_t i) {
        near = near || std::hypot(tents[i].x - x, tents[i].y - y) <= within;
      });
      return near;
    };
    if (!tent_near(a.x - spacing * ux, a.y - spacing * uy) && !tent_near(c.x + spacing * ux, c.y + spacing * uy))
      return;
    // The next row is unbroken beside h when it holds the tent across from h and one a spacing either side of that;
    // or, where two odd covers stand diagonally side by side in a block of two rows (each breaking the other's row),
    // when one side's point is bare but the next row runs on a spacing past it.
    const auto runs_on = [&](double x, double y, double sign) {
      return tent_near(x + sign * spacing * ux, y + sign * spacing * uy) ||
             tent_near(x + 2 * sign * spacing * ux, y + 2 * sign * spacing * uy);
    };
    bool across = false;
    tents_near.for_each_near(h.x, h.y, max_spacing, [&](std::size_t i) {
      const double dx = tents[i].x - h.x, dy = tents[i].y - h.y, d = std::hypot(dx, dy);
      if (across || d < min_spacing || d > max_spacing || std::abs(dx * ux + dy * uy) > within) return;
      const bool before = tent_near(tents[i].x - spacing * ux, tents[i].y - spacing * uy);
      const bool after = tent_near(tents[i].x + spacing * ux, tents[i].y + spacing * uy);
      across = (before && after) || (before && runs_on(tents[i].x, tents[i].y, 1.0)) ||
               (after && runs_on(tents[i].x, tents[i].y, -1.0));
    });
    int hole[3];
    if (!across || !pixels.box_mean(h.x, h.y, core_half, hole) ||
        colour_distance(hole, params.block_ground) < physical.min_contrast ||
        2 * colour_distance(hole, a.colour) < physical.min_contrast)
      return;
    propose_centred(a, h, hole, physical.min_contrast / 2, kMinFillPercent, spacing, mine);
  };

  const auto propose_if_tent_or_region = [&](const Tent& a, Point h, double spacing, int between,
                                            std::initializer_list<Point> bounds, std::vector<Proposal>& mine) {
    if (!propose_if_tent(a, h, spacing, between, bounds, mine)) propose_if_region_is_tent(a, h, spacing, mine);
  };

  // The tents tent a proposes, looking at the tents and objects as they stood when the round began.
  const auto proposals_about = [&](std::size_t ai, std::vector<Proposal>& mine) {
    const Tent a = tents[ai];
    struct Neighbour {
      Point at;
      double spacing;
      int gap;  // how distinct from a the gap between them is
    };
    std::vector<Neighbour> neighbours;
    const Point at_a{a.x, a.y};
    tents_near.for_each_near(a.x, a.y, max_spacing, [&](std::size_t bi) {
      const Tent& b = tents[bi];
      const double spacing = std::hypot(a.x - b.x, a.y - b.y);
      int gap;
      if (bi != ai && spacing >= min_spacing && spacing <= max_spacing &&
          pixels.gap(a.x, a.y, b.x, b.y, gap_reach, a.colour, gap))
        neighbours.push_back({{b.x, b.y}, spacing, gap});
    });
    // A tent's length and a gap from a along it, and its width and a gap across it, where the blur of a packed
    // block's gaps hid a's neighbours from the region stage.
    const ObjectMeasurements& own = objects[a.found].measured;
    const int own_half = static_cast<int>(std::ceil((0.5 * std::max(own.length_m, own.width_m) + 0.5) / gsd_m));
    double ax, ay;
    double along = (own.length_m + kProbeGapM) / gsd_m, across = (own.width_m + kProbeGapM) / gsd_m;
    // Where pixels are coarse the nearest found neighbour gives a side of the lattice, and the spacing along it,
    // better than a's own sides: four pixels across a square cover can put those 20 degrees off.
    const Neighbour* nearest = nullptr;
    if (gsd_m > kWindscreenM)
      for (const Neighbour& b : neighbours)
        if (!nearest || b.spacing < nearest->spacing) nearest = &b;
    bool sides = false;
    if (nearest) {
      ax = (nearest->at.x - a.x) / nearest->spacing;
      ay = (nearest->at.y - a.y) / nearest->spacing;
      if (std::abs(nearest->spacing - across) < std::abs(nearest->spacing - along)) across = along;
      along = nearest->spacing;
      sides = true;
    } else if (own.width_m >= kNarrowestTentM || gsd_m > kWindscreenM) {
      sides = pixels.sides_of(a.x, a.y, own_half, a.colour, physical.min_contrast / 2, ax, ay);
    }
    if (sides) {
      // `side` is the lattice's other side at h: one step across the line from a.
      const auto probe = [&](Point h, double spacing, Point side) {
        if (!is_free(h.x, h.y, spacing, mine)) return;
        int gap = 0;
        pixels.gap(a.x, a.y, h.x, h.y, gap_reach, a.colour, gap);
        const std::size_t before = mine.size();
        propose_if_tent_or_region(a, h, spacing, gap, {at_a, {2 * h.x - a.x, 2 * h.y - a.y}}, mine);
        if (mine.size() == before) propose_if_gaps_bound_it(a, h, side, spacing, mine);
        if (mine.size() == before) propose_inside_solid_cover(a, h, spacing, mine);
      };
      for (const double sign : {-1.0, 1.0}) {
        probe({a.x + sign * along * ax, a.y + sign * along * ay}, along, {-across * ay, across * ax});
        probe({a.x - sign * across * ay, a.y + sign * across * ax}, across, {along * ax, along * ay});
      }
    }
    tents_near.for_each_near(a.x, a.y, 2 * max_spacing, [&](std::size_t ci) {
      if (ci != ai) propose_if_surrounded(a, tents[ci], mine);
    });
    for (std::size_t i = 0; i < neighbours.size(); ++i) {
      const Neighbour& b = neighbours[i];
      // Past a along its row, away from b, bounded by a and by what lies a spacing further on.
      const Point past{2 * a.x - b.at.x, 2 * a.y - b.at.y};
      propose_if_tent_or_region(a, past, b.spacing, b.gap, {at_a, {2 * past.x - a.x, 2 * past.y - a.y}}, mine);
      // The fourth corner of the parallelogram a, b, c of two neighbours in different directions (at least
      // 30 degrees apart), bounded by b and c and by what lies a side further on: a corner past the block's edge
      // is bounded by b and c as well as an inner one is.
      for (std::size_t j = i + 1; j < neighbours.size(); ++j) {
        const Neighbour& c = neighbours[j];
        const double cross = (b.at.x - a.x) * (c.at.y - a.y) - (b.at.y - a.y) * (c.at.x - a.x);
        if (2 * std::abs(cross) < b.spacing * c.spacing) continue;
        const Point corner{b.at.x + c.at.x - a.x, b.at.y + c.at.y - a.y};
        propose_if_tent(a, corner, std::min(b.spacing, c.spacing), std::min(b.gap, c.gap),
                        {b.at,
                         c.at,
                         {2 * corner.x - b.at.x, 2 * corner.y - b.at.y},
                         {2 * corner.x - c.at.x, 2 * corner.y - c.at.y}},
                        mine);
      }
    }
  };

  // Each round looks about the tents the last one added, and their neighbours: a new tent completes the
  // parallelograms of the tents beside it too. The seeds propose in parallel, each against the tents as the round
  // found them (the region analysis behind a proposal is most of the time), and their proposals are taken in seed
  // order, each where no tent taken before it stands: the same tents on any number of threads.
  std::vector<std::size_t> seeds(found_tents);
  for (std::size_t i = 0; i < found_tents; ++i) seeds[i] = i;
  std::vector<std::vector<Proposal>> proposed;
  while (!seeds.empty()) {
    proposed.assign(seeds.size(), {});
    parallel_for_cpu(static_cast<std::int64_t>(seeds.size()), [&](std::int64_t i) {
      const std::size_t k = static_cast<std::size_t>(i);
      proposals_about(seeds[k], proposed[k]);
    });
    const std::size_t before = tents.size();
    for (const std::vector<Proposal>& mine : proposed)
      for (const Proposal& p : mine) {
        if (!is_free(p.tent.x, p.tent.y, p.spacing, {})) continue;
        tents_near.add(p.tent.x, p.tent.y, tents.size());
        occupied.add(p.tent.x, p.tent.y, {p.tent.x, p.tent.y, p.width});
        tents.push_back(p.tent);
      }
    std::vector<char> is_seed(tents.size(), 0);
    for (std::size_t added = before; added < tents.size(); ++added)
      tents_near.for_each_near(tents[added].x, tents[added].y, max_spacing, [&](std::size_t near) {
        if (std::hypot(tents[near].x - tents[added].x, tents[near].y - tents[added].y) <= max_spacing)
          is_seed[near] = 1;
      });
    seeds.clear();
    for (std::size_t i = 0; i < tents.size(); ++i)
      if (is_seed[i]) seeds.push_back(i);
  }
  for (std::size_t i = found_tents; i < tents.size(); ++i) {
    DetectedObject o = objects[tents[i].found];
    o.x = tents[i].x;
    o.y = tents[i].y;
    o.completed = true;
    for (int c = 0; c < 3; ++c) o.measured.colour[c] = static_cast<float>(tents[i].colour[c]);
    objects.push_back(o);
  }
}

}  // namespace campscope::detect
