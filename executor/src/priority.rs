//! Priority lanes and the per-core lane budget.
//!
//! Policy (weighted round, no starvation): each core keeps a budget per lane, refilled to
//! [`Priority::budget`] at the start of a round. The next task comes from the highest
//! priority non-empty lane that still has budget; each poll charges one unit. When every
//! non-empty lane has spent its budget the round ends and all budgets refill. So within any
//! window of `sum(budgets)` lane polls, every lane that stayed non-empty got at least its
//! budget: Background is slowed down by Critical work, never stopped.

/// Scheduling lane of a task; `Critical` runs first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Priority {
    /// Interrupt bottom halves and anything latency critical.
    Critical = 0,
    /// Interactive or latency sensitive work.
    High = 1,
    /// The default.
    #[default]
    Normal = 2,
    /// Throughput work that may wait.
    Low = 3,
    /// Housekeeping; runs when nothing else wants the core (and a little anyway).
    Background = 4,
}

impl Priority {
    /// Number of lanes.
    pub const COUNT: usize = 5;
    /// All lanes, highest first.
    pub const ALL: [Priority; Priority::COUNT] = [
        Priority::Critical,
        Priority::High,
        Priority::Normal,
        Priority::Low,
        Priority::Background,
    ];

    /// Lane index, 0 for `Critical`.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Inverse of [`Priority::index`]; out-of-range values map to `Background`.
    #[inline]
    pub const fn from_index(index: usize) -> Priority {
        match index {
            0 => Priority::Critical,
            1 => Priority::High,
            2 => Priority::Normal,
            3 => Priority::Low,
            _ => Priority::Background,
        }
    }

    /// Polls per round this lane may take before lower lanes get their turn.
    pub const fn budget(self) -> u32 {
        match self {
            Priority::Critical => 32,
            Priority::High => 16,
            Priority::Normal => 8,
            Priority::Low => 4,
            Priority::Background => 2,
        }
    }
}

/// One value per priority lane.
pub(crate) struct Lanes<T>(pub(crate) [T; Priority::COUNT]);

impl<T> Lanes<T> {
    pub(crate) fn new(mut make: impl FnMut(Priority) -> T) -> Self {
        Self(Priority::ALL.map(&mut make))
    }

    #[inline]
    pub(crate) fn get(&self, lane: Priority) -> &T {
        &self.0[lane.index()]
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, lane: Priority) -> &mut T {
        &mut self.0[lane.index()]
    }
}

/// Per-core budget state; owned by the core's worker.
pub(crate) struct Budget {
    left: [u32; Priority::COUNT],
}

impl Budget {
    pub(crate) fn new() -> Self {
        Self {
            left: Priority::ALL.map(Priority::budget),
        }
    }

    /// The lane to serve next, given which lanes have work; `None` when all are empty.
    #[inline]
    pub(crate) fn pick(&mut self, has_work: impl Fn(Priority) -> bool) -> Option<Priority> {
        let mut fallback = None;
        for lane in Priority::ALL {
            if has_work(lane) {
                if self.left[lane.index()] > 0 {
                    return Some(lane);
                }
                fallback.get_or_insert(lane);
            }
        }
        // Every non-empty lane is out of budget: the round is over.
        let lane = fallback?;
        self.left = Priority::ALL.map(Priority::budget);
        Some(lane)
    }

    /// Records one poll taken from `lane`.
    #[inline]
    pub(crate) fn charge(&mut self, lane: Priority) {
        let left = &mut self.left[lane.index()];
        *left = left.saturating_sub(1);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn index_round_trips() {
        for lane in Priority::ALL {
            assert_eq!(Priority::from_index(lane.index()), lane);
        }
    }

    #[test]
    fn every_busy_lane_gets_its_budget_each_round() {
        let mut budget = Budget::new();
        let round: u32 = Priority::ALL.iter().map(|p| p.budget()).sum();
        let mut served = [0u32; Priority::COUNT];
        for _ in 0..round * 3 {
            let lane = budget.pick(|_| true).expect("all lanes busy");
            budget.charge(lane);
            served[lane.index()] += 1;
        }
        for lane in Priority::ALL {
            assert_eq!(served[lane.index()], lane.budget() * 3, "{lane:?}");
        }
    }

    #[test]
    fn higher_lane_first_within_budget() {
        let mut budget = Budget::new();
        let busy = |p: Priority| p == Priority::Low || p == Priority::High;
        assert_eq!(budget.pick(busy), Some(Priority::High));
        assert_eq!(budget.pick(|_| false), None);
    }

    #[test]
    fn lone_lane_is_never_blocked_by_spent_budget() {
        let mut budget = Budget::new();
        for _ in 0..100 {
            let lane = budget.pick(|p| p == Priority::Background).unwrap();
            assert_eq!(lane, Priority::Background);
            budget.charge(lane);
        }
    }
}
