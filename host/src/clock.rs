//! This computer's clock against AWS's: the offset the browser measures
//! from the HTTP `Date` header of an AWS sign-in page, and when codes use
//! it. The one place for these rules: the native host records offsets and
//! uses them for fills and listings, the command line for `code`, `doctor`
//! reports them.
//!
//! A measurement ([`Sample`]) is the `Date` header's time, which has whole
//! seconds only, and this computer's time just before the request was sent
//! and just after the answer arrived. The server wrote the header somewhere
//! in between, at a time that its header rounds down to the second, so
//! AWS's time minus ours lies in
//! `[date − received, date + 1 − sent]`: the offset is the middle of that
//! interval and its half-width is the measurement's error, at least half a
//! second. A sample whose round trip took longer than
//! [`MAX_ROUND_TRIP_MS`] is too vague to keep.
//!
//! An offset is used ([`Standing::Used`]) when it is at least
//! [`MIN_USED_SECS`] (smaller ones are within what a measurement can tell),
//! at most [`MAX_OFFSET_SECS`] (larger ones are absurd: a clock that wrong
//! is to be set, not corrected for, and a page could not have moved codes
//! that far), and recent: measured within [`RECENT_SECS`] and not after
//! this computer's present (a clock set back since).
//!
//! On an AWS sign-in page the host tells the extension what to do about
//! the page's partition ([`page_clock`]): a fill waits for the page's
//! measurement only when there is no recent record, and the page measures
//! only when the record is over [`REMEASURE_SECS`] old. A measurement is
//! written only when it tells something that matters ([`ClockOffset::replaces`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::token::{Partition, Token};

/// Smallest offset, in whole seconds either way, that codes are corrected
/// for. The `Date` header's one-second steps and the request's time in
/// flight leave up to 1.5 s of error (see [`MAX_ROUND_TRIP_MS`]), so a
/// smaller offset may be nothing at all; and a code is handed out for
/// filling only with 5 s left, which covers what is left uncorrected.
pub const MIN_USED_SECS: i64 = 3;

/// Largest offset, in seconds either way, that codes are corrected for.
/// A larger one is recorded (so `doctor` and the popup can say so) but
/// never used.
pub const MAX_OFFSET_SECS: i64 = 600;

/// An offset at least this large (seconds either way) is a clock to set
/// at once: a whole TOTP period, so every code from a service whose clock
/// FactorCat does not know is wrong, and so are other programs' times.
pub const LARGE_SECS: i64 = 30;

/// Longest round trip of a measurement that is kept, in milliseconds: its
/// error is then at most 0.5 s (the header's resolution) plus half of it.
pub const MAX_ROUND_TRIP_MS: u64 = 2000;

/// How long a measured offset stays in use ("recent"), in seconds: one
/// hour. The browser measures again on AWS sign-in pages ([`page_clock`])
/// and the record is written again every [`REFRESH_SECS`] at least, so
/// while sign-ins go on fills have a recent one and need not wait for the
/// page; the command line uses one only this long after the last sign-in,
/// because a clock set right in the meantime would make an older offset
/// wrong.
pub const RECENT_SECS: u64 = 3600;

/// A measurement whose answer arrived longer ago than this (seconds, by
/// this computer's clock) measures nothing of the present.
pub const MAX_SAMPLE_AGE_SECS: u64 = 60;

/// A measurement that agrees with the recorded one within its error is
/// not written again unless the record is this old, in seconds: ten
/// minutes (sign-in pages come several per sign-in; a record refreshed
/// this often stays [recent](RECENT_SECS) for people who sign in daily).
pub const REFRESH_SECS: u64 = 600;

/// An AWS sign-in page measures AWS's clock when its partition's record is
/// at least this old, in seconds, or missing: within a minute of a
/// measurement (the next page of the same sign-in) another tells nothing.
pub const REMEASURE_SECS: u64 = 60;

/// AWS's time minus this computer's, as measured once.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockOffset {
    /// The offset in milliseconds: positive when AWS is ahead.
    pub offset_ms: i64,
    /// How far the true offset may be from `offset_ms`, in milliseconds.
    pub error_ms: u64,
    /// When it was measured: this computer's Unix seconds.
    pub measured: u64,
}

