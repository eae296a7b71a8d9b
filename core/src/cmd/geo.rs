//! The geo family: GEOADD (NX XX CH) GEOPOS GEODIST GEOHASH GEOSEARCH
//! GEOSEARCHSTORE GEORADIUS GEORADIUSBYMEMBER GEORADIUS_RO
//! GEORADIUSBYMEMBER_RO, a port of Redis 7.0.15's geo.c, geohash.c and
//! geohash_helper.c (each piece names the C function it follows).
//!
//! A geo index is a sorted set (TYPE zset; ZRANGE and ZSCORE work on it,
//! and the geo commands work on any zset) whose scores are 52-bit
//! geohashes: 26 bits of longitude over -180..180 interleaved with 26 bits
//! of latitude over -85.05112878..85.05112878. GEOADD is ZADD with those
//! scores (`zset::zadd`, so both indexes and the encoding rules are the
//! sorted set's). A search reads at most 9 score ranges of the score index
//! (the centre's geohash box, at a step chosen from the radius, and its 8
//! neighbours), each O(log n + members in the box), and keeps what lies
//! in the shape: never the whole zset.
//!
//! Floating point: the same operations in the same order as the C code,
//! with the platform's libm (`sin`, `cos`, `asin`, `sqrt`), so distances
//! and coordinates print the same digits as redis-server on this platform
//! and every replica computes the same values.

use super::coll::{self, Meta};
use super::num::parse_i64;
#[cfg(test)]
use super::write;
use super::zset;
use super::{Ctx, R, arg, arg_bytes, is_opt};
use crate::Reply;
use crate::errors;
use crate::store::{Kind, Store, StoreError};
#[cfg(test)]
use crate::table::Handler;
use bytes::Bytes;
use std::collections::HashSet;

// ---- geohash.c ----

/// GEO_STEP_MAX: 26 * 2 = 52 bits.
const STEP_MAX: u8 = 26;
/// The WGS84 limits Redis indexes (EPSG:900913; no poles).
const LAT_MIN: f64 = -85.05112878;
const LAT_MAX: f64 = 85.05112878;
const LONG_MIN: f64 = -180.0;
const LONG_MAX: f64 = 180.0;

/// GeoHashBits: `step` bits of each coordinate, interleaved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct HashBits {
    bits: u64,
    step: u8,
}

impl HashBits {
    /// HASHISZERO (a neighbour GZERO removed).
    fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Range {
    min: f64,
    max: f64,
}

const WGS84_LONG: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const WGS84_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// GeoHashArea: the cell a hash names.
#[derive(Debug, Clone, Copy, Default)]
struct Area {
    lon: Range,
    lat: Range,
}

/// `interleave64`: bits of `x` at even positions, of `y` at odd ones.
fn interleave64(xlo: u32, ylo: u32) -> u64 {
    const B: [u64; 5] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
    ];
    const S: [u32; 5] = [1, 2, 4, 8, 16];
    let mut x = u64::from(xlo);
    let mut y = u64::from(ylo);
    for (s, b) in S.iter().zip(B.iter()).rev() {
        x = (x | (x << s)) & b;
        y = (y | (y << s)) & b;
    }
    x | (y << 1)
}

/// `deinterleave64`: even bits to the low half, odd bits to the high half.
fn deinterleave64(interleaved: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
        0x00000000FFFFFFFF,
    ];
    const S: [u32; 6] = [0, 1, 2, 4, 8, 16];
    let mut x = interleaved;
    let mut y = interleaved >> 1;
    for (s, b) in S.iter().zip(B.iter()) {
        x = (x | (x >> s)) & b;
        y = (y | (y >> s)) & b;
    }
    x | (y << 32)
}

/// `geohashEncode` over the given ranges; `None` where C returns 0 (a
/// coordinate outside Redis's limits or the ranges).
fn encode(lon_r: Range, lat_r: Range, lon: f64, lat: f64, step: u8) -> Option<HashBits> {
    if step > 32 || step == 0 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - lat_r.min) / (lat_r.max - lat_r.min) * scale;
    let long_offset = (lon - lon_r.min) / (lon_r.max - lon_r.min) * scale;
    // C converts the doubles to uint32_t (truncation; they are >= 0).
    Some(HashBits {
        bits: interleave64(lat_offset as u32, long_offset as u32),
        step,
    })
}

/// `geohashEncodeWGS84` at `step`; a centre that does not encode (never a
/// validated one) gives an empty hash of that step, as C leaves it.
fn encode_wgs84(lon: f64, lat: f64, step: u8) -> HashBits {
    encode(WGS84_LONG, WGS84_LAT, lon, lat, step).unwrap_or(HashBits { bits: 0, step })
}

/// `geohashDecode` over the WGS84 ranges.
fn decode(hash: HashBits) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let sep = deinterleave64(hash.bits);
    let lat_scale = WGS84_LAT.max - WGS84_LAT.min;
    let long_scale = WGS84_LONG.max - WGS84_LONG.min;
    let ilato = sep as u32;
    let ilono = (sep >> 32) as u32;
    let div = 1u64.checked_shl(u32::from(hash.step)).unwrap_or(0) as f64;
    // `(ilato + 1)` is uint32_t arithmetic in C: it wraps.
    Some(Area {
        lat: Range {
            min: WGS84_LAT.min + (f64::from(ilato) * 1.0 / div) * lat_scale,
            max: WGS84_LAT.min + (f64::from(ilato.wrapping_add(1)) * 1.0 / div) * lat_scale,
        },
        lon: Range {
            min: WGS84_LONG.min + (f64::from(ilono) * 1.0 / div) * long_scale,
            max: WGS84_LONG.min + (f64::from(ilono.wrapping_add(1)) * 1.0 / div) * long_scale,
        },
    })
}

/// `geohashDecodeAreaToLongLat`: the cell's centre, clamped to the limits.
fn area_centre(a: &Area) -> [f64; 2] {
    let lon = ((a.lon.min + a.lon.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((a.lat.min + a.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [lon, lat]
}

/// C's `(uint64_t)` of a double as gcc compiles it on x86-64 (cvttsd2si,
/// with the 2^63 split): what `decodeGeohash` makes of any zset score.
/// A score below 2^63 truncates (negative ones wrap); out-of-range parts
/// give the "integer indefinite" 0x8000000000000000.
fn c_double_to_u64(d: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    fn cvtt(d: f64) -> i64 {
        if (-TWO63..TWO63).contains(&d) {
            d as i64
        } else {
            i64::MIN
        }
    }
    if d < TWO63 {
        cvtt(d) as u64
    } else {
        (cvtt(d - TWO63) as u64) ^ (1 << 63)
    }
}

/// `decodeGeohash`: the (longitude, latitude) a zset score stands for.
fn decode_score(score: f64) -> Option<[f64; 2]> {
    let hash = HashBits {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    };
    decode(hash).map(|a| area_centre(&a))
}

/// `geohash_move_x`: one cell east (`d > 0`) or west, wrapping.
fn move_x(hash: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let mut x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let y = hash.bits & 0x5555555555555555;
    let shift = 64u32.saturating_sub(u32::from(hash.step) * 2);
    let zz = 0x5555555555555555u64.checked_shr(shift).unwrap_or(0);
    if d > 0 {
        x = x.wrapping_add(zz.wrapping_add(1));
    } else {
        x |= zz;
        x = x.wrapping_sub(zz.wrapping_add(1));
    }
    x &= 0xaaaaaaaaaaaaaaaau64.checked_shr(shift).unwrap_or(0);
    hash.bits = x | y;
}

/// `geohash_move_y`: one cell north (`d > 0`) or south, wrapping.
fn move_y(hash: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let mut y = hash.bits & 0x5555555555555555;
    let shift = 64u32.saturating_sub(u32::from(hash.step) * 2);
    let zz = 0xaaaaaaaaaaaaaaaau64.checked_shr(shift).unwrap_or(0);
    if d > 0 {
        y = y.wrapping_add(zz.wrapping_add(1));
    } else {
        y |= zz;
        y = y.wrapping_sub(zz.wrapping_add(1));
    }
    y &= 0x5555555555555555u64.checked_shr(shift).unwrap_or(0);
    hash.bits = x | y;
}

/// GeoHashNeighbors.
#[derive(Debug, Clone, Copy, Default)]
struct Neighbors {
    north: HashBits,
    east: HashBits,
    west: HashBits,
    south: HashBits,
    north_east: HashBits,
    south_east: HashBits,
    north_west: HashBits,
    south_west: HashBits,
}

/// `geohashNeighbors`.
fn neighbors(hash: HashBits) -> Neighbors {
    let at = |dx: i8, dy: i8| {
        let mut h = hash;
        move_x(&mut h, dx);
        move_y(&mut h, dy);
        h
    };
    Neighbors {
        east: at(1, 0),
        west: at(-1, 0),
        south: at(0, -1),
        north: at(0, 1),
        north_west: at(-1, 1),
        north_east: at(1, 1),
        south_east: at(1, -1),
        south_west: at(-1, -1),
    }
}

// ---- geohash_helper.c ----

/// Earth's quadratic mean radius for WGS-84, as Redis has it.
const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
/// `D_R` (M_PI / 180.0).
const D_R: f64 = std::f64::consts::PI / 180.0;

fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}

fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// `geohashEstimateStepsByRadius`: the step of the 9 search boxes.
fn estimate_steps_by_radius(range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2; // Make sure the range is included in most of the base cases.
    // Wider range towards the poles.
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// Search shape (GeoShape): a circle of `radius` or a `width` x `height`
/// box around `xy`, in units of `conversion` metres.
#[derive(Debug, Clone, Copy, Default)]
struct Shape {
    circle: bool,
    /// Centre: longitude, latitude.
    xy: [f64; 2],
    conversion: f64,
    radius: f64,
    width: f64,
    height: f64,
}

/// `geohashBoundingBox`: min lon, min lat, max lon, max lat.
fn bounding_box(shape: &Shape) -> [f64; 4] {
    let [longitude, latitude] = shape.xy;
    let height = shape.conversion
        * if shape.circle {
            shape.radius
        } else {
            shape.height / 2.0
        };
    let width = shape.conversion
        * if shape.circle {
            shape.radius
        } else {
            shape.width / 2.0
        };
    let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
    let long_delta_top =
        rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude + lat_delta).cos());
    let long_delta_bottom =
        rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude - lat_delta).cos());
    // The hemispheres bend the box's sides opposite ways.
    let southern = latitude < 0.0;
    [
        if southern {
            longitude - long_delta_bottom
        } else {
            longitude - long_delta_top
        },
        latitude - lat_delta,
        if southern {
            longitude + long_delta_bottom
        } else {
            longitude + long_delta_top
        },
        latitude + lat_delta,
    ]
}

/// GeoHashRadius: the centre's box and its neighbours.
#[derive(Debug, Clone, Copy)]
struct Boxes {
    hash: HashBits,
    neighbors: Neighbors,
}

