//! The statistics of review, pure and unit-tested against known values: sample sizes (Cochran with
//! finite-population correction), stratified allocation with a minimum per stratum, Wilson score
//! intervals, precision/recall/F1 from a confusion matrix, and the stratified estimate of accuracy
//! for the whole population with its interval.

/// The two-sided standard normal quantile for a confidence level, e.g. 0.95 → 1.95996.
pub fn z_for(confidence: f64) -> f64 {
    normal_quantile(1.0 - (1.0 - confidence) / 2.0)
}

/// Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.383577518672690e2, -3.066479806614716e1, 2.506628277459239];
    const B: [f64; 5] = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const C: [f64; 6] = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
    const D: [f64; 4] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let low = 0.02425;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

/// Cochran's sample size for a proportion (worst case p = 0.5) with the finite-population correction.
pub fn cochran(population: u64, confidence: f64, margin: f64) -> u64 {
    if population == 0 {
        return 0;
    }
    let z = z_for(confidence);
    let n0 = z * z * 0.25 / (margin * margin);
    let n = n0 / (1.0 + (n0 - 1.0) / population as f64);
    (n.ceil() as u64).min(population)
}

/// Splits `size` across strata proportionally to their sizes, giving each stratum at least
/// `min_per` (or all it has, when it has fewer), by largest remainder. The result never exceeds a
/// stratum's size and sums to `size` (or to the population, when `size` is larger).
pub fn allocate(strata: &[u64], size: u64, min_per: u64) -> Vec<u64> {
    let total: u64 = strata.iter().sum();
    let size = size.min(total);
    let mut alloc: Vec<u64> = strata.iter().map(|&n| n.min(min_per)).collect();
    let mut left = size.saturating_sub(alloc.iter().sum());
    // The minimums may already exceed `size`: then they are the sample (rare strata stay visible).
    while left > 0 {
        let room: u64 = strata.iter().zip(&alloc).map(|(n, a)| n - a).sum();
        if room == 0 {
            break;
        }
        let quotas: Vec<f64> = strata.iter().zip(&alloc).map(|(n, a)| (n - a) as f64 * left as f64 / room as f64).collect();
        let mut given = 0;
        for (i, q) in quotas.iter().enumerate() {
            let add = (q.floor() as u64).min(strata[i] - alloc[i]);
            alloc[i] += add;
            given += add;
        }
        let mut order: Vec<usize> = (0..strata.len()).filter(|&i| alloc[i] < strata[i]).collect();
        order.sort_by(|&a, &b| (quotas[b] - quotas[b].floor()).total_cmp(&(quotas[a] - quotas[a].floor())).then(a.cmp(&b)));
        let mut rest = left - given;
        for i in order {
            if rest == 0 {
                break;
            }
            alloc[i] += 1;
            rest -= 1;
        }
        left = size.saturating_sub(alloc.iter().sum());
    }
    alloc
}

/// Wilson score interval for `successes` out of `n`.
pub fn wilson(successes: u64, n: u64, confidence: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = z_for(confidence);
    let n = n as f64;
    let p = successes as f64 / n;
    let denom = 1.0 + z * z / n;
    let center = (p + z * z / (2.0 * n)) / denom;
    let half = z * ((p * (1.0 - p) + z * z / (4.0 * n)) / n).sqrt() / denom;
    ((center - half).max(0.0), (center + half).min(1.0))
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClassScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Items whose true class this is.
    pub support: u64,
}

/// Per-class precision, recall and F1 from a square confusion matrix whose rows are the true
/// classes and columns the predicted ones. A ratio with nothing to divide by is 0.
pub fn class_scores(matrix: &[Vec<u64>]) -> Vec<ClassScores> {
    let k = matrix.len();
    (0..k)
        .map(|c| {
            let tp = matrix[c][c] as f64;
            let predicted: u64 = (0..k).map(|r| matrix[r][c]).sum();
            let actual: u64 = matrix[c].iter().sum();
            let ratio = |a: f64, b: u64| if b == 0 { 0.0 } else { a / b as f64 };
            let (precision, recall) = (ratio(tp, predicted), ratio(tp, actual));
            let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
            ClassScores { precision, recall, f1, support: actual }
        })
        .collect()
}

/// One stratum of a stratified estimate: its population size, items reviewed and items right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stratum {
    pub population: u64,
    pub reviewed: u64,
    pub correct: u64,
}

/// The population's accuracy estimated from a stratified sample: strata weighted by their share of
/// the population, and a normal interval clamped to [0, 1]. Each stratum's variance uses the
/// finite-population correction and a smoothed proportion ((correct + 1) / (reviewed + 2)), so a
/// stratum that went 3 for 3 still carries uncertainty instead of a zero-width interval. Strata
/// with nothing reviewed are left out (and their weight with them).
pub fn stratified_estimate(strata: &[Stratum], confidence: f64) -> Option<(f64, f64, f64)> {
    let seen: Vec<&Stratum> = strata.iter().filter(|s| s.reviewed > 0 && s.population > 0).collect();
    let total: u64 = seen.iter().map(|s| s.population).sum();
    if total == 0 {
        return None;
    }
    let mut estimate = 0.0;
    let mut variance = 0.0;
    for s in seen {
        let w = s.population as f64 / total as f64;
        let p = s.correct as f64 / s.reviewed as f64;
        let fpc = 1.0 - s.reviewed as f64 / s.population as f64;
        estimate += w * p;
        let smoothed = (s.correct as f64 + 1.0) / (s.reviewed as f64 + 2.0);
        variance += w * w * fpc.max(0.0) * smoothed * (1.0 - smoothed) / s.reviewed as f64;
    }
    let half = z_for(confidence) * variance.sqrt();
    Some((estimate, (estimate - half).max(0.0), (estimate + half).min(1.0)))
}

#[cfg(test)]
mod tests;