/// The recorded offsets, by AWS partition name (`aws`, `aws-us-gov`, …).
/// Names rather than [`Partition`] values, so that a record of a partition
/// this build does not know is kept, not refused.
pub type Clocks = BTreeMap<String, ClockOffset>;

/// What an offset means for codes now.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Codes use it.
    Used,
    /// Under [`MIN_USED_SECS`]: the clocks agree as far as can be told.
    Small,
    /// Over [`MAX_OFFSET_SECS`]: ignored; the clock is to be set.
    Absurd,
    /// Measured more than [`RECENT_SECS`] ago, or after now: ignored.
    Stale,
}

impl ClockOffset {
    /// The offset in whole seconds, rounded to the nearest.
    pub fn seconds(&self) -> i64 {
        let ms = self.offset_ms;
        (ms + ms.signum() * 500) / 1000
    }

    /// What this offset means for codes at `now` (this computer's Unix
    /// seconds). Absurd before stale: an absurd offset is worth reporting
    /// however old.
    pub fn standing(&self, now: u64) -> Standing {
        let secs = self.seconds();
        if secs.abs() > MAX_OFFSET_SECS {
            Standing::Absurd
        } else if !self.is_recent(now) {
            Standing::Stale
        } else if secs.abs() < MIN_USED_SECS {
            Standing::Small
        } else {
            Standing::Used
        }
    }

    /// Whether this offset was measured within [`RECENT_SECS`] before `now`
    /// (and not after it: a clock set back since).
    pub fn is_recent(&self, now: u64) -> bool {
        self.measured <= now && now - self.measured <= RECENT_SECS
    }

    /// Whether this offset is [`LARGE_SECS`] or more.
    pub fn is_large(&self) -> bool {
        self.seconds().abs() >= LARGE_SECS
    }

    /// The seconds codes are moved by at `now`: the offset when it is
    /// [`Standing::Used`], else 0.
    pub fn used(&self, now: u64) -> i64 {
        match self.standing(now) {
            Standing::Used => self.seconds(),
            _ => 0,
        }
    }

    /// Whether `self`, just measured, is worth writing over `old`: there is
    /// no record, the record lies outside this measurement's error (a
    /// different offset as far as it can tell), is [`REFRESH_SECS`] old, or
    /// was measured after `self` (a clock set back). Otherwise nothing that
    /// matters changes: codes keep the recorded offset, which stays recent.
    pub fn replaces(&self, old: Option<&ClockOffset>) -> bool {
        old.is_none_or(|old| {
            self.offset_ms.abs_diff(old.offset_ms) > self.error_ms
                || old.measured > self.measured
                || self.measured - old.measured >= REFRESH_SECS
        })
    }
}

/// What an AWS sign-in page is to do about AWS's clock (the `clock` of a
/// `match` reply).
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageClock {
    /// Measure AWS's clock from the page (then the `clock` request).
    pub measure: bool,
    /// Fill only once that measurement is recorded (within a bound the
    /// extension keeps): the partition has no recent record, so codes may
    /// be off by as much as the clock is. Otherwise a fill goes ahead at
    /// once with the recorded offset, and a measurement runs beside it.
    pub wait: bool,
}

/// What a sign-in page of a partition whose record is `record` is to do at
/// `now`. An offset recorded recently ([`ClockOffset::is_recent`]), used or
/// not, is what codes follow: the fill need not wait. An absurd one too:
/// codes ignore it, and would ignore the next one as long as it stays so.
pub fn page_clock(record: Option<&ClockOffset>, now: u64) -> PageClock {
    let recent = record.filter(|r| r.is_recent(now));
    PageClock {
        measure: recent.is_none_or(|r| now - r.measured >= REMEASURE_SECS),
        wait: recent.is_none(),
    }
}

/// One measurement of AWS's clock: the `Date` header of a response and
/// this computer's time around the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// The header's time, Unix seconds (see [`parse_http_date`]).
    pub date: u64,
    /// This computer's time just before the request, Unix milliseconds.
    pub sent_ms: u64,
    /// This computer's time once the response's headers arrived, Unix
    /// milliseconds.
    pub received_ms: u64,
}