/// `geohashCalculateAreasByShapeWGS84`: the (up to) 9 boxes covering the
/// shape; neighbours that cannot hold a match are zeroed (GZERO).
fn areas_by_shape(shape: &Shape) -> Boxes {
    let [min_lon, min_lat, max_lon, max_lat] = bounding_box(shape);
    let [longitude, latitude] = shape.xy;
    // A box's radius is the distance from its centre to a corner.
    let radius_meters = if shape.circle {
        shape.radius
    } else {
        ((shape.width / 2.0) * (shape.width / 2.0) + (shape.height / 2.0) * (shape.height / 2.0))
            .sqrt()
    } * shape.conversion;
    let mut steps = estimate_steps_by_radius(radius_meters, latitude);
    let mut hash = encode_wgs84(longitude, latitude, steps);
    let mut nb = neighbors(hash);
    let mut area = decode(hash).unwrap_or_default();

    // Near a box edge the estimated step may be too fine for the
    // neighbours to cover the whole area: one step coarser then.
    let north = decode(nb.north).unwrap_or_default();
    let south = decode(nb.south).unwrap_or_default();
    let east = decode(nb.east).unwrap_or_default();
    let west = decode(nb.west).unwrap_or_default();
    let decrease_step = north.lat.max < max_lat
        || south.lat.min > min_lat
        || east.lon.max < max_lon
        || west.lon.min > min_lon;
    if steps > 1 && decrease_step {
        steps -= 1;
        hash = encode_wgs84(longitude, latitude, steps);
        nb = neighbors(hash);
        area = decode(hash).unwrap_or_default();
    }

    // Exclude the search areas that are useless.
    if steps >= 2 {
        let zero = HashBits::default();
        if area.lat.min < min_lat {
            nb.south = zero;
            nb.south_west = zero;
            nb.south_east = zero;
        }
        if area.lat.max > max_lat {
            nb.north = zero;
            nb.north_east = zero;
            nb.north_west = zero;
        }
        if area.lon.min < min_lon {
            nb.west = zero;
            nb.south_west = zero;
            nb.north_west = zero;
        }
        if area.lon.max > max_lon {
            nb.east = zero;
            nb.south_east = zero;
            nb.north_east = zero;
        }
    }
    Boxes {
        hash,
        neighbors: nb,
    }
}

/// `geohashAlign52Bits`: the hash as a 52-bit score prefix.
fn align52(hash: HashBits) -> u64 {
    let shift = 52u32.saturating_sub(u32::from(hash.step) * 2);
    hash.bits.checked_shl(shift).unwrap_or(0)
}

/// `geohashGetLatDistance`.
fn lat_distance(lat1d: f64, lat2d: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2d) - deg_rad(lat1d)).abs()
}

/// `geohashGetDistance`: the haversine great-circle distance in metres.
fn distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64) -> f64 {
    let lon1r = deg_rad(lon1d);
    let lon2r = deg_rad(lon2d);
    let v = ((lon2r - lon1r) / 2.0).sin();
    // Same longitude: the cheap latitude-only distance.
    if v == 0.0 {
        return lat_distance(lat1d, lat2d);
    }
    let lat1r = deg_rad(lat1d);
    let lat2r = deg_rad(lat2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

/// `geohashGetDistanceIfInRectangle`: the distance from the box's centre
/// `(x1, y1)` when `(x2, y2)` lies in the box.
fn distance_if_in_rectangle(
    width_m: f64,
    height_m: f64,
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
) -> Option<f64> {
    // The latitude distance is cheaper: checked first.
    if lat_distance(y2, y1) > height_m / 2.0 {
        return None;
    }
    if distance(x2, y2, x1, y2) > width_m / 2.0 {
        return None;
    }
    Some(distance(x1, y1, x2, y2))
}

// ---- geo.c: helpers ----

const INVALID_UNIT: &str = "ERR unsupported unit provided. please use M, KM, FT, MI";
const NO_MEMBER: &str = "ERR could not decode requested zset member";
const COUNT_POSITIVE: &str = "ERR COUNT must be > 0";
const ANY_NEEDS_COUNT: &str = "ERR the ANY argument requires COUNT argument";

/// `getDoubleFromObjectOrReply` with its optional message.
fn double_arg(argv: &[Bytes], i: usize, msg: &str) -> Result<f64, Reply> {
    zset::parse_score(arg(argv, i)).ok_or_else(|| errors::err(msg))
}

/// `extractLongLatOrReply`: longitude at `i`, latitude at `i + 1`, inside
/// Redis's limits.
fn lon_lat_arg(argv: &[Bytes], i: usize) -> Result<[f64; 2], Reply> {
    let lon = double_arg(argv, i, errors::NOT_FLOAT)?;
    let lat = double_arg(argv, i + 1, errors::NOT_FLOAT)?;
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return Err(Reply::Error(format!(
            "ERR invalid longitude,latitude pair {lon:.6},{lat:.6}"
        )));
    }
    Ok([lon, lat])
}

/// `extractUnitOrReply`: metres per unit.
fn unit_arg(argv: &[Bytes], i: usize) -> Result<f64, Reply> {
    let u = arg(argv, i);
    if is_opt(u, "m") {
        Ok(1.0)
    } else if is_opt(u, "km") {
        Ok(1000.0)
    } else if is_opt(u, "ft") {
        Ok(0.3048)
    } else if is_opt(u, "mi") {
        Ok(1609.34)
    } else {
        Err(errors::err(INVALID_UNIT))
    }
}

/// `extractDistanceOrReply`: (radius, conversion) from `<radius> <unit>`.
fn distance_arg(argv: &[Bytes], i: usize) -> Result<(f64, f64), Reply> {
    let d = double_arg(argv, i, "ERR need numeric radius")?;
    if d < 0.0 {
        return Err(errors::err("ERR radius cannot be negative"));
    }
    Ok((d, unit_arg(argv, i + 1)?))
}

/// `extractBoxOrReply`: (width, height, conversion) from `<w> <h> <unit>`.
fn box_arg(argv: &[Bytes], i: usize) -> Result<(f64, f64, f64), Reply> {
    let w = double_arg(argv, i, "ERR need numeric width")?;
    let h = double_arg(argv, i + 1, "ERR need numeric height")?;
    if h < 0.0 || w < 0.0 {
        return Err(errors::err("ERR height or width cannot be negative"));
    }
    Ok((w, h, unit_arg(argv, i + 2)?))
}

/// `longLatFromMember`: the position of a member, `None` if absent.
fn member_pos(store: &dyn Store, m: &Meta, member: &[u8]) -> Result<Option<[f64; 2]>, Reply> {
    Ok(zset::get_score(store, m, member)?.and_then(decode_score))
}

/// `fixedpoint_d2string(d, 4)` (`addReplyDoubleDistance`): `%.4f` by
/// `llrint` of `d * 10^4`, so `-0.00001` prints `0.0000`.
fn distance_text(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".to_string();
    }
    // llrint: round half to even; out of range (NaN) is x86's
    // "integer indefinite" LLONG_MIN, which C prints as its magnitude.
    let scaled = (d * 10000.0).round_ties_even();
    let limit = -(i64::MIN as f64);
    let v: i64 = if (-limit..limit).contains(&scaled) {
        scaled as i64
    } else {
        i64::MIN
    };
    let (neg, mag) = (v < 0, v.unsigned_abs());
    format!(
        "{}{}.{:04}",
        if neg { "-" } else { "" },
        mag / 10000,
        mag % 10000
    )
}

fn distance_reply(d: f64) -> Reply {
    Reply::Bulk(Bytes::from(distance_text(d)))
}

/// GEOPOS's and WITHCOORD's `[longitude, latitude]`.
fn coord_reply(xy: [f64; 2]) -> Reply {
    Reply::Array(vec![Reply::HumanDouble(xy[0]), Reply::HumanDouble(xy[1])])
}

// ---- GEOADD ----

/// geoaddCommand's checks, in its order: the options, a whole number of
/// triples, NX with XX, each triple's coordinates. Returns the first
/// triple's index.
fn parse_geoadd(argv: &[Bytes]) -> Result<usize, Reply> {
    let (mut xx, mut nx) = (false, false);
    let mut longidx = 2;
    while longidx < argv.len() {
        let a = arg(argv, longidx);
        if is_opt(a, "nx") {
            nx = true;
        } else if is_opt(a, "xx") {
            xx = true;
        } else if !is_opt(a, "ch") {
            break;
        }
        longidx += 1;
    }
    let rest = argv.len().saturating_sub(longidx);
    // No triple at all is ZADD's syntax error.
    if rest % 3 != 0 || (xx && nx) || rest == 0 {
        return Err(errors::err(errors::SYNTAX));
    }
    for i in (longidx..argv.len()).step_by(3) {
        lon_lat_arg(argv, i)?;
    }
    Ok(longidx)
}

pub(crate) fn precheck_geoadd(argv: &[Bytes]) -> Result<(), Reply> {
    parse_geoadd(argv).map(drop)
}

/// GEOADD is ZADD with the coordinates turned into 52-bit scores, as
/// geoaddCommand rewrites its argv and calls zaddCommand.
pub(crate) fn geoadd(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let longidx = parse_geoadd(argv)?;
    let mut z = Vec::with_capacity(longidx + (argv.len() - longidx) / 3 * 2);
    z.push(Bytes::from_static(b"zadd"));
    z.extend(argv.iter().take(longidx).skip(1).cloned());
    for i in (longidx..argv.len()).step_by(3) {
        let [lon, lat] = lon_lat_arg(argv, i)?;
        let bits = align52(encode_wgs84(lon, lat, STEP_MAX));
        z.push(Bytes::from(bits.to_string()));
        z.push(arg_bytes(argv, i + 2));
    }
    zset::zadd(&z, ctx, store)
}

// ---- GEOPOS GEODIST GEOHASH ----

pub(crate) fn geopos(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let m = coll::load(store, arg(argv, 1), ctx.now_ms, Kind::ZSet)?;
    let mut out = Vec::with_capacity(argv.len().saturating_sub(2));
    for member in argv.get(2..).unwrap_or(&[]) {
        let pos = match &m {
            Some(m) => member_pos(store, m, member)?,
            None => None,
        };
        out.push(pos.map_or(Reply::NilArray, coord_reply));
    }
    Ok(Reply::Array(out))
}

pub(crate) fn geodist(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    // The unit is checked before the key, as geodistCommand does.
    let to_meter = match argv.len() {
        5 => unit_arg(argv, 4)?,
        n if n > 5 => return Err(errors::err(errors::SYNTAX)),
        _ => 1.0,
    };
    let Some(m) = coll::load(store, arg(argv, 1), ctx.now_ms, Kind::ZSet)? else {
        return Ok(Reply::Nil);
    };
    let (Some(a), Some(b)) = (
        zset::get_score(store, &m, arg(argv, 2))?,
        zset::get_score(store, &m, arg(argv, 3))?,
    ) else {
        return Ok(Reply::Nil);
    };
    match (decode_score(a), decode_score(b)) {
        (Some([x1, y1]), Some([x2, y2])) => Ok(distance_reply(distance(x1, y1, x2, y2) / to_meter)),
        _ => Ok(Reply::Nil),
    }
}

/// The standard geohash alphabet (base32 without a, i, l, o).
const GEO_ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// geohashCommand's string: Redis's cell centre re-encoded over the
/// standard -90..90 latitude range, 10 characters of 5 bits and an 11th
/// that is always `0` (52 bits only).
fn geohash_string(xy: [f64; 2]) -> Bytes {
    let lat90 = Range {
        min: -90.0,
        max: 90.0,
    };
    let hash =
        encode(WGS84_LONG, lat90, xy[0], xy[1], 26).unwrap_or(HashBits { bits: 0, step: 26 });
    let mut buf = [b'0'; 11];
    for (i, c) in buf.iter_mut().enumerate().take(10) {
        let idx = (hash.bits >> (52 - (i as u32 + 1) * 5)) & 0x1f;
        *c = GEO_ALPHABET.get(idx as usize).copied().unwrap_or(b'0');
    }
    Bytes::copy_from_slice(&buf)
}

