use super::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn z_values_match_the_normal_table() {
    assert!(close(z_for(0.95), 1.959964, 1e-6));
    assert!(close(z_for(0.90), 1.644854, 1e-6));
    assert!(close(z_for(0.99), 2.575829, 1e-6));
    assert!(close(normal_quantile(0.5), 0.0, 1e-12));
    assert!(close(normal_quantile(0.001), -3.090232, 1e-6));
}

#[test]
fn cochran_gives_the_textbook_sizes() {
    // n0 = 1.96² · 0.25 / 0.05² = 384.15 → 385 for a very large population.
    assert_eq!(cochran(100_000_000, 0.95, 0.05), 385);
    // With the finite-population correction (the usual published table).
    assert_eq!(cochran(10_000, 0.95, 0.05), 370);
    assert_eq!(cochran(1_000, 0.95, 0.05), 278);
    assert_eq!(cochran(500, 0.95, 0.05), 218);
    assert_eq!(cochran(100, 0.95, 0.05), 80);
    assert_eq!(cochran(10_000, 0.99, 0.01), 6_240);
    assert_eq!(cochran(20, 0.95, 0.05), 20);
    assert_eq!(cochran(0, 0.95, 0.05), 0);
}

#[test]
fn allocation_is_proportional_with_a_minimum_and_sums_to_the_size() {
    assert_eq!(allocate(&[800, 150, 50], 100, 0), vec![80, 15, 5]);
    // The rare stratum gets its minimum; the rest is shared in proportion.
    let a = allocate(&[900, 95, 5], 100, 10);
    assert_eq!(a.iter().sum::<u64>(), 100);
    assert_eq!(a[2], 5, "a stratum smaller than the minimum gives all it has");
    assert!(a[1] >= 10 && a[0] > a[1], "{a:?}");
    // Never more than a stratum holds, never more than the population.
    assert_eq!(allocate(&[3, 2], 50, 1), vec![3, 2]);
    // Largest remainder: 1/3 each of 10 → 4, 3, 3.
    assert_eq!(allocate(&[100, 100, 100], 10, 0), vec![4, 3, 3]);
    // Minimums that exceed the size are kept: every category is seen.
    assert_eq!(allocate(&[1000, 10, 10, 10], 12, 5), vec![5, 5, 5, 5]);
}

#[test]
fn wilson_intervals_match_known_values() {
    let (lo, hi) = wilson(8, 10, 0.95);
    assert!(close(lo, 0.4902, 1e-4) && close(hi, 0.9433, 1e-4), "{lo} {hi}");
    let (lo, hi) = wilson(0, 10, 0.95);
    assert!(close(lo, 0.0, 1e-12) && close(hi, 0.2775, 1e-4), "{lo} {hi}");
    let (lo, hi) = wilson(10, 10, 0.95);
    assert!(close(lo, 0.7225, 1e-4) && close(hi, 1.0, 1e-12), "{lo} {hi}");
    let (lo, hi) = wilson(50, 100, 0.95);
    assert!(close(lo, 0.4038, 1e-4) && close(hi, 0.5962, 1e-4), "{lo} {hi}");
    assert_eq!(wilson(0, 0, 0.95), (0.0, 1.0));
}

#[test]
fn precision_recall_and_f1_from_a_hand_made_matrix() {
    // rows = truth, columns = prediction, classes A, B, C
    let m = vec![vec![5, 2, 0], vec![1, 3, 1], vec![0, 0, 4]];
    let s = class_scores(&m);
    // A: tp 5, predicted 6, actual 7
    assert!(close(s[0].precision, 5.0 / 6.0, 1e-12) && close(s[0].recall, 5.0 / 7.0, 1e-12));
    assert!(close(s[0].f1, 2.0 * (5.0 / 6.0) * (5.0 / 7.0) / (5.0 / 6.0 + 5.0 / 7.0), 1e-12));
    assert_eq!(s[0].support, 7);
    // B: tp 3, predicted 5, actual 5
    assert!(close(s[1].precision, 0.6, 1e-12) && close(s[1].recall, 0.6, 1e-12) && close(s[1].f1, 0.6, 1e-12));
    // C: tp 4, predicted 5, actual 4
    assert!(close(s[2].precision, 0.8, 1e-12) && close(s[2].recall, 1.0, 1e-12));
    // A class never predicted nor present scores 0, not NaN.
    let s = class_scores(&[vec![2, 0], vec![0, 0]]);
    assert_eq!((s[1].precision, s[1].recall, s[1].f1, s[1].support), (0.0, 0.0, 0.0, 0));
}

#[test]
fn stratified_estimate_weights_strata_by_population() {
    // 90% of the population is in a stratum at 100% accuracy, 10% in one at 50%.
    let strata = [
        Stratum { population: 900, reviewed: 20, correct: 20 },
        Stratum { population: 100, reviewed: 20, correct: 10 },
    ];
    let (p, lo, hi) = stratified_estimate(&strata, 0.95).expect("estimate");
    assert!(close(p, 0.95, 1e-12), "{p}");
    // Smoothed proportions 21/22 and 11/22: var = 0.9²·(1 − 20/900)·(21/22)(1/22)/20
    // + 0.1²·(1 − 20/100)·0.25/20 → half-width 0.0836 (clamped at 1 above).
    assert!(close(p - lo, 0.0836, 1e-4), "{lo} {hi}");
    assert_eq!(hi, 1.0);
    assert_eq!(stratified_estimate(&[], 0.95), None);
    // One review right is not certainty: the interval is wide, not zero.
    let (p, lo, hi) = stratified_estimate(&[Stratum { population: 50, reviewed: 1, correct: 1 }], 0.95).expect("estimate");
    assert_eq!((p, hi), (1.0, 1.0));
    assert!(close(lo, 0.0854, 1e-3), "{lo}");
}
