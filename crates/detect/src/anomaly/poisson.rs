//! Poisson tail probabilities, computed in log space so large counts neither overflow nor lose
//! all precision.

/// `ln(k!)`: exact sums for small k, Stirling's series beyond (error < 1e-10 there).
fn ln_factorial(k: u64) -> f64 {
    if k < 32 {
        return (2..=k).map(|i| (i as f64).ln()).sum();
    }
    let n = k as f64;
    n * n.ln() - n + 0.5 * (2.0 * std::f64::consts::PI * n).ln() + 1.0 / (12.0 * n)
        - 1.0 / (360.0 * n * n * n)
}

fn ln_pmf(k: u64, mean: f64) -> f64 {
    if mean <= 0.0 {
        return if k == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    k as f64 * mean.ln() - mean - ln_factorial(k)
}

/// `P(X >= k)` for `X ~ Poisson(mean)`.
pub(crate) fn upper_tail(k: u64, mean: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if (k as f64) <= mean {
        return 1.0 - lower_tail(k - 1, mean);
    }
    // Terms fall from k upwards; sum until they stop mattering.
    let first = ln_pmf(k, mean);
    let (mut sum, mut term, mut i) = (0.0f64, 1.0f64, k);
    while term > 1e-17 * sum.max(1e-300) || i == k {
        sum += term;
        i += 1;
        term *= mean / i as f64;
        if i > k + 100_000 {
            break;
        }
    }
    (first + sum.ln()).exp().min(1.0)
}

/// `P(X <= k)` for `X ~ Poisson(mean)`.
pub(crate) fn lower_tail(k: u64, mean: f64) -> f64 {
    if (k as f64) >= mean {
        return 1.0 - upper_tail(k + 1, mean);
    }
    // Terms fall from k downwards.
    let first = ln_pmf(k, mean);
    let (mut sum, mut term, mut i) = (0.0f64, 1.0f64, k);
    loop {
        sum += term;
        if i == 0 || term < 1e-17 * sum {
            break;
        }
        term *= i as f64 / mean;
        i -= 1;
    }
    (first + sum.ln()).exp().min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 + 1e-6 * b.abs()
    }

    #[test]
    fn tails_match_direct_sums() {
        for &mean in &[0.5, 3.0, 20.0, 150.0] {
            let pmf: Vec<f64> = (0..600u64).map(|k| ln_pmf(k, mean).exp()).collect();
            for k in [0u64, 1, 2, 5, 10, 25, 40, 200] {
                let upper: f64 = pmf.iter().skip(k as usize).sum();
                let lower: f64 = pmf.iter().take(k as usize + 1).sum();
                assert!(
                    close(upper_tail(k, mean), upper),
                    "upper {k} {mean}: {} vs {upper}",
                    upper_tail(k, mean)
                );
                assert!(
                    close(lower_tail(k, mean), lower),
                    "lower {k} {mean}: {} vs {lower}",
                    lower_tail(k, mean)
                );
            }
        }
        assert!(upper_tail(1, 0.0) == 0.0 && lower_tail(0, 0.0) == 1.0);
        // Far tails stay positive and tiny instead of rounding to 0 or 1.
        let p = upper_tail(300, 50.0);
        assert!(p > 0.0 && p < 1e-80, "{p}");
        let p = lower_tail(0, 200.0);
        assert!(close(p, (-200.0f64).exp()), "{p}");
    }
}
