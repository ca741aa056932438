//! The seeded randomness of feature impact: which rows are sampled and how columns are shuffled.
//!
//! A stored result promises that a rerun with the same seed gives the same numbers, also after
//! a dependency upgrade. General-purpose generators do not promise that (`rand`'s `StdRng` and
//! its `shuffle` and `gen_range` have changed between releases), so the few lines needed are
//! written here and fixed: SplitMix64 (Steele, Lea and Flood, 2014) for the bits, Lemire's
//! multiply-and-reject method for unbiased integers below a bound, and the Fisher–Yates shuffle.

/// Independent streams drawn from one seed.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    /// Reservoir sampling of the rows.
    Sample,
    /// Permutations of the rows for shuffling columns.
    Shuffle,
}

/// A small, fast generator with a fixed output for a given seed.
#[derive(Clone, Debug)]
pub struct SeededRng {
    state: u64,
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl SeededRng {
    pub fn new(seed: u64, stream: Stream) -> Self {
        // Hashing seed and stream together keeps the streams of nearby seeds apart.
        let stream = match stream {
            Stream::Sample => 1,
            Stream::Shuffle => 2,
        };
        Self {
            state: mix(seed ^ mix(stream)),
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix(self.state)
    }

    /// A uniformly distributed integer in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        let mut product = u128::from(self.next_u64()) * u128::from(bound);
        let mut low = product as u64;
        if low < bound {
            let threshold = bound.wrapping_neg() % bound;
            while low < threshold {
                product = u128::from(self.next_u64()) * u128::from(bound);
                low = product as u64;
            }
        }
        (product >> 64) as u64
    }

    /// Shuffles `values` in place; every order is equally likely.
    pub fn shuffle<T>(&mut self, values: &mut [T]) {
        for i in (1..values.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            values.swap(i, j);
        }
    }
}

/// `n_repeats` permutations of `0..n_rows`, each shuffled again from the previous one (as
/// scikit-learn's `permutation_importance` does). Every feature is shuffled with the same
/// permutations, so differences between features come from the features, not from luck.
pub fn permutations(n_rows: usize, n_repeats: usize, seed: u64) -> Vec<Vec<u32>> {
    let mut rng = SeededRng::new(seed, Stream::Shuffle);
    let mut order: Vec<u32> = (0..n_rows as u32).collect();
    (0..n_repeats)
        .map(|_| {
            rng.shuffle(&mut order);
            order.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The output is part of the promise that a seed reproduces a result: it must never change.
    #[test]
    fn the_generator_output_is_fixed() {
        let mut rng = SeededRng::new(0, Stream::Shuffle);
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        let mut again = SeededRng::new(0, Stream::Shuffle);
        assert_eq!(first, (0..3).map(|_| again.next_u64()).collect::<Vec<_>>());
        assert_eq!(permutations(8, 2, 42), permutations(8, 2, 42));
        assert_ne!(permutations(50, 1, 1), permutations(50, 1, 2));
        let mut sample = SeededRng::new(0, Stream::Sample);
        assert_ne!(first[0], sample.next_u64());
        // SplitMix64's published first output for state 0 (after one increment).
        assert_eq!(mix(GOLDEN_GAMMA), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn below_stays_in_range_and_is_roughly_uniform() {
        let mut rng = SeededRng::new(7, Stream::Sample);
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[rng.below(6) as usize] += 1;
        }
        for count in counts {
            assert!((9_400..10_600).contains(&count), "{counts:?}");
        }
        assert_eq!(rng.below(1), 0);
    }

    #[test]
    fn permutations_hold_every_row_once() {
        for permutation in permutations(1000, 3, 5) {
            let mut sorted = permutation.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..1000).collect::<Vec<u32>>());
            assert_ne!(permutation, sorted);
        }
        assert_eq!(permutations(0, 2, 1), vec![Vec::<u32>::new(), Vec::new()]);
    }
}
