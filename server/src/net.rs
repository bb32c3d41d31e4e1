//! The listening socket and who is on the other end of it. Connections are accepted within
//! limits (how many at once, how many per client address, how long a client may take to send
//! a request's headers), so that slow or idle clients cannot hold the server; and the client
//! address behind a trusted proxy comes from `X-Forwarded-For`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use ipnet::IpNet;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Service;

use crate::error::Error;

/// Proxies whose `X-Forwarded-For` names the client (`GALLERY_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Arc<Vec<IpNet>>);

/// How the listener treats connections.
#[derive(Debug, Clone)]
pub struct Limits {
    pub header_timeout: Duration,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    /// Peers exempt from the per-address cap: every client of theirs shares their address.
    pub trusted_proxies: Vec<IpNet>,
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish (for up to ten seconds).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // Without a timer hyper has no header timeout at all: a client that sends half a
    // request would keep its connection (and a slot) forever.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(20)))
        .keep_alive_timeout(limits.header_timeout)
        .max_concurrent_streams(100);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_ip = PerAddress::default();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let exempt = limits
            .trusted_proxies
            .iter()
            .any(|n| n.contains(&peer.ip()));
        let held = if exempt {
            None
        } else {
            match per_ip.enter(peer.ip(), limits.max_connections_per_ip) {
                Some(held) => Some(held),
                None => {
                    tracing::debug!(%peer, "too many connections from one address; closed");
                    continue;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let router = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<_>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().call(req)
        });
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, %err, "connection ended with an error");
            }
            drop((slot, held));
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(10)) => {
            tracing::warn!("requests still running after 10 s; stopping anyway");
        }
    }
    Ok(())
}

/// Open connections per client address (IPv6: per /64).
#[derive(Default, Clone)]
struct PerAddress(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One connection counted against its address until dropped.
struct Held {
    counts: PerAddress,
    key: IpAddr,
}

impl PerAddress {
    fn enter(&self, ip: IpAddr, max: usize) -> Option<Held> {
        let key = network(ip);
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(key).or_insert(0);
        if *n >= max.max(1) {
            return None;
        }
        *n += 1;
        Some(Held {
            counts: self.clone(),
            key,
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// The unit one client is limited by: its IPv4 address, or the /64 of its IPv6 address
/// (one household or host usually has a whole /64).
pub fn network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// The client's address: the connection's peer, or, when the peer is a trusted proxy, the
/// nearest address in `X-Forwarded-For` that is not one of the trusted proxies.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    let peer = peer.to_canonical();
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // Anything that is not an address ends the chain we can believe.
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// The client's address, for limits and logs (see [`client_address`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S> FromRequestParts<S> for ClientIp
where
    TrustedProxies: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("no peer address on the request")))?;
        let trusted = TrustedProxies::from_ref(state);
        Ok(Self(client_address(peer, &parts.headers, &trusted.0)))
    }
}

/// A request's path as logs may show it: a link's token (`/s/TOKEN/…`) hidden.
pub fn logged_path(path: &str) -> String {
    match path.strip_prefix("/s/") {
        Some(rest) => match rest.split_once('/') {
            Some((_, tail)) => format!("/s/…/{tail}"),
            None => "/s/…".to_owned(),
        },
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() {
        let ip = client_address(
            "203.0.113.9".parse().unwrap(),
            &headers(&["198.51.100.1"]),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(ip, "203.0.113.9".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client() {
        // The client forged the first entry; the proxy appended the real address.
        let ip = client_address(
            "10.0.0.2".parse().unwrap(),
            &headers(&["1.2.3.4, 198.51.100.7", "10.0.0.1"]),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(ip, "198.51.100.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn garbage_in_the_chain_stops_at_the_last_trusted_hop() {
        let ip = client_address(
            "10.0.0.2".parse().unwrap(),
            &headers(&["1.2.3.4, not-an-address"]),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(ip, "10.0.0.2".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let a = network("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = network("2001:db8:1:2:ffff:1:2:3".parse().unwrap());
        let c = network("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            network("::ffff:192.0.2.1".parse().unwrap()),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn a_links_token_never_reaches_a_log_line() {
        let token = "ab".repeat(32);
        assert_eq!(super::logged_path(&format!("/s/{token}")), "/s/…");
        assert_eq!(
            super::logged_path(&format!("/s/{token}/images/x/original")),
            "/s/…/images/x/original"
        );
        assert_eq!(super::logged_path("/gallery/x"), "/gallery/x");
    }
}
