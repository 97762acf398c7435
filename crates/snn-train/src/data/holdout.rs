//! The validation split: `count` training examples held out, stratified by class and drawn
//! reproducibly from a seed.
//!
//! Each class gives `count · n_c / n` examples (rounded down; the examples left over go to the
//! classes with the largest remainders, ties to the lower class), chosen by a Fisher–Yates
//! shuffle of the class's indices driven by SplitMix64 seeded with `seed` and the class. The
//! split is plain host arithmetic on the labels, so it is the same on every backend and machine.

use std::collections::BTreeMap;

/// Indices into the training examples: those trained on and those held out, each ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldOut {
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
}

/// Holds `count` of the examples labelled `labels` out for validation (`count < labels.len()`).
pub fn hold_out(labels: &[u8], count: usize, seed: u64) -> HeldOut {
    let mut by_class: BTreeMap<u8, Vec<usize>> = BTreeMap::new();
    for (i, &label) in labels.iter().enumerate() {
        by_class.entry(label).or_default().push(i);
    }
    let sizes: Vec<usize> = by_class.values().map(Vec::len).collect();
    let quotas = quotas(&sizes, count);
    let mut valid = Vec::with_capacity(count);
    for ((&class, indices), quota) in by_class.iter().zip(quotas) {
        let mut indices = indices.clone();
        shuffle(
            &mut indices,
            seed ^ (u64::from(class) + 1).wrapping_mul(0xA24B_AED4_963E_E407),
        );
        valid.extend_from_slice(&indices[..quota]);
    }
    valid.sort_unstable();
    let mut held = vec![false; labels.len()];
    for &i in &valid {
        held[i] = true;
    }
    let train = (0..labels.len()).filter(|&i| !held[i]).collect();
    HeldOut { train, valid }
}

/// `count` shared among classes of `sizes` in proportion (largest remainders).
fn quotas(sizes: &[usize], count: usize) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    let exact: Vec<(usize, usize)> = sizes
        .iter()
        .map(|&n| (count * n / total, count * n % total))
        .collect();
    let mut quotas: Vec<usize> = exact.iter().map(|&(q, _)| q).collect();
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&c| std::cmp::Reverse(exact[c].1));
    let left = count - quotas.iter().sum::<usize>();
    for &c in order.iter().take(left) {
        quotas[c] += 1;
    }
    quotas
}

/// Fisher–Yates with SplitMix64.
fn shuffle(items: &mut [usize], seed: u64) {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}
