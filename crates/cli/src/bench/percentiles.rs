//! Percentiles of measured latencies (nearest rank).

/// p50, p95 and the largest of a set of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    /// The median.
    pub p50: f64,
    /// The 95th percentile.
    pub p95: f64,
    /// The largest value.
    pub max: f64,
}

/// The percentiles of `values`; `None` when there are none.
pub fn percentiles(mut values: Vec<f64>) -> Option<Percentiles> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    Some(Percentiles {
        p50: at(0.5),
        p95: at(0.95),
        max: values[values.len() - 1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_of_a_hundred_values() {
        let p = percentiles((1..=100).rev().map(f64::from).collect()).unwrap();
        assert_eq!((p.p50, p.p95, p.max), (51.0, 95.0, 100.0));
        assert_eq!(percentiles(Vec::new()), None);
    }
}