/// Why a [`Sample`] gives no offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    /// The answer came before the request (this computer's clock moved).
    #[error("the answer arrived before the request was sent")]
    Backwards,
    /// The round trip took too long to tell the offset precisely.
    #[error(
        "the request took {0} ms, too long to measure the clock (at most {MAX_ROUND_TRIP_MS} ms)"
    )]
    TooSlow(u64),
}

impl Sample {
    /// The offset this sample shows: the middle of what it allows, and half
    /// its width as the error.
    pub fn offset(&self) -> Result<ClockOffset, SampleError> {
        let trip = self
            .received_ms
            .checked_sub(self.sent_ms)
            .ok_or(SampleError::Backwards)?;
        if trip > MAX_ROUND_TRIP_MS {
            return Err(SampleError::TooSlow(trip));
        }
        // The server's time was in [date, date + 1 s) while ours was in
        // [sent, received]; both midpoints, doubled to stay in integers.
        let server2 = i128::from(self.date) * 2000 + 1000;
        let local2 = i128::from(self.sent_ms) + i128::from(self.received_ms);
        let offset_ms = i64::try_from((server2 - local2) / 2).unwrap_or(i64::MAX);
        Ok(ClockOffset {
            offset_ms,
            error_ms: 500 + trip.div_ceil(2),
            measured: self.received_ms / 1000,
        })
    }
}

/// The partition whose offset applies to `token`'s codes: AWS tokens',
/// IAM Identity Center's included. Other tokens use this computer's clock,
/// since only AWS's clock is measured.
pub fn partition_of(token: &Token) -> Option<Partition> {
    token.aws.as_ref().map(|a| a.partition)
}

/// The seconds `token`'s codes are moved by at `now`: its partition's
/// recorded offset when that is in use, else 0.
pub fn used_for(clocks: &Clocks, token: &Token, now: u64) -> i64 {
    partition_of(token)
        .and_then(|p| clocks.get(p.as_str()))
        .map_or(0, |c| c.used(now))
}

/// `now` moved by `offset` seconds (never below 0).
pub fn shift(now: u64, offset: i64) -> u64 {
    now.saturating_add_signed(offset)
}

/// The time one token's codes are made at: this computer's time and the
/// offset used for the token ([`used_for`]). Time steps and codes follow
/// the token's time ([`CodeTime::now`]); what is shown against a clock of
/// this computer (when a code is valid) is moved back ([`CodeTime::local`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeTime {
    /// This computer's time, Unix seconds.
    pub local_now: u64,
    /// The seconds the token's codes are moved by.
    pub offset: i64,
}

impl CodeTime {
    /// The time of `token`'s codes at this computer's `local_now`.
    pub fn of(clocks: &Clocks, token: &Token, local_now: u64) -> CodeTime {
        CodeTime {
            local_now,
            offset: used_for(clocks, token, local_now),
        }
    }

    /// The token's time now: what its codes and time steps follow.
    pub fn now(&self) -> u64 {
        shift(self.local_now, self.offset)
    }

    /// The moment `t` of the token's time on this computer's clock.
    pub fn local(&self, t: u64) -> u64 {
        shift(t, self.offset.saturating_neg())
    }
}

/// An offset in words, for people: `2 min 5 s ahead of`, `40 s behind`
/// (AWS's clock against this computer's).
pub fn describe(offset: i64) -> String {
    let secs = offset.unsigned_abs();
    let amount = match (secs / 3600, secs % 3600 / 60, secs % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, _) => format!("{h} h {m} min"),
    };
    let way = if offset < 0 { "behind" } else { "ahead of" };
    format!("{amount} {way}")
}

