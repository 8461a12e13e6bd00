//! The supervisor's restart decisions: the policy says whether a service that ended
//! comes back, the limit says how often within a sliding window, and the delay how soon.

use crate::manifest::{RestartConfig, RestartPolicy};
use alloc::collections::VecDeque;

/// How a service instance ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It returned, or its process exited with code 0.
    Clean,
    /// A fault, a non-zero exit code, or it was killed.
    Failed,
}

/// What the supervisor does about an ending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Start it again after this many microseconds.
    Restart {
        /// The wait before the restart.
        delay_us: u64,
    },
    /// The policy wants it back but it restarted too often: `RestartFailed`, its
    /// dependents are told, and only an explicit `start` brings it back.
    GiveUp,
    /// The policy does not restart it (it stays stopped).
    StayDown,
}

/// One service's restart history.
#[derive(Clone, Debug)]
pub struct RestartTracker {
    config: RestartConfig,
    /// When the restarts still inside the window were decided (oldest first); never
    /// more than `max_restarts` of them.
    recent: VecDeque<u64>,
    total: u64,
}

impl RestartTracker {
    /// No restarts yet, under `config`.
    pub fn new(config: RestartConfig) -> Self {
        Self {
            config,
            recent: VecDeque::new(),
            total: 0,
        }
    }

    /// The policy it follows.
    pub fn config(&self) -> RestartConfig {
        self.config
    }

    /// Decides about an instance that ended with `ending` at `now_us`; a restart is
    /// counted when decided.
    pub fn decide(&mut self, now_us: u64, ending: Ending) -> Decision {
        let wanted = match self.config.policy {
            RestartPolicy::Never => false,
            RestartPolicy::OnFailure => ending == Ending::Failed,
            RestartPolicy::Always => true,
        };
        if !wanted {
            return Decision::StayDown;
        }
        let window = self.config.window_us;
        while self
            .recent
            .front()
            .is_some_and(|&at| now_us.saturating_sub(at) >= window)
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= self.config.max_restarts as usize {
            return Decision::GiveUp;
        }
        self.recent.push_back(now_us);
        self.total += 1;
        Decision::Restart {
            delay_us: self.config.delay_us,
        }
    }

    /// Restarts decided so far.
    pub fn restarts(&self) -> u64 {
        self.total
    }

    /// Forgets the window (an operator's `start` after `RestartFailed` gives the service
    /// its full allowance again); the total stays.
    pub fn clear_window(&mut self) {
        self.recent.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    fn tracker(policy: RestartPolicy) -> RestartTracker {
        RestartTracker::new(RestartConfig {
            policy,
            ..RestartConfig::DEFAULT
        })
    }

    #[test]
    fn policies_decide_by_how_it_ended() {
        let restart = Decision::Restart { delay_us: S };
        let mut never = tracker(RestartPolicy::Never);
        assert_eq!(never.decide(0, Ending::Failed), Decision::StayDown);
        assert_eq!(never.decide(0, Ending::Clean), Decision::StayDown);
        let mut on_failure = tracker(RestartPolicy::OnFailure);
        assert_eq!(on_failure.decide(0, Ending::Clean), Decision::StayDown);
        assert_eq!(on_failure.decide(0, Ending::Failed), restart);
        let mut always = tracker(RestartPolicy::Always);
        assert_eq!(always.decide(0, Ending::Clean), restart);
        assert_eq!(always.decide(0, Ending::Failed), restart);
        assert_eq!(always.restarts(), 2);
    }

    #[test]
    fn the_fourth_failure_within_a_minute_gives_up() {
        let mut t = tracker(RestartPolicy::OnFailure);
        for at in [0, 10 * S, 20 * S] {
            assert!(matches!(
                t.decide(at, Ending::Failed),
                Decision::Restart { .. }
            ));
        }
        assert_eq!(t.decide(30 * S, Ending::Failed), Decision::GiveUp);
        assert_eq!(t.restarts(), 3);
    }

    #[test]
    fn restarts_leave_the_window_after_it_passes() {
        let mut t = tracker(RestartPolicy::OnFailure);
        for at in [0, S, 2 * S] {
            assert!(matches!(
                t.decide(at, Ending::Failed),
                Decision::Restart { .. }
            ));
        }
        // 60 s after the first, it no longer counts.
        assert!(matches!(
            t.decide(60 * S, Ending::Failed),
            Decision::Restart { .. }
        ));
        assert_eq!(t.decide(60 * S + 1, Ending::Failed), Decision::GiveUp);
        t.clear_window();
        assert!(matches!(
            t.decide(60 * S + 2, Ending::Failed),
            Decision::Restart { .. }
        ));
        assert_eq!(t.restarts(), 5);
    }

    #[test]
    fn a_zero_limit_never_restarts() {
        let mut t = RestartTracker::new(RestartConfig {
            max_restarts: 0,
            ..RestartConfig::DEFAULT
        });
        assert_eq!(t.decide(0, Ending::Failed), Decision::GiveUp);
    }

    #[test]
    fn the_history_stays_bounded() {
        let mut t = RestartTracker::new(RestartConfig {
            policy: RestartPolicy::Always,
            max_restarts: 100,
            window_us: 10,
            delay_us: 0,
        });
        for at in 0..100_000 {
            assert_eq!(
                t.decide(at * 5, Ending::Clean),
                Decision::Restart { delay_us: 0 }
            );
            assert!(t.recent.len() <= 100);
        }
    }
}
