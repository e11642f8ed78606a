//! The adaptive concurrency limit: cut in half when the server keeps saying it is busy,
//! raised by one again after a run of successes (additive increase, multiplicative
//! decrease), never below 1 and never above the configured maximum.

/// Busy answers in a row (without a success between them) that cut the limit.
pub const BUSY_STREAK_TO_CUT: u32 = 3;

/// Successes since the last change of the limit that raise it by one.
pub const SUCCESSES_TO_RAISE: u32 = 8;

/// The limit and the counts that move it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcurrencyLimit {
    max: usize,
    current: usize,
    busy_streak: u32,
    successes: u32,
}

impl ConcurrencyLimit {
    /// A limit starting at (and never above) `max` (at least 1).
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Self {
            max,
            current: max,
            busy_streak: 0,
            successes: 0,
        }
    }

    /// How many requests may run at once now.
    pub fn current(&self) -> usize {
        self.current
    }

    /// The configured maximum.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Records a busy answer; true when it cut the limit.
    pub fn on_busy(&mut self) -> bool {
        self.successes = 0;
        self.busy_streak += 1;
        if self.busy_streak < BUSY_STREAK_TO_CUT {
            return false;
        }
        self.busy_streak = 0;
        let cut = (self.current / 2).max(1);
        let changed = cut != self.current;
        self.current = cut;
        changed
    }

    /// Records a success; true when it raised the limit.
    pub fn on_success(&mut self) -> bool {
        self.busy_streak = 0;
        if self.current >= self.max {
            return false;
        }
        self.successes += 1;
        if self.successes < SUCCESSES_TO_RAISE {
            return false;
        }
        self.successes = 0;
        self.current += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy(limit: &mut ConcurrencyLimit, n: u32) {
        for _ in 0..n {
            limit.on_busy();
        }
    }

    #[test]
    fn sustained_busy_halves_down_to_one() {
        let mut limit = ConcurrencyLimit::new(10);
        assert!(!limit.on_busy() && !limit.on_busy());
        assert!(limit.on_busy());
        assert_eq!(limit.current(), 5);
        busy(&mut limit, BUSY_STREAK_TO_CUT);
        assert_eq!(limit.current(), 2);
        busy(&mut limit, BUSY_STREAK_TO_CUT);
        assert_eq!(limit.current(), 1);
        assert!(!limit.on_busy() && !limit.on_busy() && !limit.on_busy());
        assert_eq!(limit.current(), 1, "never below one");
    }

    #[test]
    fn a_success_between_busy_answers_breaks_the_streak() {
        let mut limit = ConcurrencyLimit::new(10);
        for _ in 0..20 {
            limit.on_busy();
            limit.on_busy();
            limit.on_success();
        }
        assert_eq!(limit.current(), 10);
    }

    #[test]
    fn successes_raise_it_by_one_up_to_the_maximum() {
        let mut limit = ConcurrencyLimit::new(4);
        busy(&mut limit, 2 * BUSY_STREAK_TO_CUT);
        assert_eq!(limit.current(), 1);
        for _ in 0..SUCCESSES_TO_RAISE - 1 {
            assert!(!limit.on_success());
        }
        assert!(limit.on_success());
        assert_eq!(limit.current(), 2);
        for _ in 0..10 * SUCCESSES_TO_RAISE {
            limit.on_success();
        }
        assert_eq!(limit.current(), limit.max());
        assert_eq!(limit.max(), 4);
    }

    #[test]
    fn a_busy_answer_restarts_the_count_towards_a_raise() {
        let mut limit = ConcurrencyLimit::new(4);
        busy(&mut limit, BUSY_STREAK_TO_CUT);
        for _ in 0..SUCCESSES_TO_RAISE - 1 {
            limit.on_success();
        }
        limit.on_busy();
        assert!(!limit.on_success());
        assert_eq!(limit.current(), 2);
    }

    #[test]
    fn zero_means_one() {
        assert_eq!(ConcurrencyLimit::new(0).current(), 1);
    }
}
