//! Ctrl-C and SIGTERM during a capacity run.

use super::error::CapacityError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Ctrl-C and SIGTERM end the run cleanly: the loops notice, return, and the servers and
/// swarms (in sessions of their own, out of the terminal's reach) are killed on the way out.
/// A second Ctrl-C exits at once.
pub(crate) struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    pub(super) fn install() -> Interrupt {
        let flag = Arc::new(AtomicBool::new(false));
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, flag.clone());
            let _ = signal_hook::flag::register(sig, flag.clone());
        }
        Interrupt(flag)
    }

    pub(crate) fn check(&self) -> Result<(), CapacityError> {
        if self.0.load(Ordering::Relaxed) { Err(CapacityError::Interrupted) } else { Ok(()) }
    }
}
