//! The built-in games that live in their own crates under `games/`, compiled into the
//! server as modules of it.
//!
//! Why `#[path]` and not a dependency: each game crate depends on `tickwave` (this package)
//! and uses nothing but its public facade, which is what proves the facade is enough for a
//! studio's game. The server registering that game would make `tickwave` depend on the
//! game crate as well, a cycle cargo refuses. So the server compiles the game's own source
//! files as a module, where `tickwave::` resolves to this crate (`extern crate self as
//! tickwave` in lib.rs), while the game crate stays a separate workspace member with its
//! own tests. The source is one and the same; the game crate never names `crate::`.

#[path = "../games/connect4/src/lib.rs"]
pub mod connect4;

#[path = "../games/battleship/src/lib.rs"]
pub mod battleship;

#[path = "../games/fog/src/lib.rs"]
pub mod fog;
