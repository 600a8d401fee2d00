//! Why a configuration is refused, with the underlying error kept as the source.
//!
//! The messages are the ones the binary has always printed (`tickwave: configuration: ...`),
//! so scripts and tests that read them keep working.

use super::ConfigError;
use crate::auth::AuthSetupError;
use std::path::PathBuf;

/// A modes file, or the modes of a [`super::Config`], that the server cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ModesError {
    /// The modes file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The modes file is not valid TOML of `[[mode]]` tables.
    #[error("{}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: toml::de::Error,
    },
    /// The modes file has no `[[mode]]`.
    #[error("{}: no [[mode]]", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A mode of the file is out of range.
    #[error("{}: {source}", path.display())]
    InvalidInFile {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: ConfigError,
    },
    /// A mode built in code is out of range.
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    /// A mode names a game that is not in the registry.
    #[error("mode {mode:?} names unknown game {game:?}")]
    UnknownGame {
        /// The mode.
        mode: String,
        /// The game it names.
        game: String,
    },
    /// A mode's `[mode.settings]` do not suit its game (unknown key, bad value).
    #[error("mode {mode:?}: {message}")]
    Settings {
        /// The mode.
        mode: String,
        /// What the game's settings check said (it names the key).
        message: String,
    },
    /// Two modes share a name.
    #[error("two modes share a name")]
    DuplicateName,
}

/// A web files directory flag (`--static-dir`, `--admin-static-dir`) that cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum WebFilesError {
    /// The path does not resolve.
    #[error("{flag} {}: {source}", path.display())]
    Resolve {
        /// The flag.
        flag: String,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The path is not a directory.
    #[error("{flag} {}: not a directory", path.display())]
    NotADirectory {
        /// The flag.
        flag: String,
        /// The file.
        path: PathBuf,
    },
}

/// Flags and environment that do not make a configuration ([`super::Cli::into_config`]).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The modes file.
    #[error("mode configuration: {0}")]
    Modes(#[from] ModesError),
    /// A secret file could not be read.
    #[error("configuration: {}: {source}", path.display())]
    ReadSecret {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `--cluster` without a secret.
    #[error("configuration: --cluster needs --cluster-secret-file or TICKWAVE_CLUSTER_SECRET")]
    NoClusterSecret,
    /// The `--cluster` URL does not parse.
    #[error("configuration: {0}")]
    RedisUrl(#[from] super::RedisUrlError),
    /// `--cluster-redis-ca` with a URL that is not TLS.
    #[error(
        "configuration: --cluster-redis-ca needs a rediss:// (or rediss+sentinel://) --cluster URL"
    )]
    RedisCaWithoutTls,
    /// A `--cluster-redis-ca` file that holds no usable certificate.
    #[error("configuration: --cluster-redis-ca {}: {reason}", path.display())]
    RedisCa {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A cluster secret too short to sign with.
    #[error("configuration: the cluster secret must be at least 16 bytes")]
    ShortClusterSecret,
    /// `--auth token` without a key.
    #[error(
        "configuration: --auth token needs --auth-secret-file, TICKWAVE_AUTH_SECRET or --auth-public-key"
    )]
    NoAuthKey,
    /// The player-token key is unusable.
    #[error("configuration: {0}")]
    Auth(#[from] AuthSetupError),
    /// A web files directory.
    #[error("configuration: {0}")]
    WebFiles(#[from] WebFilesError),
    /// `--admin-listen` is neither an address nor `off`.
    #[error(
        "configuration: --admin-listen {value:?}: {source} (an address like 127.0.0.1:9433, or off)"
    )]
    AdminListen {
        /// The value given.
        value: String,
        /// The underlying error.
        source: std::net::AddrParseError,
    },
    /// A value out of range, or values that contradict each other.
    #[error("configuration: {0}")]
    Invalid(#[from] ConfigError),
}
