//! Chat lines of `chat` bots: when they are due, and how a bot tells its own echo.

/// When a chatting bot sends its lines: a first line at a random phase within one period
/// after joining (so a lobby's bots do not all speak at once), then one line per period.
/// A late wake-up keeps the rate and never bursts to catch up, so a bot never exceeds its
/// rate (and with a rate at or below the server's sustained limit, never hits the limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChatClock {
    period_us: u64,
    next_us: u64,
}

impl ChatClock {
    /// Starting at `now_us`; `phase_us` (taken modulo the period) delays the first line.
    pub(crate) fn new(period_us: u64, now_us: u64, phase_us: u64) -> Self {
        let period_us = period_us.max(1);
        ChatClock { period_us, next_us: now_us + phase_us % period_us }
    }

    /// When the next line is due.
    pub(crate) fn next_us(&self) -> u64 {
        self.next_us
    }

    /// Whether a line is due at `now_us`; if so, the clock moves on to the next one.
    pub(crate) fn due(&mut self, now_us: u64) -> bool {
        if now_us < self.next_us {
            return false;
        }
        let late = now_us - self.next_us;
        self.next_us = if late >= self.period_us {
            now_us + self.period_us
        } else {
            self.next_us + self.period_us
        };
        true
    }
}

/// The text of chat line `seq` of bot `bot` (short, printable: valid for the server).
pub(crate) fn chat_text(bot: u32, seq: u64) -> String {
    format!("bot {bot} line {seq}")
}

/// The line number of a line [`chat_text`] wrote for bot `bot`; `None` for any other text.
pub(crate) fn chat_seq(bot: u32, text: &str) -> Option<u64> {
    let rest = text.strip_prefix("bot ")?;
    let (id, seq) = rest.split_once(" line ")?;
    (id.parse::<u32>().ok()? == bot).then_some(())?;
    seq.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_lines_follow_the_rate_without_bursts() {
        // 0.5 lines/s, first line 0.7 s after joining at 10 s; woken every 50 ms for 60 s.
        let mut clock = ChatClock::new(2_000_000, 10_000_000, 2_700_000);
        assert_eq!(clock.next_us(), 10_700_000);
        let sent: Vec<u64> =
            (0..1200u64).map(|i| 10_000_000 + i * 50_000).filter(|t| clock.due(*t)).collect();
        assert_eq!(sent.len(), 30, "{sent:?}");
        assert_eq!(sent[0], 10_700_000);
        assert!(sent.windows(2).all(|w| w[1] - w[0] == 2_000_000), "{sent:?}");
        // In every second at most one line, so the server's 1 line/s is never exceeded.
        for s in 10..70u64 {
            let n = sent.iter().filter(|t| **t / 1_000_000 == s).count();
            assert!(n <= 1, "second {s}: {n} lines");
        }
        // A long stall (a busy process) does not burst to catch up.
        let mut clock = ChatClock::new(1_000_000, 0, 0);
        assert!(clock.due(0));
        assert!(clock.due(10_000_000));
        assert!(!clock.due(10_500_000));
        assert!(clock.due(11_000_000));

        // Texts carry the sequence number and are matched only for their own bot.
        let t = chat_text(17, 42);
        assert_eq!(t, "bot 17 line 42");
        assert_eq!(chat_seq(17, &t), Some(42));
        assert_eq!(chat_seq(18, &t), None);
        assert_eq!(chat_seq(17, "hello"), None);
        assert_eq!(chat_seq(17, "bot 17 line x"), None);
    }
}
