//! Where the cluster's Redis is and how a node logs in: parsed and checked at start, so a
//! typo in the URL or an unreadable CA file refuses to start and names the flag instead of
//! failing later as "redis unreachable" (which looks like an outage, not a mistake).
//!
//! Pure: no I/O beyond what the caller reads, no Redis crate. `src/cluster/connect.rs` turns
//! it into clients.

/// Where Redis is: one server, or a primary found through Sentinel.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisTarget {
    /// TLS (`rediss://`, `rediss+sentinel://`): to the server and to the sentinels.
    pub tls: bool,
    /// `host:port` of the server, or of every sentinel.
    pub hosts: Vec<(String, u16)>,
    /// `Some(master name)` with Sentinel.
    pub sentinel_master: Option<String>,
    /// ACL user (`AUTH user pass`); `None` is the `default` user.
    pub username: Option<String>,
    /// Kept out of `Debug` and every log line.
    pub password: Option<String>,
    /// Database number.
    pub db: i64,
}

/// The password never reaches a log line, even through `{:?}` of the config.
impl std::fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTarget")
            .field("tls", &self.tls)
            .field("hosts", &self.hosts)
            .field("sentinel_master", &self.sentinel_master)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("db", &self.db)
            .finish()
    }
}

/// A `--cluster` URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedisUrlError {
    /// Not one of the supported schemes.
    #[error(
        "--cluster: unsupported scheme {0:?} (redis://, rediss://, redis+sentinel:// or rediss+sentinel://)"
    )]
    Scheme(String),
    /// A host without a port number that parses, or an empty host.
    #[error("--cluster: bad host:port {0:?}")]
    Host(String),
    /// A Sentinel URL must name the master: `redis+sentinel://h:26379/mymaster`.
    #[error(
        "--cluster: a sentinel URL names the master: redis+sentinel://host:port,.../MASTER[/db]"
    )]
    NoMaster,
    /// Several hosts are only meaningful with Sentinel.
    #[error("--cluster: several hosts need redis+sentinel:// (Redis Cluster is not supported)")]
    SeveralHosts,
    /// The database is not a number.
    #[error("--cluster: database {0:?} is not a number")]
    Db(String),
    /// A `%` escape that does not decode.
    #[error("--cluster: bad percent-escape in the user or password")]
    Escape,
}

impl RedisTarget {
    /// Parse `redis[s][+sentinel]://[user[:password]@]host:port[,host:port...][/master][/db]`.
    /// Ports default to 6379 (26379 for sentinels).
    pub fn parse(url: &str) -> Result<RedisTarget, RedisUrlError> {
        let (scheme, rest) =
            url.split_once("://").ok_or_else(|| RedisUrlError::Scheme(url.into()))?;
        let (tls, sentinel) = match scheme {
            "redis" => (false, false),
            "rediss" => (true, false),
            "redis+sentinel" => (false, true),
            "rediss+sentinel" => (true, true),
            other => return Err(RedisUrlError::Scheme(other.into())),
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostlist) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(u) => {
                let (user, pass) = match u.split_once(':') {
                    Some((a, b)) => (a, Some(b)),
                    None => (u, None),
                };
                let user = unescape(user)?;
                let pass = pass.map(unescape).transpose()?;
                ((!user.is_empty()).then_some(user), pass.filter(|p| !p.is_empty()))
            }
        };
        let default_port = if sentinel { 26379 } else { 6379 };
        let hosts = hostlist
            .split(',')
            .map(|h| host_port(h, default_port))
            .collect::<Result<Vec<_>, _>>()?;
        if hosts.len() > 1 && !sentinel {
            return Err(RedisUrlError::SeveralHosts);
        }
        let mut segs = path.split('/').filter(|s| !s.is_empty());
        let sentinel_master = if sentinel {
            Some(segs.next().ok_or(RedisUrlError::NoMaster)?.to_owned())
        } else {
            None
        };
        let db = match segs.next() {
            None => 0,
            Some(d) => d.parse().map_err(|_| RedisUrlError::Db(d.into()))?,
        };
        Ok(RedisTarget { tls, hosts, sentinel_master, username, password, db })
    }

    /// The URL with the password replaced, for log lines and errors.
    pub fn redacted(&self) -> String {
        let scheme = match (self.tls, self.sentinel_master.is_some()) {
            (false, false) => "redis",
            (true, false) => "rediss",
            (false, true) => "redis+sentinel",
            (true, true) => "rediss+sentinel",
        };
        let user = match (&self.username, &self.password) {
            (Some(u), Some(_)) => format!("{u}:***@"),
            (Some(u), None) => format!("{u}@"),
            (None, Some(_)) => ":***@".to_owned(),
            (None, None) => String::new(),
        };
        let hosts: Vec<String> = self.hosts.iter().map(|(h, p)| format!("{h}:{p}")).collect();
        let master = self.sentinel_master.as_ref().map(|m| format!("/{m}")).unwrap_or_default();
        format!("{scheme}://{user}{}{master}/{}", hosts.join(","), self.db)
    }
}