/// Reads an HTTP `Date` header in the form every server sends
/// (IMF-fixdate of RFC 9110: `Sun, 06 Nov 1994 08:49:37 GMT`) as Unix
/// seconds. The obsolete forms are not read: a header in one of them
/// measures nothing.
pub fn parse_http_date(text: &str) -> Option<u64> {
    let parts: Vec<&str> = text.trim().split(' ').collect();
    let [weekday, day, month, year, time, "GMT"] = parts[..] else {
        return None;
    };
    const WEEKDAYS: [&str; 7] = ["Thu,", "Fri,", "Sat,", "Sun,", "Mon,", "Tue,", "Wed,"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let number = |s: &str, len: usize| -> Option<u64> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let day = number(day, 2)?;
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let year = number(year, 4)?;
    let hms: Vec<&str> = time.split(':').collect();
    let [h, m, s] = hms[..] else { return None };
    let (h, m, s) = (number(h, 2)?, number(m, 2)?, number(s, 2)?);
    if year < 1970 || day == 0 || day > days_in_month(year, month) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_since_epoch(year, month, day);
    // The weekday must agree: a header that contradicts itself is no date.
    if WEEKDAYS[(days % 7) as usize] != weekday {
        return None;
    }
    Some(days * 86_400 + h * 3600 + m * 60 + s.min(59))
}

fn leap(year: u64) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given date (year ≥ 1970).
fn days_since_epoch(year: u64, month: u64, day: u64) -> u64 {
    let years: u64 = (1970..year).map(|y| if leap(y) { 366 } else { 365 }).sum();
    let months: u64 = (1..month).map(|m| days_in_month(year, m)).sum();
    years + months + day - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::token::AwsContext;

    const T: u64 = 1_765_000_000;

    fn sample(date: u64, sent_ms: u64, received_ms: u64) -> Sample {
        Sample {
            date,
            sent_ms,
            received_ms,
        }
    }

    fn offset(offset_ms: i64, measured: u64) -> ClockOffset {
        ClockOffset {
            offset_ms,
            error_ms: 600,
            measured,
        }
    }

    #[test]
    fn dates_read_as_servers_write_them() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Sun, 06 Dec 2026 09:21:40 GMT"),
            Some(1_796_548_900)
        );
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 23:59:59 GMT"),
            Some(1_835_481_599)
        );
    }

    #[test]
    fn dates_in_other_forms_or_impossible_are_refused() {
        for bad in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Mon, 06 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Thu, 29 Feb 2027 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 +8:49:37 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_sample_gives_the_middle_of_what_it_allows() {
        // Sent at T + 0.1 s, answered at T + 0.3 s, the server said T + 120:
        // the server's time was in [T+120, T+121), ours in [T+0.1, T+0.3].
        let o = sample(T + 120, T * 1000 + 100, T * 1000 + 300)
            .offset()
            .unwrap();
        assert_eq!(o.offset_ms, 120_300);
        assert_eq!(o.error_ms, 600);
        assert_eq!(o.measured, T);
        assert_eq!(o.seconds(), 120);
        // A clock ahead of AWS's gives a negative offset.
        let behind = sample(T - 45, T * 1000, T * 1000 + 40).offset().unwrap();
        assert_eq!(behind.offset_ms, -44_520);
        assert_eq!(behind.seconds(), -45);
    }

    #[test]
    fn slow_or_backward_samples_give_nothing() {
        assert_eq!(
            sample(T, T * 1000, T * 1000 + 2001).offset(),
            Err(SampleError::TooSlow(2001))
        );
        assert!(sample(T, T * 1000, T * 1000 + 2000).offset().is_ok());
        assert_eq!(
            sample(T, T * 1000 + 1, T * 1000).offset(),
            Err(SampleError::Backwards)
        );
    }

    #[test]
    fn only_recent_offsets_of_a_few_seconds_to_ten_minutes_are_used() {
        let at = |ms| offset(ms, T).standing(T + 10);
        assert_eq!(at(2_499), Standing::Small);
        assert_eq!(at(-2_499), Standing::Small);
        assert_eq!(at(2_500), Standing::Used);
        assert_eq!(at(-3_000), Standing::Used);
        assert_eq!(at(600_000), Standing::Used);
        assert_eq!(at(600_500), Standing::Absurd);
        assert_eq!(at(-7_200_000), Standing::Absurd);
        assert_eq!(offset(120_000, T).used(T + 10), 120);
        assert_eq!(offset(-120_000, T).used(T + 10), -120);
        assert_eq!(offset(2_000, T).used(T + 10), 0);
        assert_eq!(offset(900_000, T).used(T + 10), 0);
        // Recent: within the hour after the measurement, never before it.
        assert_eq!(offset(120_000, T).standing(T + RECENT_SECS), Standing::Used);
        assert_eq!(
            offset(120_000, T).standing(T + RECENT_SECS + 1),
            Standing::Stale
        );
        assert_eq!(offset(120_000, T).standing(T - 1), Standing::Stale);
        assert_eq!(offset(120_000, T).used(T - 1), 0);
        // An absurd offset stays absurd, however old.
        assert_eq!(
            offset(7_200_000, T).standing(T + 10 * RECENT_SECS),
            Standing::Absurd
        );
    }

    #[test]
    fn a_measurement_is_written_when_it_tells_something_new() {
        let old = offset(120_000, T);
        assert!(offset(120_000, T).replaces(None));
        // Within the new measurement's error (600 ms) of the record, which
        // is under ten minutes old: nothing that matters changes.
        assert!(!offset(120_000, T + 60).replaces(Some(&old)));
        assert!(!offset(120_600, T + 60).replaces(Some(&old)));
        assert!(!offset(119_400, T + REFRESH_SECS - 1).replaces(Some(&old)));
        assert!(offset(120_601, T + 60).replaces(Some(&old)));
        assert!(offset(119_399, T + 60).replaces(Some(&old)));
        // A vaguer measurement tells less: its wider error covers more.
        let vague = ClockOffset {
            error_ms: 1_500,
            ..offset(121_400, T + 60)
        };
        assert!(!vague.replaces(Some(&old)));
        assert!(offset(0, T + 60).replaces(Some(&old)));
        assert!(offset(120_000, T + REFRESH_SECS).replaces(Some(&old)));
        assert!(offset(120_000, T - 1).replaces(Some(&old)));
    }

    #[test]
    fn a_fill_waits_for_the_page_only_without_a_recent_record() {
        let measure_and_wait = PageClock {
            measure: true,
            wait: true,
        };
        assert_eq!(page_clock(None, T), measure_and_wait);
        // Recent, whatever it says: the fill goes ahead; the page measures
        // again once the record is a minute old.
        for ms in [0, 120_000, -45_000, 7_200_000] {
            let record = offset(ms, T);
            let at = |now| page_clock(Some(&record), now);
            assert_eq!(
                at(T + REMEASURE_SECS - 1),
                PageClock {
                    measure: false,
                    wait: false
                },
                "{ms}"
            );
            assert_eq!(
                at(T + REMEASURE_SECS),
                PageClock {
                    measure: true,
                    wait: false
                }
            );
            assert_eq!(
                at(T + RECENT_SECS),
                PageClock {
                    measure: true,
                    wait: false
                }
            );
            // Stale, or measured after now (a clock set back): as if none.
            assert_eq!(at(T + RECENT_SECS + 1), measure_and_wait);
            assert_eq!(at(T - 1), measure_and_wait);
        }
    }

    #[test]
    fn offsets_in_words() {
        assert_eq!(describe(120), "2 min ahead of");
        assert_eq!(describe(-40), "40 s behind");
        assert_eq!(describe(125), "2 min 5 s ahead of");
        assert_eq!(describe(-7260), "2 h 1 min behind");
    }

    #[test]
    fn only_aws_tokens_move_and_only_by_their_partitions_offset() {
        let mut clocks = Clocks::new();
        clocks.insert("aws-cn".into(), offset(120_000, T));
        clocks.insert("aws".into(), offset(1_000, T));
        let secret = || Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let mut cn = Token::new("Amazon Web Services", "a@1", secret());
        cn.aws = Some(AwsContext {
            partition: Partition::AwsCn,
            ..AwsContext::default()
        });
        let mut commercial = cn.clone();
        commercial.aws.as_mut().unwrap().partition = Partition::Aws;
        let mut gov = cn.clone();
        gov.aws.as_mut().unwrap().partition = Partition::AwsUsGov;
        let other = Token::new("GitHub", "octocat", secret());
        assert_eq!(used_for(&clocks, &cn, T + 5), 120);
        assert_eq!(used_for(&clocks, &commercial, T + 5), 0);
        assert_eq!(used_for(&clocks, &gov, T + 5), 0);
        assert_eq!(used_for(&clocks, &other, T + 5), 0);
        let at = CodeTime::of(&clocks, &cn, T + 5);
        assert_eq!((at.now(), at.local(T + 125)), (T + 125, T + 5));
        assert_eq!(CodeTime::of(&clocks, &other, T + 5).now(), T + 5);
        assert_eq!(shift(T, 120), T + 120);
        assert_eq!(shift(T, -120), T - 120);
        assert_eq!(shift(5, -120), 0);
    }
}
