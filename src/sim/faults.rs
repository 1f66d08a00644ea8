//! Fault injection: a seeded fraction of feed responses go wrong in the ways real books do.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// What goes wrong with one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// The right answer, late.
    Slow(Duration),
    /// 503.
    ServerError,
    /// 429 with `Retry-After: 1`.
    TooManyRequests,
    /// The first half of the body (with a matching length, so it parses as broken JSON).
    Truncated,
    /// An HTML error page with status 200.
    Malformed,
}

/// The fault dice; its own seeded stream so faults never disturb the market's moves.
#[derive(Debug)]
pub(super) struct Faults {
    rng: SmallRng,
    pub(super) rate: f64,
    slow: Duration,
}

impl Faults {
    pub(super) fn new(seed: u64, rate: f64, slow: Duration) -> Self {
        Faults {
            rng: SmallRng::seed_from_u64(seed.wrapping_add(0xfa17)),
            rate: rate.clamp(0.0, 1.0),
            slow,
        }
    }

    pub(super) fn roll(&mut self) -> Option<Fault> {
        if self.rate <= 0.0 || !self.rng.gen_bool(self.rate) {
            return None;
        }
        Some(match self.rng.gen_range(0..5) {
            0 => Fault::Slow(self.slow),
            1 => Fault::ServerError,
            2 => Fault::TooManyRequests,
            3 => Fault::Truncated,
            _ => Fault::Malformed,
        })
    }
}

fn json(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The response for `body`, spoilt by `fault` if any.
pub(super) async fn apply(fault: Option<Fault>, status: StatusCode, mut body: Vec<u8>) -> Response {
    match fault {
        None => json(status, body),
        Some(Fault::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            json(status, body)
        }
        Some(Fault::ServerError) => {
            (StatusCode::SERVICE_UNAVAILABLE, "upstream unavailable").into_response()
        }
        Some(Fault::TooManyRequests) => {
            let mut response = (StatusCode::TOO_MANY_REQUESTS, "slow down").into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
        Some(Fault::Truncated) => {
            body.truncate(body.len() / 2);
            json(status, body)
        }
        Some(Fault::Malformed) => {
            (StatusCode::OK, "<html><body>502 Bad Gateway</body></html>").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_rate_zero_never_faults_and_one_always_does() {
        let mut none = Faults::new(1, 0.0, Duration::ZERO);
        assert!((0..1000).all(|_| none.roll().is_none()));
        let mut all = Faults::new(1, 1.0, Duration::ZERO);
        let rolls: Vec<_> = (0..1000).map(|_| all.roll()).collect();
        assert!(rolls.iter().all(Option::is_some));
        for kind in [
            Fault::ServerError,
            Fault::TooManyRequests,
            Fault::Truncated,
            Fault::Malformed,
        ] {
            assert!(rolls.contains(&Some(kind)), "{kind:?} never rolled");
        }
    }

    #[test]
    fn a_fault_rate_between_hits_about_that_fraction() {
        let mut some = Faults::new(3, 0.2, Duration::ZERO);
        let hits = (0..10_000).filter(|_| some.roll().is_some()).count();
        assert!((1_700..2_300).contains(&hits), "{hits}");
    }
}
