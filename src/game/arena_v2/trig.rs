//! Deterministic angles: binary angle units ("brads") and a fixed-point sine and cosine.
//!
//! Why not `f32::sin`: std's transcendental functions call the platform's libm, whose last
//! bits differ between machines, and a replay must reproduce every shot's path bit for bit.
//! These functions use only integer `+ - * /` and shifts, so every platform computes the
//! same values.

use std::f64::consts::TAU;

/// Brads in a full turn: an angle is an `i32` where 65536 is 360 degrees (so 16384 is a
/// right angle and angles wrap with plain integer arithmetic).
pub const TURN: i32 = 1 << 16;
/// Brads in a quarter turn.
const QUARTER: i64 = (TURN / 4) as i64;
/// The results' fixed-point one: `sin` and `cos` return values in `-ONE..=ONE`.
pub const ONE: i32 = 1 << 16;
/// Internal precision: Q30 (2^30 is 1.0), so the polynomial's rounding stays far below the
/// result's 1/65536 step.
const Q: u32 = 30;
const ONE_Q: i64 = 1 << Q;
/// pi/2 in Q30, rounded to nearest.
const HALF_PI_Q: i64 = 1_686_629_713;

/// sin of `r` brads for `r` in `0..=QUARTER`, in Q30: the Taylor series to x^13 in Horner
/// form (truncation error below 1e-9 on [0, pi/2], so the series' last kept term decides
/// nothing at Q16).
fn sin_quarter(r: i64) -> i64 {
    let x = r * HALF_PI_Q / QUARTER;
    let x2 = (x * x) >> Q;
    let mut t = ONE_Q;
    // sin x = x (1 - x²/(2·3) (1 - x²/(4·5) (1 - ... (1 - x²/(12·13)))))
    for k in [12 * 13, 10 * 11, 8 * 9, 6 * 7, 4 * 5, 2 * 3] {
        t = ONE_Q - ((x2 * t) >> Q) / k;
    }
    (x * t) >> Q
}

/// The sine of `angle` brads, scaled by [`ONE`]. Odd (`sin(-a) == -sin(a)`) and exact at
/// the quarter turns (0, ±ONE).
pub fn sin(angle: i32) -> i32 {
    let a = i64::from(angle.rem_euclid(TURN));
    let (quadrant, r) = (a / QUARTER, a % QUARTER);
    let s = match quadrant {
        0 => sin_quarter(r),
        1 => sin_quarter(QUARTER - r),
        2 => -sin_quarter(r),
        _ => -sin_quarter(QUARTER - r),
    };
    // Q30 to Q16, rounding half away from zero so the result stays odd.
    let shift = Q - 16;
    let m = (s.abs() + (1 << (shift - 1))) >> shift;
    (if s < 0 { -m } else { m }) as i32
}

/// The cosine of `angle` brads, scaled by [`ONE`].
pub fn cos(angle: i32) -> i32 {
    sin(angle.wrapping_add(TURN / 4))
}

/// Radians (an input's `aim`) to brads in `-TURN/2..=TURN/2`, rounded to nearest; a value
/// that is not finite is 0. Only a multiplication and a rounding, both exact IEEE
/// operations, so every platform agrees.
pub fn brads(radians: f32) -> i32 {
    if !radians.is_finite() {
        return 0;
    }
    let half = f64::from(TURN / 2);
    (f64::from(radians) * (f64::from(TURN) / TAU)).round().clamp(-half, half) as i32
}

/// Brads back to radians, for the view (`aim`): `TURN/2` is `f32` pi.
pub fn radians(brads: i32) -> f32 {
    (f64::from(brads) * (TAU / f64::from(TURN))) as f32
}