fn host_port(h: &str, default_port: u16) -> Result<(String, u16), RedisUrlError> {
    let bad = || RedisUrlError::Host(h.into());
    let (host, port) = match h.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || h.starts_with('[') => {
            (host, port.parse::<u16>().map_err(|_| bad())?)
        }
        _ => (h, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || port == 0 {
        return Err(bad());
    }
    Ok((host.to_owned(), port))
}

fn unescape(s: &str) -> Result<String, RedisUrlError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or(RedisUrlError::Escape)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| RedisUrlError::Escape)?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| RedisUrlError::Escape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_tls_acl_and_sentinel_urls_parse() {
        let t = RedisTarget::parse("redis://127.0.0.1:6380").unwrap();
        assert_eq!((t.tls, t.hosts.clone(), t.db), (false, vec![("127.0.0.1".into(), 6380)], 0));
        assert_eq!((t.username, t.password, t.sentinel_master), (None, None, None));

        let t = RedisTarget::parse("rediss://app:p%40ss@redis.example.com/2").unwrap();
        assert!(t.tls);
        assert_eq!(t.hosts, vec![("redis.example.com".into(), 6379)]);
        assert_eq!((t.username.as_deref(), t.password.as_deref()), (Some("app"), Some("p@ss")));
        assert_eq!(t.db, 2);

        let t = RedisTarget::parse("redis://worker@h:1").unwrap();
        assert_eq!((t.username.as_deref(), t.password), (Some("worker"), None));

        let t =
            RedisTarget::parse("redis+sentinel://:pw@a:26379,b,[::1]:26380/mymaster/1").unwrap();
        assert_eq!(t.hosts, vec![("a".into(), 26379), ("b".into(), 26379), ("::1".into(), 26380)]);
        assert_eq!(t.sentinel_master.as_deref(), Some("mymaster"));
        assert_eq!((t.password.as_deref(), t.db), (Some("pw"), 1));
    }

    #[test]
    fn bad_urls_are_refused_with_a_reason() {
        use RedisUrlError as E;
        assert!(matches!(RedisTarget::parse("http://h"), Err(E::Scheme(_))));
        assert!(matches!(RedisTarget::parse("h:6379"), Err(E::Scheme(_))));
        assert!(matches!(RedisTarget::parse("redis://h:notaport"), Err(E::Host(_))));
        assert!(matches!(RedisTarget::parse("redis://"), Err(E::Host(_))));
        assert_eq!(RedisTarget::parse("redis://a,b"), Err(E::SeveralHosts));
        assert_eq!(RedisTarget::parse("redis+sentinel://a"), Err(E::NoMaster));
        assert!(matches!(RedisTarget::parse("redis://h/x"), Err(E::Db(_))));
        assert_eq!(RedisTarget::parse("redis://u:%zz@h"), Err(E::Escape));
    }

    #[test]
    fn the_password_never_shows() {
        let t = RedisTarget::parse("rediss://app:s3cret@h:1/mymaster").err();
        assert!(t.is_some(), "a db that is not a number is refused");
        let t = RedisTarget::parse("rediss+sentinel://app:s3cret@h:1/m").unwrap();
        assert!(!format!("{t:?}").contains("s3cret"));
        assert!(!t.redacted().contains("s3cret"));
        assert_eq!(t.redacted(), "rediss+sentinel://app:***@h:1/m/0");
    }
}