pub(crate) fn geohash(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let m = coll::load(store, arg(argv, 1), ctx.now_ms, Kind::ZSet)?;
    let mut out = Vec::with_capacity(argv.len().saturating_sub(2));
    for member in argv.get(2..).unwrap_or(&[]) {
        let pos = match &m {
            Some(m) => member_pos(store, m, member)?,
            None => None,
        };
        out.push(pos.map_or(Reply::Nil, |xy| Reply::Bulk(geohash_string(xy))));
    }
    Ok(Reply::Array(out))
}

// ---- the searches (georadiusGeneric) ----

/// Search around coordinates (GEORADIUS).
const RADIUS_COORDS: u8 = 1;
/// Search around a member (GEORADIUSBYMEMBER).
const RADIUS_MEMBER: u8 = 2;
/// No STORE/STOREDIST (the _RO forms).
const RADIUS_NOSTORE: u8 = 4;
/// GEOSEARCH's arguments.
const GEOSEARCH: u8 = 8;
/// GEOSEARCHSTORE: only STOREDIST.
const GEOSEARCHSTORE: u8 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A parsed search: everything georadiusGeneric settles before it reads
/// the boxes.
struct Query {
    src: Option<Meta>,
    shape: Shape,
    withdist: bool,
    withhash: bool,
    withcoords: bool,
    sort: Sort,
    any: bool,
    /// 0: unlimited.
    count: u64,
    store_key: Option<Bytes>,
    storedist: bool,
}

