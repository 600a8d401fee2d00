//! The seeded generator of a swarm run: one per bot, so a run with the same `--seed` makes the
//! same choices whatever the timing.

use std::time::Duration;

/// SplitMix64: tiny, fast, and good enough for choosing directions.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The generator of one bot in a seeded run.
    pub fn for_bot(seed: u64, bot: u32) -> Self {
        let mut r = Rng(seed ^ (u64::from(bot) << 32 | u64::from(bot)));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n); 0 when n is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64 }
    }

    /// Exponentially distributed duration with this mean (a Poisson process's gaps).
    pub fn exp(&mut self, mean: Duration) -> Duration {
        let u = 1.0 - self.unit(); // (0, 1]
        mean.mul_f64(-u.ln()).min(mean * 20)
    }
}