/// georadiusGeneric up to the search, with its checks in its order: the
/// source key's type first, then the fixed arguments, the options loop
/// (FROMMEMBER reads its member where it stands in the loop), and the
/// combination checks.
fn parse_query(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
    src_index: usize,
    flags: u8,
) -> Result<Query, Reply> {
    let src = coll::load(store, arg(argv, src_index), ctx.now_ms, Kind::ZSet)?;
    let mut shape = Shape::default();
    let mut store_key = None;
    let base_args;
    if flags & RADIUS_COORDS != 0 {
        base_args = 6;
        shape.circle = true;
        shape.xy = lon_lat_arg(argv, 2)?;
        (shape.radius, shape.conversion) = distance_arg(argv, base_args - 2)?;
    } else if flags & RADIUS_MEMBER != 0 {
        base_args = 5;
        // Without a source key the radius is never parsed: the reply only
        // depends on whether STORE was given.
        if let Some(m) = &src {
            shape.circle = true;
            shape.xy = member_pos(store, m, arg(argv, 2))?.ok_or_else(|| errors::err(NO_MEMBER))?;
            (shape.radius, shape.conversion) = distance_arg(argv, base_args - 2)?;
        }
    } else if flags & GEOSEARCH != 0 {
        base_args = if flags & GEOSEARCHSTORE != 0 {
            store_key = Some(arg_bytes(argv, 1));
            3
        } else {
            2
        };
    } else {
        return Err(errors::err("ERR Unknown georadius search type"));
    }

    let (mut withdist, mut withhash, mut withcoords) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let mut storedist = false;
    let remaining = argv.len().saturating_sub(base_args);
    let search = flags & GEOSEARCH != 0;
    let may_store = flags & RADIUS_NOSTORE == 0 && !search;
    let mut i = 0;
    while i < remaining {
        let at = base_args + i;
        let a = arg(argv, at);
        if is_opt(a, "withdist") {
            withdist = true;
        } else if is_opt(a, "withhash") {
            withhash = true;
        } else if is_opt(a, "withcoord") {
            withcoords = true;
        } else if is_opt(a, "any") {
            any = true;
        } else if is_opt(a, "asc") {
            sort = Sort::Asc;
        } else if is_opt(a, "desc") {
            sort = Sort::Desc;
        } else if is_opt(a, "count") && i + 1 < remaining {
            count = parse_i64(arg(argv, at + 1)).ok_or_else(|| errors::err(errors::NOT_INTEGER))?;
            if count <= 0 {
                return Err(errors::err(COUNT_POSITIVE));
            }
            i += 1;
        } else if is_opt(a, "store") && i + 1 < remaining && may_store {
            store_key = Some(arg_bytes(argv, at + 1));
            storedist = false;
            i += 1;
        } else if is_opt(a, "storedist") && i + 1 < remaining && may_store {
            store_key = Some(arg_bytes(argv, at + 1));
            storedist = true;
            i += 1;
        } else if is_opt(a, "storedist") && search && flags & GEOSEARCHSTORE != 0 {
            storedist = true;
        } else if is_opt(a, "frommember") && i + 1 < remaining && search && !fromloc {
            // Without a source key: go on parsing, answer when done.
            if let Some(m) = &src {
                shape.xy = member_pos(store, m, arg(argv, at + 1))?
                    .ok_or_else(|| errors::err(NO_MEMBER))?;
            }
            frommember = true;
            i += 1;
        } else if is_opt(a, "fromlonlat") && i + 2 < remaining && search && !frommember {
            shape.xy = lon_lat_arg(argv, at + 1)?;
            fromloc = true;
            i += 2;
        } else if is_opt(a, "byradius") && i + 2 < remaining && search && !bybox {
            (shape.radius, shape.conversion) = distance_arg(argv, at + 1)?;
            shape.circle = true;
            byradius = true;
            i += 2;
        } else if is_opt(a, "bybox") && i + 3 < remaining && search && !byradius {
            (shape.width, shape.height, shape.conversion) = box_arg(argv, at + 1)?;
            shape.circle = false;
            bybox = true;
            i += 3;
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        i += 1;
    }

    if store_key.is_some() && (withdist || withhash || withcoords) {
        return Err(Reply::Error(format!(
            "ERR {} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            if flags & GEOSEARCHSTORE != 0 {
                "GEOSEARCHSTORE"
            } else {
                "STORE option in GEORADIUS"
            }
        )));
    }
    // The command's name as the client spelled it, as Redis prints it.
    let name = String::from_utf8_lossy(arg(argv, 0));
    if search && !(frommember || fromloc) {
        return Err(Reply::Error(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if search && !(byradius || bybox) {
        return Err(Reply::Error(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if any && count == 0 {
        return Err(errors::err(ANY_NEEDS_COUNT));
    }
    // COUNT without an order means the closest ones (not with ANY).
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    Ok(Query {
        src,
        shape,
        withdist,
        withhash,
        withcoords,
        sort,
        any,
        count: count.unsigned_abs(),
        store_key,
        storedist,
    })
}

/// geoPoint: one match.
struct Point {
    xy: [f64; 2],
    dist: f64,
    score: f64,
    member: Bytes,
}

/// `geoWithinShape`: the position and distance of a score inside the
/// shape.
fn within_shape(shape: &Shape, score: f64) -> Option<([f64; 2], f64)> {
    let xy = decode_score(score)?;
    let d = if shape.circle {
        let d = distance(shape.xy[0], shape.xy[1], xy[0], xy[1]);
        // `> radius` rejects: a NaN distance is kept, as in C.
        if d > shape.radius * shape.conversion {
            return None;
        }
        d
    } else {
        distance_if_in_rectangle(
            shape.width * shape.conversion,
            shape.height * shape.conversion,
            shape.xy[0],
            shape.xy[1],
            xy[0],
            xy[1],
        )?
    };
    Some((xy, d))
}

/// The 9 boxes in membersOfAllNeighbors's order.
fn box_list(b: &Boxes) -> [HashBits; 9] {
    let n = &b.neighbors;
    [
        b.hash,
        n.north,
        n.south,
        n.east,
        n.west,
        n.north_east,
        n.north_west,
        n.south_east,
        n.south_west,
    ]
}

/// `scoresOfGeoHashBox`: the score interval `[min, max)` of a box.
fn box_scores(hash: HashBits) -> (f64, f64) {
    let min = align52(hash);
    let next = HashBits {
        bits: hash.bits.wrapping_add(1),
        step: hash.step,
    };
    (min as f64, align52(next) as f64)
}

/// The boxes membersOfAllNeighbors reads: zeroed ones skipped, and one
/// equal to the box read just before it (huge radii make adjacent
/// neighbours coincide). As in C, index 0 is never compared against.
fn boxes_to_read(b: &Boxes) -> Vec<HashBits> {
    let list = box_list(b);
    let mut out = Vec::with_capacity(9);
    let mut last_processed = 0usize;
    for (i, h) in list.iter().enumerate() {
        if h.is_zero() {
            continue;
        }
        if last_processed != 0 && list.get(last_processed) == Some(h) {
            continue;
        }
        out.push(*h);
        last_processed = i;
    }
    out
}

/// `membersOfAllNeighbors` + `geoGetPointsInRange`: every member of the
/// boxes inside the shape, in box then score order; with `limit` (ANY)
/// it stops once that many matched.
fn search(store: &dyn Store, m: &Meta, shape: &Shape, limit: u64) -> Result<Vec<Point>, Reply> {
    let boxes = areas_by_shape(shape);
    let mut found: Vec<Point> = Vec::new();
    let full = |n: usize| limit != 0 && n as u64 >= limit;
    for hash in boxes_to_read(&boxes) {
        if full(found.len()) {
            break;
        }
        let (min, max) = box_scores(hash);
        zset::walk_scores(store, m, min, max, &mut |score, member| {
            if let Some((xy, dist)) = within_shape(shape, score) {
                found.push(Point {
                    xy,
                    dist,
                    score,
                    member: Bytes::copy_from_slice(member),
                });
            }
            !full(found.len())
        })?;
    }
    Ok(found)
}

/// `sort_gp_asc` / `sort_gp_desc`: 1, 0 or -1 by distance (a NaN compares
/// as -1 both ways, as in C).
fn cmp_dist(a: &Point, b: &Point, desc: bool) -> i32 {
    let c = if a.dist > b.dist {
        1
    } else if a.dist == b.dist {
        0
    } else {
        -1
    };
    if desc { -c } else { c }
}

/// The search's matches, ordered and cut to COUNT as georadiusGeneric
/// does, equal distances included: all of them sorted by glibc's qsort (a
/// stable merge sort), or only the first COUNT by Redis's `pqsort`.
fn run_query(store: &dyn Store, q: &Query) -> Result<Vec<Point>, Reply> {
    let Some(m) = &q.src else {
        return Ok(Vec::new());
    };
    let mut found = search(store, m, &q.shape, if q.any { q.count } else { 0 })?;
    let returned = match usize::try_from(q.count) {
        Ok(c) if c != 0 && c < found.len() => c,
        _ => found.len(),
    };
    let desc = q.sort == Sort::Desc;
    if q.sort != Sort::None {
        if returned == found.len() {
            // total_cmp: a total order (sort_by may panic without one); it
            // differs from the C comparator only for a NaN distance.
            if desc {
                found.sort_by(|a, b| b.dist.total_cmp(&a.dist));
            } else {
                found.sort_by(|a, b| a.dist.total_cmp(&b.dist));
            }
        } else {
            let len = found.len();
            pqsort(
                &mut found,
                0,
                len,
                &|a, b| cmp_dist(a, b, desc),
                0,
                returned - 1,
            );
        }
    }
    found.truncate(returned);
    Ok(found)
}

/// `med3` of pqsort.c: the index of the median of three.
fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &dyn Fn(&T, &T) -> i32) -> usize {
    let f = |x: usize, y: usize| match (v.get(x), v.get(y)) {
        (Some(p), Some(q)) => cmp(p, q),
        _ => 0,
    };
    if f(a, b) < 0 {
        if f(b, c) < 0 {
            b
        } else if f(a, c) < 0 {
            c
        } else {
            a
        }
    } else if f(b, c) > 0 {
        b
    } else if f(a, c) < 0 {
        a
    } else {
        c
    }
}

/// Redis's `pqsort` (pqsort.c, Bentley & McIlroy's quicksort that only
/// sorts partitions overlapping `[lrange, rrange]`), element for element,
/// so the first COUNT matches come out in Redis's order, ties included.
/// Sorts `v[a..a + n]`.
fn pqsort<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    cmp: &dyn Fn(&T, &T) -> i32,
    lrange: usize,
    rrange: usize,
) {
    let c = |v: &[T], x: usize, y: usize| match (v.get(x), v.get(y)) {
        (Some(p), Some(q)) => cmp(p, q),
        _ => 0,
    };
    let swap = |v: &mut [T], x: usize, y: usize| {
        if x < v.len() && y < v.len() {
            v.swap(x, y);
        }
    };
    let vecswap = |v: &mut [T], x: usize, y: usize, k: usize| {
        for i in 0..k {
            if x + i < v.len() && y + i < v.len() {
                v.swap(x + i, y + i);
            }
        }
    };
    // Whether `[s, s + k)` holds part of the wanted range.
    let wanted = |s: usize, k: usize| !(rrange < s || lrange >= s + k);
    loop {
        if n < 7 {
            for pm in a + 1..a + n {
                let mut pl = pm;
                while pl > a && c(v, pl - 1, pl) > 0 {
                    swap(v, pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        swap(v, a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let r = c(v, pb, a);
                if r > 0 {
                    break;
                }
                if r == 0 {
                    swap(v, pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let r = c(v, pc, a);
                if r < 0 {
                    break;
                }
                if r == 0 {
                    swap(v, pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            swap(v, pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        vecswap(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && wanted(a, r) {
            pqsort(v, a, r, cmp, lrange, rrange);
        }
        let r = pd - pc;
        if r > 1 {
            // Iterate rather than recurse (C's `goto loop`).
            a = pn - r;
            n = r;
            if wanted(a, n) {
                continue;
            }
        }
        return;
    }
}

/// The read reply: members, or per member `[member, dist?, hash?, coords?]`.
fn search_reply(q: &Query, found: Vec<Point>) -> Reply {
    let options = usize::from(q.withdist) + usize::from(q.withhash) + usize::from(q.withcoords);
    Reply::Array(
        found
            .into_iter()
            .map(|p| {
                if options == 0 {
                    return Reply::Bulk(p.member);
                }
                let mut item = Vec::with_capacity(options + 1);
                item.push(Reply::Bulk(p.member));
                if q.withdist {
                    item.push(distance_reply(p.dist / q.shape.conversion));
                }
                if q.withhash {
                    // addReplyLongLong of the score: C's double-to-long long.
                    item.push(Reply::Integer(p.score as i64));
                }
                if q.withcoords {
                    item.push(coord_reply(p.xy));
                }
                Reply::Array(item)
            })
            .collect(),
    )
}

/// A search with STORE/STOREDIST: the matches become a new zset at the
/// destination (scores: the geohash, or the distance in the unit), an
/// empty result deletes it; replies the count.
fn search_store(store: &mut dyn Store, ctx: &Ctx, q: &Query, dst: &[u8], event: &'static str) -> R {
    let found = run_query(&*store, q)?;
    let mut seen = HashSet::with_capacity(found.len());
    let mut items = Vec::with_capacity(found.len());
    for p in found {
        // A member can come from one box only (equal boxes are adjacent in
        // the list and skipped), but a duplicate would corrupt the zset's
        // length, so it is dropped rather than trusted away.
        if !seen.insert(p.member.clone()) {
            continue;
        }
        let score = if q.storedist {
            p.dist / q.shape.conversion
        } else {
            p.score
        };
        items.push((p.member, score));
    }
    zset::store_items(store, dst, &items, ctx.now_ms, event)
}

/// georadiusGeneric for the forms without a destination.
fn read_generic(argv: &[Bytes], ctx: &Ctx, store: &dyn Store, flags: u8) -> R {
    let q = parse_query(argv, ctx, store, 1, flags)?;
    if q.store_key.is_some() {
        // Only GEORADIUS and GEORADIUSBYMEMBER take STORE, and they are
        // writes: as a read (their read form, see `read_form`) there is
        // no store to write to.
        return Err(errors::err(errors::SYNTAX));
    }
    let found = run_query(store, &q)?;
    Ok(search_reply(&q, found))
}

/// georadiusGeneric for the write forms: STORE or not.
fn write_generic(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store, src: usize, flags: u8) -> R {
    let q = parse_query(argv, ctx, &*store, src, flags)?;
    match q.store_key.clone() {
        Some(dst) => {
            let event = if flags & GEOSEARCHSTORE != 0 {
                "geosearchstore"
            } else {
                "georadiusstore"
            };
            search_store(store, ctx, &q, &dst, event)
        }
        None => {
            let found = run_query(&*store, &q)?;
            Ok(search_reply(&q, found))
        }
    }
}

pub(crate) fn geosearch(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    read_generic(argv, ctx, store, GEOSEARCH)
}

pub(crate) fn georadius_ro(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    read_generic(argv, ctx, store, RADIUS_COORDS | RADIUS_NOSTORE)
}

pub(crate) fn georadiusbymember_ro(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    read_generic(argv, ctx, store, RADIUS_MEMBER | RADIUS_NOSTORE)
}

pub(crate) fn geosearchstore(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    write_generic(argv, ctx, store, 2, GEOSEARCH | GEOSEARCHSTORE)
}

pub(crate) fn georadius(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    write_generic(argv, ctx, store, 1, RADIUS_COORDS)
}

pub(crate) fn georadiusbymember(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    write_generic(argv, ctx, store, 1, RADIUS_MEMBER)
}

/// GEORADIUS and GEORADIUSBYMEMBER are writes in Redis's table only
/// because of STORE/STOREDIST. Without either word among the options they
/// answer exactly like GEORADIUS_RO / GEORADIUSBYMEMBER_RO (no reply text
/// names the command), so the connection runs them as those reads: no log
/// entry, and a big search goes to the heavy pool instead of an apply on
/// the core. With STORE they stay writes.
pub fn read_form(argv: &[Bytes]) -> Option<&'static str> {
    let name = argv.first()?;
    let (ro, first_opt) = if is_opt(name, "georadius") {
        ("georadius_ro", 6)
    } else if is_opt(name, "georadiusbymember") {
        ("georadiusbymember_ro", 5)
    } else {
        return None;
    };
    let stores = argv
        .iter()
        .skip(first_opt)
        .any(|a| is_opt(a, "store") || is_opt(a, "storedist"));
    (!stores).then_some(ro)
}

/// The heavy-pool estimate of a search: the members of its boxes, counted
/// up to `HEAVY_MIN + 1` (at most 9 seeks, fewer where boxes touch, and
/// that many steps on the core); past that the zset's length, which bounds
/// what it may touch. A small search on a big index thus stays on the
/// core; an argument error estimates 0 (the core answers it). Measured:
/// the estimate is about a third of a small search's time (docs/design/0019).
pub(crate) fn search_size(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> Result<u64, StoreError> {
    let name = arg(argv, 0);
    let flags = if is_opt(name, "geosearch") {
        GEOSEARCH
    } else if is_opt(name, "georadius_ro") || is_opt(name, "georadius") {
        RADIUS_COORDS | RADIUS_NOSTORE
    } else {
        RADIUS_MEMBER | RADIUS_NOSTORE
    };
    let q = match parse_query(argv, ctx, store, 1, flags) {
        Ok(q) => q,
        // A failed read is the caller's error; any other error is cheap.
        Err(Reply::Error(e)) if e.starts_with(errors::STORAGE_READ) => {
            let detail = e.get(errors::STORAGE_READ.len() + 2..).unwrap_or(&e);
            return Err(StoreError::new(detail));
        }
        Err(_) => return Ok(0),
    };
    let Some(m) = &q.src else {
        return Ok(0);
    };
    let cap = crate::table::HEAVY_MIN + 1;
    if m.len() < cap {
        return Ok(m.len());
    }
    let mut n = 0u64;
    for (min, max) in merged_ranges(&boxes_to_read(&areas_by_shape(&q.shape))) {
        zset::walk_scores(store, m, min, max, &mut |_, _| {
            n += 1;
            n < cap
        })?;
        if n >= cap {
            return Ok(m.len());
        }
    }
    Ok(n)
}

/// The boxes' score ranges in score order, touching ones joined: the
/// estimate only counts, so it may read them in any order, and a block of
/// neighbours under one parent cell is then a single seek.
fn merged_ranges(boxes: &[HashBits]) -> Vec<(f64, f64)> {
    let mut r: Vec<(f64, f64)> = boxes.iter().map(|h| box_scores(*h)).collect();
    r.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(r.len());
    for (min, max) in r {
        match out.last_mut() {
            Some(last) if min <= last.1 => last.1 = last.1.max(max),
            _ => out.push((min, max)),
        }
    }
    out
}

/// A geo reply relayed from the node leading the key's group arrives
/// parsed from RESP3: coordinates as plain doubles and GEOPOS's missing
/// members as a null bulk. This restores the human-double coordinates and
/// the null arrays a RESP2 client must see. Other replies pass unchanged.
pub fn relayed(argv: &[Bytes], r: Reply) -> Reply {
    fn human(r: Reply) -> Reply {
        match r {
            Reply::Double(d) => Reply::HumanDouble(d),
            Reply::Array(v) => Reply::Array(v.into_iter().map(human).collect()),
            other => other,
        }
    }
    let name = arg(argv, 0);
    if is_opt(name, "geopos") {
        return match r {
            Reply::Array(v) => Reply::Array(
                v.into_iter()
                    .map(|x| match x {
                        Reply::Nil => Reply::NilArray,
                        other => human(other),
                    })
                    .collect(),
            ),
            other => other,
        };
    }
    let search = [
        "geosearch",
        "georadius",
        "georadius_ro",
        "georadiusbymember",
        "georadiusbymember_ro",
    ];
    if search.iter().any(|n| is_opt(name, n)) {
        return human(r);
    }
    r
}

/// This family's handlers, for the table test that pairs each with exactly
/// one table entry.
#[cfg(test)]
pub(crate) const HANDLERS: &[(&str, Handler)] = &[
    ("geoadd", write(Some(precheck_geoadd), geoadd)),
    ("geosearchstore", write(None, geosearchstore)),
    ("georadius", write(None, georadius)),
    ("georadiusbymember", write(None, georadiusbymember)),
    ("geopos", Handler::Read(geopos)),
    ("geodist", Handler::Read(geodist)),
    ("geohash", Handler::Read(geohash)),
    ("geosearch", Handler::Read(geosearch)),
    ("georadius_ro", Handler::Read(georadius_ro)),
    ("georadiusbymember_ro", Handler::Read(georadiusbymember_ro)),
];

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::MemStore;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
    const SYNTAX: &str = "ERR syntax error";

    fn arr(v: Vec<Reply>) -> Reply {
        Reply::Array(v)
    }

    fn h(d: f64) -> Reply {
        Reply::HumanDouble(d)
    }

    /// The text a coordinate reply prints (RESP2 bulk / RESP3 double).
    fn texts(r: &Reply) -> Vec<String> {
        match r {
            Reply::Array(v) => v
                .iter()
                .map(|x| match x {
                    Reply::HumanDouble(d) => format_human_text(*d),
                    Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                    Reply::Integer(i) => i.to_string(),
                    Reply::Nil | Reply::NilArray => "nil".to_string(),
                    Reply::Array(_) => format!("[{}]", texts(x).join(" ")),
                    other => format!("{other:?}"),
                })
                .collect(),
            other => panic!("not an array: {other:?}"),
        }
    }

    fn format_human_text(d: f64) -> String {
        super::super::num::format_human(d)
    }

    fn sicily(s: &mut MemStore) {
        assert_eq!(
            run(
                s,
                &[
                    "GEOADD",
                    "Sicily",
                    "13.361389",
                    "38.115556",
                    "Palermo",
                    "15.087269",
                    "37.502669",
                    "Catania"
                ]
            ),
            int(2)
        );
    }

    /// GEOADD then ZSCORE, GEOHASH and GEOPOS as redis-server 7.0.15
    /// answered them (captured with redis-cli), edges included: the
    /// corner (180, 85.05112878) encodes past 52 bits (3 << 52), as in C.
    #[test]
    fn encoding_matches_redis() {
        let cases = [
            (
                "180",
                "85.05112878",
                13510798882111488u64,
                "bp05b5048p0",
                "180",
                "85.0511287799999991",
            ),
            (
                "-180",
                "-85.05112878",
                0,
                "00bh0hbj200",
                "-179.99999731779098511",
                "-85.05112751263942528",
            ),
            (
                "0",
                "0",
                3377699720527872,
                "s0000000000",
                "0.00000268220901489",
                "0.00000126736058093",
            ),
            (
                "179.999999",
                "0",
                4128299658422954,
                "xbpbpbpbpb0",
                "179.99999731779098511",
                "0.00000126736058093",
            ),
            (
                "-179.999999",
                "0",
                1125899906842624,
                "80000000000",
                "-179.99999731779098511",
                "0.00000126736058093",
            ),
            (
                "13.361389",
                "38.115556",
                3479099956230698,
                "sqc8b49rny0",
                "13.36138933897018433",
                "38.11555639549629859",
            ),
            (
                "15.087269",
                "37.502669",
                3479447370796909,
                "sqdtr74hyu0",
                "15.08726745843887329",
                "37.50266842333162032",
            ),
            (
                "-122.27652",
                "37.805186",
                1367952638197536,
                "9q9p1d0znt0",
                "-122.27652043104171753",
                "37.80518485897756165",
            ),
            (
                "151.2093",
                "-33.8688",
                3252046221964352,
                "r3gx2f77bj0",
                "151.20929986238479614",
                "-33.86880091934155956",
            ),
            (
                "-0.1276",
                "51.5072",
                2163557714838307,
                "gcpvj0e54w0",
                "-0.12760072946548462",
                "51.50720053692975853",
            ),
        ];
        let mut s = MemStore::new();
        for (lon, lat, score, hash, plon, plat) in cases {
            let m = format!("{lon},{lat}");
            assert_eq!(run(&mut s, &["GEOADD", "k", lon, lat, &m]), int(1), "{m}");
            assert_eq!(
                run(&mut s, &["ZSCORE", "k", &m]),
                Reply::Double(score as f64),
                "{m}"
            );
            let (x, y) = (lon.parse().unwrap_or(0.0), lat.parse().unwrap_or(0.0));
            assert_eq!(align52(encode_wgs84(x, y, STEP_MAX)), score, "{m}");
            assert_eq!(
                run(&mut s, &["GEOHASH", "k", &m]),
                arr(vec![bulk(hash)]),
                "{m}"
            );
            let pos = run(&mut s, &["GEOPOS", "k", &m]);
            assert_eq!(texts(&pos), vec![format!("[{plon} {plat}]")], "{m}");
        }
        assert_eq!(run(&mut s, &["TYPE", "k"]), Reply::Simple("zset".into()));
        assert_eq!(run(&mut s, &["ZCARD", "k"]), int(10));
    }

    /// Any zset works: scores that are no geohash decode as C's
    /// `(uint64_t)` cast makes of them (x86-64), as redis-server answered.
    #[test]
    fn any_score_decodes_like_redis() {
        let mut s = MemStore::new();
        run(
            &mut s,
            &[
                "ZADD",
                "z",
                "-5",
                "neg",
                "1.5",
                "frac",
                "1e300",
                "huge",
                "4503599627370495",
                "max52",
                "9.3e18",
                "big63",
                "inf",
                "pinf",
            ],
        );
        for (m, want, hash) in [
            ("neg", "[180 85.0511287799999991]", "bp05b5048p0"),
            (
                "frac",
                "[-179.99999731779098511 -85.05112497791824921]",
                "00bh0hbj210",
            ),
            (
                "huge",
                "[-179.99999731779098511 -85.05112751263942528]",
                "00bh0hbj200",
            ),
            (
                "max52",
                "[179.99999731779098511 85.05112751263942528]",
                "zzpgzgpfxz0",
            ),
            ("big63", "[180 85.0511287799999991]", "bp05b5048p0"),
            (
                "pinf",
                "[-179.99999731779098511 -85.05112751263942528]",
                "00bh0hbj200",
            ),
        ] {
            assert_eq!(texts(&run(&mut s, &["GEOPOS", "z", m])), vec![want], "{m}");
            assert_eq!(
                run(&mut s, &["GEOHASH", "z", m]),
                arr(vec![bulk(hash)]),
                "{m}"
            );
        }
        assert_eq!(c_double_to_u64(-5.0), (-5i64) as u64);
        assert_eq!(c_double_to_u64(1e300), 0);
        assert_eq!(c_double_to_u64(9.3e18), 9_300_000_000_000_000_000);
    }

    #[test]
    fn geohash_bits_round_trip() {
        assert_eq!(interleave64(0, 0), 0);
        assert_eq!(interleave64(1, 0), 1);
        assert_eq!(interleave64(0, 1), 2);
        assert_eq!(interleave64(u32::MAX, 0), 0x5555555555555555);
        for (x, y) in [
            (0u32, 0u32),
            (1, 2),
            (12345, 67890),
            (u32::MAX, 7),
            (1 << 25, (1 << 26) - 1),
        ] {
            let d = deinterleave64(interleave64(x, y));
            assert_eq!((d as u32, (d >> 32) as u32), (x, y));
        }
        // Neighbours wrap around the world at step 1.
        let h = encode_wgs84(0.0, 0.0, 1);
        let n = neighbors(h);
        assert_eq!(n.east, n.west);
        assert_eq!(n.north, n.south);
        assert_eq!(align52(h), 3 << 50);
    }

    #[test]
    fn steps_by_radius() {
        assert_eq!(estimate_steps_by_radius(0.0, 0.0), 26);
        assert_eq!(estimate_steps_by_radius(1.0, 0.0), 24);
        assert_eq!(estimate_steps_by_radius(1000.0, 0.0), 14);
        assert_eq!(estimate_steps_by_radius(1000.0, 70.0), 13);
        assert_eq!(estimate_steps_by_radius(1000.0, -81.0), 12);
        assert_eq!(estimate_steps_by_radius(5e7, 0.0), 1);
        assert_eq!(estimate_steps_by_radius(f64::INFINITY, 0.0), 1);
    }

    #[test]
    fn distances_and_units() {
        let mut s = MemStore::new();
        sicily(&mut s);
        for (unit, want) in [
            (None, "166274.1516"),
            (Some("m"), "166274.1516"),
            (Some("KM"), "166.2742"),
            (Some("mi"), "103.3182"),
            (Some("ft"), "545518.8700"),
        ] {
            let mut args = vec!["GEODIST", "Sicily", "Palermo", "Catania"];
            args.extend(unit);
            assert_eq!(run(&mut s, &args), bulk(want), "{unit:?}");
        }
        assert_eq!(
            run(&mut s, &["GEODIST", "Sicily", "Palermo", "Palermo"]),
            bulk("0.0000")
        );
        assert_eq!(
            run(&mut s, &["GEODIST", "Sicily", "Palermo", "nx"]),
            Reply::Nil
        );
        assert_eq!(run(&mut s, &["GEODIST", "nokey", "a", "b"]), Reply::Nil);
        assert_eq!(
            run(&mut s, &["GEODIST", "Sicily", "a", "b", "parsec"]),
            err("ERR unsupported unit provided. please use M, KM, FT, MI")
        );
        // The unit is checked before the key.
        assert_eq!(
            run(&mut s, &["GEODIST", "nokey", "a", "b", "parsec"]),
            err("ERR unsupported unit provided. please use M, KM, FT, MI")
        );
        assert_eq!(
            run(&mut s, &["GEODIST", "Sicily", "a", "b", "km", "x"]),
            err(SYNTAX)
        );
        // Haversine with Redis's earth radius; the same longitude takes the
        // latitude-only path.
        assert_eq!(distance(0.0, 0.0, 0.0, 1.0), EARTH_RADIUS_IN_METERS * D_R);
        assert_eq!(distance_text(111226.29392282), "111226.2939");
        assert_eq!(distance_text(0.00005), "0.0000");
        // llrint(1.4999999999999998): 1.
        assert_eq!(distance_text(0.00015), "0.0001");
        assert_eq!(distance_text(0.00025), "0.0002");
        assert_eq!(distance_text(0.7750), "0.7750");
        assert_eq!(distance_text(f64::NAN), "-922337203685477.5808");
    }

    #[test]
    fn geoadd_options_and_errors() {
        let mut s = MemStore::new();
        sicily(&mut s);
        assert_eq!(
            run(&mut s, &["GEOADD", "Sicily", "CH", "1", "1", "Palermo"]),
            int(1)
        );
        assert_eq!(
            run(
                &mut s,
                &[
                    "GEOADD", "Sicily", "XX", "CH", "2", "2", "Palermo", "3", "3", "new"
                ]
            ),
            int(1)
        );
        assert_eq!(run(&mut s, &["ZCARD", "Sicily"]), int(2));
        assert_eq!(
            run(
                &mut s,
                &[
                    "GEOADD", "Sicily", "NX", "2", "2", "Catania", "3", "3", "new"
                ]
            ),
            int(1)
        );
        assert_eq!(run(&mut s, &["GEOADD", "Sicily", "1", "1", "new"]), int(0));
        for (args, want) in [
            (&["GEOADD", "g", "NX", "XX", "1", "2", "x"][..], SYNTAX),
            (&["GEOADD", "g", "GT", "1", "1", "c"], SYNTAX),
            (&["GEOADD", "g", "CH", "CH", "CH"], SYNTAX),
            (&["GEOADD", "g", "1", "1", "a", "2"], SYNTAX),
            (
                &["GEOADD", "g", "1", "1", "a", "2", "x", "b"],
                "ERR value is not a valid float",
            ),
            (
                &["GEOADD", "g", "1e400", "0", "x"],
                "ERR value is not a valid float",
            ),
            (
                &["GEOADD", "g", " 1", "0", "x"],
                "ERR value is not a valid float",
            ),
            (
                &["GEOADD", "g", "1", "nan", "x"],
                "ERR value is not a valid float",
            ),
            (
                &["GEOADD", "g", "0", "85.05112879", "x"],
                "ERR invalid longitude,latitude pair 0.000000,85.051129",
            ),
            (
                &["GEOADD", "g", "0", "-90", "x"],
                "ERR invalid longitude,latitude pair 0.000000,-90.000000",
            ),
            (
                &["GEOADD", "g", "0", "90", "x"],
                "ERR invalid longitude,latitude pair 0.000000,90.000000",
            ),
            (
                &["GEOADD", "g", "180.0000001", "0", "x"],
                "ERR invalid longitude,latitude pair 180.000000,0.000000",
            ),
            (
                &["GEOADD", "g", "inf", "0", "x"],
                "ERR invalid longitude,latitude pair inf,0.000000",
            ),
            (
                &["GEOADD", "g", "1", "1", "a", "2", "91", "b"],
                "ERR invalid longitude,latitude pair 2.000000,91.000000",
            ),
        ] {
            let v = argv(args);
            assert_eq!(precheck_geoadd(&v), Err(err(want)), "{args:?}");
            assert_eq!(run(&mut s, args), err(want), "{args:?}");
        }
        // Nothing of a refused GEOADD was written.
        assert_eq!(run(&mut s, &["EXISTS", "g"]), int(0));
        assert_eq!(
            run(&mut s, &["GEOADD", "g", "0x10", "-85.05112878", "hex"]),
            int(1)
        );
        run(&mut s, &["SET", "str", "v"]);
        assert_eq!(
            run(&mut s, &["GEOADD", "str", "1", "1", "a"]),
            err(WRONGTYPE)
        );
    }

    #[test]
    fn geopos_and_geohash_shapes() {
        let mut s = MemStore::new();
        sicily(&mut s);
        assert_eq!(
            run(&mut s, &["GEOPOS", "Sicily", "Palermo", "nx"]),
            arr(vec![
                arr(vec![h(13.361389338970184), h(38.1155563954963)]),
                Reply::NilArray
            ])
        );
        assert_eq!(
            run(&mut s, &["GEOPOS", "nokey", "a", "b"]),
            arr(vec![Reply::NilArray, Reply::NilArray])
        );
        assert_eq!(run(&mut s, &["GEOPOS", "Sicily"]), arr(vec![]));
        assert_eq!(
            run(&mut s, &["GEOHASH", "nokey", "a"]),
            arr(vec![Reply::Nil])
        );
        assert_eq!(
            run(&mut s, &["GEOHASH", "Sicily", "Catania", "nx"]),
            arr(vec![bulk("sqdtr74hyu0"), Reply::Nil])
        );
        run(&mut s, &["SET", "str", "v"]);
        for cmd in ["GEOPOS", "GEOHASH"] {
            assert_eq!(run(&mut s, &[cmd, "str", "a"]), err(WRONGTYPE));
        }
        assert_eq!(run(&mut s, &["GEODIST", "str", "a", "b"]), err(WRONGTYPE));
    }

    #[test]
    fn geosearch_replies() {
        let mut s = MemStore::new();
        sicily(&mut s);
        let r = run(
            &mut s,
            &[
                "GEOSEARCH",
                "Sicily",
                "FROMLONLAT",
                "15",
                "37",
                "BYRADIUS",
                "200",
                "km",
                "ASC",
                "WITHCOORD",
                "WITHDIST",
                "WITHHASH",
            ],
        );
        assert_eq!(
            r,
            arr(vec![
                arr(vec![
                    bulk("Catania"),
                    bulk("56.4413"),
                    int(3479447370796909),
                    arr(vec![h(15.087267458438873), h(37.50266842333162)]),
                ]),
                arr(vec![
                    bulk("Palermo"),
                    bulk("190.4424"),
                    int(3479099956230698),
                    arr(vec![h(13.361389338970184), h(38.1155563954963)]),
                ]),
            ])
        );
        assert_eq!(
            texts(&r),
            vec![
                "[Catania 56.4413 3479447370796909 [15.08726745843887329 37.50266842333162032]]",
                "[Palermo 190.4424 3479099956230698 [13.36138933897018433 38.11555639549629859]]"
            ]
        );
        let q = |s: &mut MemStore, extra: &[&str]| {
            let mut a = vec!["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37"];
            a.extend_from_slice(extra);
            texts(&run(s, &a))
        };
        assert_eq!(
            q(&mut s, &["BYRADIUS", "200", "km"]),
            vec!["Palermo", "Catania"]
        );
        assert_eq!(
            q(&mut s, &["BYRADIUS", "200", "km", "DESC"]),
            vec!["Palermo", "Catania"]
        );
        assert_eq!(
            q(&mut s, &["BYRADIUS", "200", "km", "ASC"]),
            vec!["Catania", "Palermo"]
        );
        assert_eq!(
            q(&mut s, &["BYRADIUS", "200", "km", "COUNT", "1"]),
            vec!["Catania"]
        );
        assert_eq!(
            q(&mut s, &["BYRADIUS", "200", "km", "COUNT", "1", "DESC"]),
            vec!["Palermo"]
        );
        // ANY stops at the first match found, in box order, unsorted.
        assert_eq!(
            q(&mut s, &["BYRADIUS", "200", "km", "COUNT", "1", "ANY"]),
            vec!["Palermo"]
        );
        assert_eq!(q(&mut s, &["BYRADIUS", "100", "km"]), vec!["Catania"]);
        assert_eq!(
            q(&mut s, &["BYRADIUS", "56.4412", "km"]),
            Vec::<String>::new()
        );
        assert_eq!(
            q(&mut s, &["BYRADIUS", "56.4414", "km", "WITHDIST"]),
            vec!["[Catania 56.4413]"]
        );
        assert_eq!(
            q(&mut s, &["BYRADIUS", "35.0714", "mi", "WITHDIST"]),
            vec!["[Catania 35.0711]"]
        );
        assert_eq!(
            q(&mut s, &["BYRADIUS", "185175", "ft", "WITHDIST"]),
            vec!["[Catania 185174.7305]"]
        );
        assert_eq!(
            q(&mut s, &["BYBOX", "400", "400", "km", "DESC", "WITHDIST"]),
            vec!["[Palermo 190.4424]", "[Catania 56.4413]"]
        );
        assert_eq!(
            q(&mut s, &["BYBOX", "200", "200", "km", "WITHHASH"]),
            vec!["[Catania 3479447370796909]"]
        );
        // The box is measured along the parallel and the meridian.
        assert_eq!(q(&mut s, &["BYBOX", "100", "1000", "km"]), vec!["Catania"]);
        assert_eq!(
            texts(&run(
                &mut s,
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMMEMBER",
                    "Palermo",
                    "BYRADIUS",
                    "170",
                    "km",
                    "ASC",
                    "WITHDIST"
                ]
            )),
            vec!["[Palermo 0.0000]", "[Catania 166.2742]"]
        );
        // Radius 0 finds only the centre's own cell.
        assert_eq!(
            texts(&run(
                &mut s,
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMMEMBER",
                    "Palermo",
                    "BYRADIUS",
                    "0",
                    "m"
                ]
            )),
            vec!["Palermo"]
        );
        assert_eq!(q(&mut s, &["BYRADIUS", "0", "m"]), Vec::<String>::new());
        assert_eq!(
            run(
                &mut s,
                &[
                    "GEOSEARCH",
                    "nokey",
                    "FROMMEMBER",
                    "x",
                    "BYBOX",
                    "1",
                    "1",
                    "m"
                ]
            ),
            arr(vec![])
        );
    }

    #[test]
    fn geosearch_errors_in_redis_order() {
        let mut s = MemStore::new();
        sicily(&mut s);
        run(&mut s, &["SET", "str", "v"]);
        let cases: &[(&[&str], &str)] = &[
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "15",
                    "37",
                    "BYRADIUS",
                    "200",
                    "km",
                    "ANY",
                ],
                "ERR the ANY argument requires COUNT argument",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "15",
                    "37",
                    "BYRADIUS",
                    "200",
                    "km",
                    "COUNT",
                    "0",
                ],
                "ERR COUNT must be > 0",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "15",
                    "37",
                    "BYRADIUS",
                    "200",
                    "km",
                    "COUNT",
                    "-5",
                ],
                "ERR COUNT must be > 0",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "15",
                    "37",
                    "BYRADIUS",
                    "200",
                    "km",
                    "COUNT",
                    "x",
                ],
                "ERR value is not an integer or out of range",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "15",
                    "37",
                    "BYRADIUS",
                    "200",
                    "km",
                    "COUNT",
                ],
                SYNTAX,
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "BYRADIUS",
                    "200",
                    "km",
                    "ASC",
                    "WITHDIST",
                ],
                "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH",
            ),
            (
                &[
                    "GeoSearch",
                    "Sicily",
                    "FROMMEMBER",
                    "Palermo",
                    "ASC",
                    "WITHDIST",
                    "WITHHASH",
                ],
                "ERR exactly one of BYRADIUS and BYBOX can be specified for GeoSearch",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMMEMBER",
                    "nx",
                    "BYRADIUS",
                    "1",
                    "m",
                ],
                "ERR could not decode requested zset member",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "BYRADIUS",
                    "-1",
                    "m",
                    "FROMMEMBER",
                    "nx",
                ],
                "ERR radius cannot be negative",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMMEMBER",
                    "Palermo",
                    "BYRADIUS",
                    "x",
                    "m",
                ],
                "ERR need numeric radius",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMMEMBER",
                    "Palermo",
                    "BYRADIUS",
                    "1",
                    "parsec",
                ],
                "ERR unsupported unit provided. please use M, KM, FT, MI",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMMEMBER",
                    "Palermo",
                    "BYBOX",
                    "1",
                    "-1",
                    "m",
                ],
                "ERR height or width cannot be negative",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMMEMBER",
                    "Palermo",
                    "BYBOX",
                    "x",
                    "1",
                    "m",
                ],
                "ERR need numeric width",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMMEMBER",
                    "Palermo",
                    "BYBOX",
                    "1",
                    "y",
                    "m",
                ],
                "ERR need numeric height",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "0",
                    "86",
                    "BYBOX",
                    "1",
                    "1",
                    "m",
                ],
                "ERR invalid longitude,latitude pair 0.000000,86.000000",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "0",
                    "x",
                    "BYBOX",
                    "1",
                    "1",
                    "m",
                ],
                "ERR value is not a valid float",
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMMEMBER",
                    "Palermo",
                    "FROMLONLAT",
                    "0",
                    "0",
                    "BYRADIUS",
                    "1",
                    "km",
                ],
                SYNTAX,
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "0",
                    "0",
                    "FROMMEMBER",
                    "Palermo",
                    "BYRADIUS",
                    "1",
                    "km",
                ],
                SYNTAX,
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "0",
                    "0",
                    "BYRADIUS",
                    "1",
                    "km",
                    "BYBOX",
                    "1",
                    "1",
                    "km",
                ],
                SYNTAX,
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "0",
                    "0",
                    "BYRADIUS",
                    "1",
                    "km",
                    "STORE",
                    "x",
                ],
                SYNTAX,
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "0",
                    "0",
                    "BYRADIUS",
                    "1",
                    "km",
                    "STOREDIST",
                ],
                SYNTAX,
            ),
            (
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "0",
                    "0",
                    "BYRADIUS",
                    "1",
                ],
                SYNTAX,
            ),
            (
                &["GEOSEARCH", "str", "FROMLONLAT", "0", "x", "BYRADIUS", "1"],
                WRONGTYPE,
            ),
            (
                &[
                    "GEOSEARCHSTORE",
                    "d",
                    "str",
                    "FROMLONLAT",
                    "0",
                    "0",
                    "BYRADIUS",
                    "1",
                    "km",
                ],
                WRONGTYPE,
            ),
            (
                &[
                    "GEOSEARCHSTORE",
                    "d",
                    "Sicily",
                    "FROMLONLAT",
                    "0",
                    "0",
                    "BYRADIUS",
                    "1",
                    "km",
                    "WITHDIST",
                ],
                "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            ),
            (
                &[
                    "GEOSEARCHSTORE",
                    "d",
                    "Sicily",
                    "FROMLONLAT",
                    "0",
                    "0",
                    "BYRADIUS",
                    "1",
                    "km",
                    "STORE",
                    "x",
                ],
                SYNTAX,
            ),
            (
                &[
                    "GEOSEARCHSTORE",
                    "d",
                    "nokey",
                    "FROMLONLAT",
                    "0",
                    "0",
                    "BYRADIUS",
                    "1",
                ],
                SYNTAX,
            ),
            (
                &[
                    "GEORADIUS",
                    "Sicily",
                    "15",
                    "37",
                    "200",
                    "km",
                    "STORE",
                    "d",
                    "WITHCOORD",
                ],
                "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            ),
            (
                &["GEORADIUS", "Sicily", "0", "0", "-1", "km"],
                "ERR radius cannot be negative",
            ),
            (
                &["GEORADIUS", "nokey", "0", "0", "x", "km"],
                "ERR need numeric radius",
            ),
            (
                &["GEORADIUS", "Sicily", "0", "0", "1", "x"],
                "ERR unsupported unit provided. please use M, KM, FT, MI",
            ),
            (
                &[
                    "GEORADIUS",
                    "Sicily",
                    "0",
                    "0",
                    "1",
                    "km",
                    "FROMMEMBER",
                    "Palermo",
                ],
                SYNTAX,
            ),
            (
                &[
                    "GEORADIUS_RO",
                    "Sicily",
                    "15",
                    "37",
                    "200",
                    "km",
                    "STORE",
                    "d",
                ],
                SYNTAX,
            ),
            (
                &["GEORADIUSBYMEMBER", "Sicily", "nx", "1", "km"],
                "ERR could not decode requested zset member",
            ),
            (
                &["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "-1", "km"],
                "ERR radius cannot be negative",
            ),
            (
                &["GEORADIUSBYMEMBER", "str", "Palermo", "1", "km"],
                WRONGTYPE,
            ),
        ];
        for (args, want) in cases {
            assert_eq!(run(&mut s, args), err(want), "{args:?}");
        }
        // Without the key, GEORADIUSBYMEMBER never parses the radius.
        assert_eq!(
            run(&mut s, &["GEORADIUSBYMEMBER", "nokey", "x", "nan", "km"]),
            arr(vec![])
        );
        assert_eq!(
            run(
                &mut s,
                &["GEORADIUSBYMEMBER", "nokey", "x", "y", "z", "STORE", "d"]
            ),
            int(0)
        );
        assert_eq!(
            run(
                &mut s,
                &[
                    "GEOSEARCH",
                    "nokey",
                    "FROMMEMBER",
                    "x",
                    "BYRADIUS",
                    "1",
                    "km"
                ]
            ),
            arr(vec![])
        );
    }

    #[test]
    fn store_and_storedist() {
        let mut s = MemStore::new();
        sicily(&mut s);
        assert_eq!(
            run(
                &mut s,
                &["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d"]
            ),
            int(2)
        );
        assert_eq!(
            run(&mut s, &["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
            Reply::Pairs(vec![
                (bulk("Palermo"), Reply::Double(3479099956230698.0)),
                (bulk("Catania"), Reply::Double(3479447370796909.0)),
            ])
        );
        assert_eq!(
            run(
                &mut s,
                &[
                    "GEORADIUSBYMEMBER",
                    "Sicily",
                    "Palermo",
                    "200",
                    "km",
                    "STOREDIST",
                    "d"
                ]
            ),
            int(2)
        );
        assert_eq!(
            run(&mut s, &["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
            Reply::Pairs(vec![
                (bulk("Palermo"), Reply::Double(0.0)),
                (bulk("Catania"), Reply::Double(166.27415156960032)),
            ])
        );
        assert_eq!(
            run(
                &mut s,
                &[
                    "GEOSEARCHSTORE",
                    "d",
                    "Sicily",
                    "FROMMEMBER",
                    "Palermo",
                    "BYRADIUS",
                    "500",
                    "km",
                    "STOREDIST",
                    "COUNT",
                    "1",
                    "DESC"
                ]
            ),
            int(1)
        );
        assert_eq!(
            run(&mut s, &["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
            Reply::Pairs(vec![(bulk("Catania"), Reply::Double(166.27415156960032))])
        );
        // A stored result is a geo index of its own.
        assert_eq!(
            run(
                &mut s,
                &[
                    "GEOSEARCHSTORE",
                    "d",
                    "Sicily",
                    "FROMLONLAT",
                    "15",
                    "37",
                    "BYBOX",
                    "400",
                    "400",
                    "km"
                ]
            ),
            int(2)
        );
        assert_eq!(
            run(&mut s, &["GEODIST", "d", "Palermo", "Catania", "km"]),
            bulk("166.2742")
        );
        // An empty result deletes the destination; so does a missing source.
        assert_eq!(
            run(
                &mut s,
                &[
                    "GEOSEARCHSTORE",
                    "d",
                    "Sicily",
                    "FROMLONLAT",
                    "0",
                    "0",
                    "BYRADIUS",
                    "1",
                    "km"
                ]
            ),
            int(0)
        );
        assert_eq!(run(&mut s, &["EXISTS", "d"]), int(0));
        run(&mut s, &["SET", "d", "v"]);
        assert_eq!(
            run(
                &mut s,
                &[
                    "GEOSEARCHSTORE",
                    "d",
                    "nokey",
                    "FROMLONLAT",
                    "0",
                    "0",
                    "BYRADIUS",
                    "1",
                    "km"
                ]
            ),
            int(0)
        );
        assert_eq!(run(&mut s, &["EXISTS", "d"]), int(0));
        // It replaces any type and drops the TTL.
        run(&mut s, &["SET", "d", "v", "EX", "100"]);
        assert_eq!(
            run(
                &mut s,
                &[
                    "GEOSEARCHSTORE",
                    "d",
                    "Sicily",
                    "FROMMEMBER",
                    "Catania",
                    "BYRADIUS",
                    "1",
                    "m"
                ]
            ),
            int(1)
        );
        assert_eq!(run(&mut s, &["TTL", "d"]), int(-1));
        assert_eq!(run(&mut s, &["TYPE", "d"]), Reply::Simple("zset".into()));
        // Source and destination may be the same key.
        assert_eq!(
            run(
                &mut s,
                &[
                    "GEOSEARCHSTORE",
                    "Sicily",
                    "Sicily",
                    "FROMMEMBER",
                    "Catania",
                    "BYRADIUS",
                    "1",
                    "m"
                ]
            ),
            int(1)
        );
        assert_eq!(run(&mut s, &["ZCARD", "Sicily"]), int(1));
    }

    /// Points on both sides of the antimeridian are found from either
    /// side, by radius and by box (the neighbour boxes wrap).
    #[test]
    fn search_across_the_antimeridian() {
        let mut s = MemStore::new();
        run(
            &mut s,
            &[
                "GEOADD",
                "w",
                "179.999999",
                "0",
                "east",
                "-179.999999",
                "0",
                "west",
                "179.5",
                "0.2",
                "e2",
                "-179.5",
                "-0.2",
                "w2",
                "0",
                "0",
                "far",
            ],
        );
        assert_eq!(
            texts(&run(
                &mut s,
                &[
                    "GEOSEARCH",
                    "w",
                    "FROMLONLAT",
                    "179.9",
                    "0",
                    "BYRADIUS",
                    "50",
                    "km",
                    "ASC",
                    "WITHDIST"
                ]
            )),
            vec!["[east 11.1223]", "[west 11.1229]", "[e2 49.7417]"]
        );
        assert_eq!(
            texts(&run(
                &mut s,
                &[
                    "GEOSEARCH",
                    "w",
                    "FROMLONLAT",
                    "-180",
                    "0",
                    "BYBOX",
                    "120",
                    "60",
                    "km",
                    "ASC"
                ]
            )),
            vec!["east", "west", "w2", "e2"]
        );
        assert_eq!(
            texts(&run(
                &mut s,
                &["GEORADIUS", "w", "179.9", "0", "100", "km", "DESC"]
            )),
            vec!["w2", "e2", "west", "east"]
        );
        // Centred exactly on 180, Redis's boxes miss the western side.
        assert_eq!(
            texts(&run(
                &mut s,
                &["GEORADIUS", "w", "180", "0", "100", "km", "DESC"]
            )),
            vec!["e2", "east"]
        );
    }

    /// Poles are refused; the extreme latitudes and longitudes work.
    #[test]
    fn edge_coordinates() {
        let mut s = MemStore::new();
        assert_eq!(
            run(
                &mut s,
                &[
                    "GEOADD",
                    "e",
                    "180",
                    "85.05112878",
                    "ne",
                    "-180",
                    "-85.05112878",
                    "sw",
                    "-180",
                    "85.05112878",
                    "nw"
                ]
            ),
            int(3)
        );
        assert_eq!(
            texts(&run(
                &mut s,
                &[
                    "GEOSEARCH",
                    "e",
                    "FROMMEMBER",
                    "ne",
                    "BYRADIUS",
                    "10",
                    "km",
                    "WITHDIST",
                    "ASC"
                ]
            )),
            vec!["[ne 0.0000]"]
        );
        // Redis's answers near the poles, boxes and all: (180, 85) finds
        // nothing within 10 km although `ne` is 5.7 km away, and 20000 km
        // around (0, -85) finds only `sw`.
        assert_eq!(
            run(
                &mut s,
                &[
                    "GEOSEARCH",
                    "e",
                    "FROMLONLAT",
                    "180",
                    "85",
                    "BYRADIUS",
                    "10",
                    "km"
                ]
            ),
            arr(vec![])
        );
        assert_eq!(
            texts(&run(
                &mut s,
                &[
                    "GEOSEARCH",
                    "e",
                    "FROMLONLAT",
                    "0",
                    "-85",
                    "BYRADIUS",
                    "20000",
                    "km",
                    "ASC"
                ]
            )),
            vec!["sw"]
        );
        assert_eq!(
            texts(&run(
                &mut s,
                &[
                    "GEOSEARCH",
                    "e",
                    "FROMMEMBER",
                    "sw",
                    "BYBOX",
                    "1",
                    "1",
                    "km",
                    "WITHCOORD"
                ]
            )),
            vec!["[sw [-179.99999731779098511 -85.05112751263942528]]"]
        );
        assert_eq!(
            run(&mut s, &["GEORADIUS", "e", "0", "90", "1", "km"]),
            err("ERR invalid longitude,latitude pair 0.000000,90.000000")
        );
    }

    #[test]
    fn read_forms_and_sizes() {
        assert_eq!(
            read_form(&argv(&["GEORADIUS", "k", "0", "0", "1", "km", "ASC"])),
            Some("georadius_ro")
        );
        assert_eq!(
            read_form(&argv(&["georadiusbymember", "k", "m", "1", "km"])),
            Some("georadiusbymember_ro")
        );
        assert_eq!(
            read_form(&argv(&[
                "GEORADIUS",
                "k",
                "0",
                "0",
                "1",
                "km",
                "store",
                "d"
            ])),
            None
        );
        assert_eq!(
            read_form(&argv(&[
                "GEORADIUSBYMEMBER",
                "k",
                "m",
                "1",
                "km",
                "StoreDist",
                "d"
            ])),
            None
        );
        // A member named "store" is not an option.
        assert_eq!(
            read_form(&argv(&["GEORADIUSBYMEMBER", "k", "store", "1", "km"])),
            Some("georadiusbymember_ro")
        );
        assert_eq!(read_form(&argv(&["GEOSEARCH", "k"])), None);

        let mut s = MemStore::new();
        let mut args = vec!["GEOADD".to_string(), "big".to_string()];
        for i in 0..400 {
            // A 20 x 20 grid, 0.01 degrees apart (about 1.1 km).
            args.push(format!("{}", 10.0 + f64::from(i % 20) * 0.01));
            args.push(format!("{}", 50.0 + f64::from(i / 20) * 0.01));
            args.push(format!("p{i}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(run(&mut s, &refs), int(400));
        let size = |s: &MemStore, a: &[&str]| search_size(&argv(a), &ctx(), s).unwrap_or(u64::MAX);
        // A small search counts its boxes' members; a big one is the length.
        let small = size(
            &s,
            &[
                "GEOSEARCH",
                "big",
                "FROMMEMBER",
                "p0",
                "BYRADIUS",
                "100",
                "m",
            ],
        );
        assert!((1..=crate::table::HEAVY_MIN).contains(&small), "{small}");
        assert_eq!(
            size(
                &s,
                &[
                    "GEOSEARCH",
                    "big",
                    "FROMMEMBER",
                    "p0",
                    "BYRADIUS",
                    "100",
                    "km"
                ]
            ),
            400
        );
        assert_eq!(
            size(&s, &["GEORADIUS_RO", "big", "10.1", "50.1", "100", "km"]),
            400
        );
        assert_eq!(
            size(&s, &["GEORADIUSBYMEMBER_RO", "big", "p0", "1", "m"]),
            1
        );
        assert_eq!(
            size(
                &s,
                &[
                    "GEOSEARCH",
                    "nokey",
                    "FROMMEMBER",
                    "p0",
                    "BYRADIUS",
                    "1",
                    "km"
                ]
            ),
            0
        );
        assert_eq!(
            size(
                &s,
                &[
                    "GEOSEARCH",
                    "big",
                    "FROMMEMBER",
                    "p0",
                    "BYRADIUS",
                    "x",
                    "km"
                ]
            ),
            0
        );
        // The search reads only its boxes: its answer equals a brute force.
        let found = texts(&run(
            &mut s,
            &[
                "GEOSEARCH",
                "big",
                "FROMLONLAT",
                "10.1",
                "50.1",
                "BYRADIUS",
                "3",
                "km",
            ],
        ));
        let mut want = Vec::new();
        for i in 0..400 {
            let p = run(&mut s, &["GEOPOS", "big", &format!("p{i}")]);
            if let Reply::Array(v) = p
                && let Some(Reply::Array(xy)) = v.first()
                && let (Some(Reply::HumanDouble(x)), Some(Reply::HumanDouble(y))) =
                    (xy.first(), xy.get(1))
                && distance(10.1, 50.1, *x, *y) <= 3000.0
            {
                want.push(format!("p{i}"));
            }
        }
        let mut got = found.clone();
        got.sort();
        want.sort();
        assert_eq!(got, want);
        assert!(want.len() > 20 && want.len() < 400, "{}", want.len());
    }

    /// Equal distances come out in Redis's order: a stable sort for the
    /// whole result, pqsort's for the first COUNT (captured from
    /// redis-server 7.0.15; a stable sort would answer `i j k a b c ...`).
    #[test]
    fn ties_are_ordered_like_redis() {
        let mut s = MemStore::new();
        let mut args = vec!["GEOADD", "t"];
        for m in ["a", "b", "c", "d", "e", "f", "g", "h"] {
            args.extend(["0", "0", m]);
        }
        for m in ["i", "j", "k"] {
            args.extend(["0.5", "0.5", m]);
        }
        args.extend(["0", "0", "l", "0", "0", "m"]);
        assert_eq!(run(&mut s, &args), int(13));
        let q = |s: &mut MemStore, extra: &[&str]| {
            let mut a = vec![
                "GEOSEARCH",
                "t",
                "FROMLONLAT",
                "1",
                "1",
                "BYRADIUS",
                "500",
                "km",
            ];
            a.extend_from_slice(extra);
            texts(&run(s, &a)).join(" ")
        };
        assert_eq!(
            q(&mut s, &["ASC", "COUNT", "12"]),
            "i j k d e f a h l m g b"
        );
        assert_eq!(q(&mut s, &["ASC", "COUNT", "3"]), "i j k");
        assert_eq!(q(&mut s, &["DESC", "COUNT", "5"]), "a b c d e");
        assert_eq!(q(&mut s, &["ASC"]), "i j k a b c d e f g h l m");
        assert_eq!(q(&mut s, &["DESC"]), "a b c d e f g h l m i j k");
        assert_eq!(q(&mut s, &[]), "a b c d e f g h l m i j k");
    }

    #[test]
    fn pqsort_sorts_the_wanted_prefix() {
        let mut seed = 7u64;
        for n in [0usize, 1, 5, 7, 8, 40, 41, 200] {
            for k in [1usize, 3, 10] {
                let mut v: Vec<u64> = (0..n)
                    .map(|_| {
                        seed = seed
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        (seed >> 33) % 50
                    })
                    .collect();
                let mut sorted = v.clone();
                sorted.sort_unstable();
                let k = k.min(n);
                if k == 0 {
                    continue;
                }
                let cmp = |a: &u64, b: &u64| match a.cmp(b) {
                    std::cmp::Ordering::Less => -1,
                    std::cmp::Ordering::Equal => 0,
                    std::cmp::Ordering::Greater => 1,
                };
                let len = v.len();
                pqsort(&mut v, 0, len, &cmp, 0, k - 1);
                assert_eq!(v.get(..k), sorted.get(..k), "n {n} k {k}");
            }
        }
    }

    #[test]
    fn relayed_restores_shapes() {
        let a = argv(&["GEOPOS", "k", "a", "b"]);
        let parsed = arr(vec![
            arr(vec![Reply::Double(1.5), Reply::Double(-2.0)]),
            Reply::Nil,
        ]);
        assert_eq!(
            relayed(&a, parsed),
            arr(vec![arr(vec![h(1.5), h(-2.0)]), Reply::NilArray])
        );
        let a = argv(&["geosearch", "k"]);
        let parsed = arr(vec![arr(vec![
            bulk("m"),
            bulk("1.0000"),
            arr(vec![Reply::Double(1.5), Reply::Double(2.0)]),
        ])]);
        assert_eq!(
            relayed(&a, parsed),
            arr(vec![arr(vec![
                bulk("m"),
                bulk("1.0000"),
                arr(vec![h(1.5), h(2.0)])
            ])])
        );
        assert_eq!(relayed(&argv(&["GEODIST", "k"]), Reply::Nil), Reply::Nil);
    }

    /// A failed read is an error reply, never absence or a shorter
    /// answer; a write whose read fails changes nothing.
    #[test]
    fn a_failed_read_is_an_error_never_absence() {
        use super::super::{apply_write, read};
        use crate::store::faults::{Faulty, RangeFault};
        let fail = err("ERR storage read error: injected");
        let mut base = MemStore::new();
        sicily(&mut base);
        let reads: &[&[&str]] = &[
            &["GEOPOS", "Sicily", "Palermo"],
            &["GEOHASH", "Sicily", "Palermo"],
            &["GEODIST", "Sicily", "Palermo", "Catania"],
            &[
                "GEOSEARCH",
                "Sicily",
                "FROMLONLAT",
                "15",
                "37",
                "BYRADIUS",
                "200",
                "km",
            ],
            &[
                "GEOSEARCH",
                "Sicily",
                "FROMMEMBER",
                "Palermo",
                "BYBOX",
                "400",
                "400",
                "km",
            ],
            &["GEORADIUS_RO", "Sicily", "15", "37", "200", "km"],
            &["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200", "km"],
        ];
        let writes: &[&[&str]] = &[
            &["GEOADD", "Sicily", "1", "1", "x"],
            &[
                "GEOSEARCHSTORE",
                "d",
                "Sicily",
                "FROMLONLAT",
                "15",
                "37",
                "BYRADIUS",
                "200",
                "km",
            ],
            &["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d"],
            &[
                "GEORADIUSBYMEMBER",
                "Sicily",
                "Palermo",
                "200",
                "km",
                "STOREDIST",
                "d",
            ],
        ];
        let setups: [fn(&mut Faulty); 3] = [
            |f| f.all_meta = true,
            |f| f.all_elements = true,
            |f| f.ranges = RangeFault::AfterFirst,
        ];
        for (n, setup) in setups.iter().enumerate() {
            for args in reads {
                let mut f = Faulty::new(base.clone());
                setup(&mut f);
                let got = read(&argv(args), &ctx(), &f);
                // Element faults only hit commands that read elements that way.
                if n == 0 || got != run(&mut base.clone(), args) {
                    assert_eq!(got, fail, "{n} {args:?}");
                }
            }
            for args in writes {
                let mut f = Faulty::new(base.clone());
                setup(&mut f);
                let got = apply_write(&argv(args), &ctx(), &mut f);
                if got != fail {
                    // This fault did not touch the command's reads.
                    assert_eq!(got, run(&mut base.clone(), args), "{n} {args:?}");
                    continue;
                }
                assert_eq!(f.inner.len(), base.len(), "{n} {args:?}");
                assert_eq!(
                    f.inner.element_count(),
                    base.element_count(),
                    "{n} {args:?}"
                );
            }
        }
        // Range faults reach every search; element faults every member read.
        let mut f = Faulty::new(base.clone());
        f.ranges = RangeFault::AfterFirst;
        let search = argv(&[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "200",
            "km",
        ]);
        assert_eq!(read(&search, &ctx(), &f), fail);
        // The estimate reads no element of a small zset; its meta read fails.
        assert_eq!(search_size(&search, &ctx(), &f), Ok(2));
        f.all_meta = true;
        assert_eq!(
            search_size(&search, &ctx(), &f),
            Err(StoreError::new("injected"))
        );
        let mut f = Faulty::new(base.clone());
        f.all_elements = true;
        assert_eq!(
            read(&argv(&["GEOPOS", "Sicily", "Palermo"]), &ctx(), &f),
            fail
        );
        let by_member = argv(&[
            "GEOSEARCH",
            "Sicily",
            "FROMMEMBER",
            "Palermo",
            "BYBOX",
            "1",
            "1",
            "km",
        ]);
        assert_eq!(read(&by_member, &ctx(), &f), fail);
    }
}
