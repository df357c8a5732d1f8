//! The ledger of handed-out codes: the rules that keep FactorCat from
//! handing out a code a site has already seen or will soon reject, shared
//! by every front end (browser fills, enrolment and resync codes, and the
//! command line's fresh codes).
//!
//! * A time-based code is handed out with at least [`MIN_SECONDS_LEFT`]
//!   seconds of its window left, so that it is still valid when the person
//!   or the page submits it.
//! * A time step is handed out at most once per token. The ledger keeps,
//!   per token, the last step handed out ([`VaultData::fills`]); every
//!   step up to it counts as spent, since time only moves on, so one number
//!   per token is all the record there is.
//! * Where the current step is spent or stale, the next free one is handed
//!   out ahead of time, together with the wait until it is valid; how far
//!   ahead a caller may reach is its [`Reach`].
//! * An HOTP code advances the counter once per code.
//!
//! Every change happens on the [`VaultData`] a caller got from
//! [`crate::vault::Vault::update`], so it is recorded under the vault's
//! exclusive lock before the code leaves the process: two callers at the
//! same moment get different steps, and a code that could not be recorded is
//! never handed out.

use uuid::Uuid;

use crate::error::ErrorCode;
use crate::token::Kind;
use crate::vault::VaultData;

/// A code with fewer seconds left than this is never handed out.
pub const MIN_SECONDS_LEFT: u64 = 5;

/// How far ahead a caller may take a time step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The current or the next step, no further (browser fills: the page
    /// waits for a code that is not valid yet, so it must not wait long).
    NextStep,
    /// Any step that becomes valid within one period and
    /// [`MIN_SECONDS_LEFT`] (a fresh code on the command line, which waits
    /// for it): enough to pass a spent step and a stale one.
    Waiting,
    /// Only a step that is valid now (a fresh code on the command line
    /// that must not wait).
    Now,
}

impl Reach {
    /// The longest wait, in seconds, for a step of `period` seconds.
    fn max_wait(self, period: u64) -> u64 {
        match self {
            // The next step starts at most one period from now, the one
            // after it more than a period from now.
            Reach::NextStep => period,
            Reach::Waiting => period.saturating_add(MIN_SECONDS_LEFT),
            Reach::Now => 0,
        }
    }
}

/// A time step handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The step number (Unix time divided by the period).
    pub number: u64,
    /// The token's period, in seconds.
    pub period: u64,
}

impl Step {
    /// The step of `period` seconds that `now` falls in.
    pub fn at(now: u64, period: u64) -> Step {
        let period = period.max(1);
        Step {
            number: now / period,
            period,
        }
    }

    /// When the step's code becomes valid, Unix seconds.
    pub fn valid_from(&self) -> u64 {
        self.number.saturating_mul(self.period)
    }

    /// When the step's code stops being valid, Unix seconds.
    pub fn valid_until(&self) -> u64 {
        self.valid_from().saturating_add(self.period)
    }

    /// Seconds from `now` until the code is valid (0 when it is).
    pub fn wait(&self, now: u64) -> u64 {
        self.valid_from().saturating_sub(now)
    }

    /// The step after this one.
    pub fn next(&self) -> Step {
        Step {
            number: self.number.saturating_add(1),
            period: self.period,
        }
    }
}

/// Why no code was handed out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// No live token has this id (removed meanwhile).
    #[error("no token has the id {0}")]
    UnknownToken(Uuid),
    /// Every step within the caller's reach was handed out already.
    #[error(
        "the codes of this token that are valid soon enough were already handed out, and sites reject a code used twice"
    )]
    Spent {
        /// Seconds until a step is within reach again (at least 1).
        retry_after: u64,
    },
    /// No step is valid now ([`Reach::Now`]): the current one was handed
    /// out already or has fewer than [`MIN_SECONDS_LEFT`] seconds left.
    #[error(
        "no fresh code of this token is valid now (the current one was already handed out or has less than {MIN_SECONDS_LEFT} s left); the next is valid in {wait} s"
    )]
    NotNow {
        /// Seconds until the first free step is valid.
        wait: u64,
    },
    /// The token is HOTP where a time-based one was expected.
    #[error("this token is counter-based (HOTP); it has no time steps")]
    NotTimeBased,
    /// The token is time-based where an HOTP one was expected.
    #[error("this token is time-based; it has no counter")]
    NotHotp,
    /// The HOTP counter cannot advance any further.
    #[error("this HOTP token's counter is exhausted")]
    CounterExhausted,
}

impl LedgerError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            LedgerError::UnknownToken(_) => ErrorCode::UnknownToken,
            LedgerError::Spent { .. } => ErrorCode::CodeAlreadyUsed,
            LedgerError::NotNow { .. } => ErrorCode::NoFreshCode,
            LedgerError::CounterExhausted => ErrorCode::InvalidToken,
            LedgerError::NotTimeBased | LedgerError::NotHotp => ErrorCode::Internal,
        }
    }
}

/// The first step of `period` seconds that may be handed out at `now`
/// when `last` is the last step handed out: not one with fewer than
/// [`MIN_SECONDS_LEFT`] seconds left, not `last` or one before it, and
/// valid within `reach`.
pub fn first_free(
    last: Option<u64>,
    period: u64,
    now: u64,
    reach: Reach,
) -> Result<Step, LedgerError> {
    let current = Step::at(now, period);
    let period = current.period;
    let mut number = if current.valid_until().saturating_sub(now) < MIN_SECONDS_LEFT {
        current.number.saturating_add(1)
    } else {
        current.number
    };
    if let Some(last) = last
        && last >= number
    {
        number = last.saturating_add(1);
    }
    let step = Step { number, period };
    let max_wait = reach.max_wait(period);
    if step.wait(now) > max_wait {
        if reach == Reach::Now {
            return Err(LedgerError::NotNow {
                wait: step.wait(now),
            });
        }
        let retry_after = step.wait(now) - max_wait;
        return Err(LedgerError::Spent {
            retry_after: retry_after.max(1),
        });
    }
    Ok(step)
}

/// Hands out `count` consecutive steps of the time-based token `id` from
/// the first free one (only the first must be within `reach`) and records
/// them in `data`. Returns the first.
pub fn take_steps(
    data: &mut VaultData,
    id: Uuid,
    now: u64,
    count: u64,
    reach: Reach,
) -> Result<Step, LedgerError> {
    let token = data.get(id).ok_or(LedgerError::UnknownToken(id))?;
    let period = token.kind.period().ok_or(LedgerError::NotTimeBased)?;
    let first = first_free(data.fills.get(&id).copied(), period, now, reach)?;
    let last = first.number.saturating_add(count.max(1) - 1);
    data.fills.insert(id, last);
    Ok(first)
}

/// Hands out `count` codes of the HOTP token `id` and advances its counter
/// by as many. Returns the codes and the counter of the first.
pub fn spend_hotp(
    data: &mut VaultData,
    id: Uuid,
    count: u64,
) -> Result<(Vec<String>, u64), LedgerError> {
    let token = data.get_mut(id).ok_or(LedgerError::UnknownToken(id))?;
    let Kind::Hotp { counter } = token.kind else {
        return Err(LedgerError::NotHotp);
    };
    let next = counter
        .checked_add(count)
        .ok_or(LedgerError::CounterExhausted)?;
    let codes = (counter..next).map(|c| token.hotp_code(c)).collect();
    token.kind = Kind::Hotp { counter: next };
    token.touch();
    Ok((codes, counter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::token::Token;

    const T0: u64 = 1_700_000_020; // 20 s left in its 30 s step

    fn data() -> (VaultData, Uuid, Uuid) {
        let mut data = VaultData::default();
        let secret = || Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let totp = Token::new("Example", "totp", secret());
        let mut hotp = Token::new("Example", "hotp", secret());
        hotp.kind = Kind::Hotp { counter: 7 };
        let (t, h) = (totp.id, hotp.id);
        data.insert(totp);
        data.insert(hotp);
        (data, t, h)
    }

    #[test]
    fn the_current_step_when_it_is_free_and_has_time_left() {
        let step = first_free(None, 30, T0, Reach::NextStep).unwrap();
        assert_eq!(step.number, T0 / 30);
        assert_eq!(step.wait(T0), 0);
        assert_eq!(step.valid_until(), (T0 / 30 + 1) * 30);
    }

    #[test]
    fn a_stale_step_is_skipped() {
        let now = (T0 / 30 + 1) * 30 - (MIN_SECONDS_LEFT - 1);
        let step = first_free(None, 30, now, Reach::NextStep).unwrap();
        assert_eq!(step.number, T0 / 30 + 1);
        assert_eq!(step.wait(now), MIN_SECONDS_LEFT - 1);
        let exactly = (T0 / 30 + 1) * 30 - MIN_SECONDS_LEFT;
        assert_eq!(
            first_free(None, 30, exactly, Reach::NextStep)
                .unwrap()
                .number,
            T0 / 30
        );
    }

    #[test]
    fn fills_reach_the_next_step_and_no_further() {
        let current = T0 / 30;
        let next = first_free(Some(current), 30, T0, Reach::NextStep).unwrap();
        assert_eq!(next.number, current + 1);
        assert_eq!(next.wait(T0), 20);
        assert_eq!(
            first_free(Some(current + 1), 30, T0, Reach::NextStep),
            Err(LedgerError::Spent { retry_after: 20 })
        );
        // A waiting caller reaches one period and five seconds ahead: past
        // a spent next step only when the current one is stale.
        assert_eq!(
            first_free(Some(current + 1), 30, T0, Reach::Waiting),
            Err(LedgerError::Spent { retry_after: 15 })
        );
        let late = (current + 1) * 30 - 3;
        let step = first_free(Some(current + 1), 30, late, Reach::Waiting).unwrap();
        assert_eq!((step.number, step.wait(late)), (current + 2, 33));
        assert!(first_free(Some(current + 1), 30, late, Reach::NextStep).is_err());
    }

    #[test]
    fn now_is_only_a_free_step_with_time_left() {
        let current = T0 / 30;
        let step = first_free(Some(current - 1), 30, T0, Reach::Now).unwrap();
        assert_eq!((step.number, step.wait(T0)), (current, 0));
        assert_eq!(
            first_free(Some(current), 30, T0, Reach::Now),
            Err(LedgerError::NotNow { wait: 20 })
        );
        let stale = (current + 1) * 30 - 2;
        assert_eq!(
            first_free(None, 30, stale, Reach::Now),
            Err(LedgerError::NotNow { wait: 2 })
        );
        assert_eq!(
            LedgerError::NotNow { wait: 2 }.code(),
            ErrorCode::NoFreshCode
        );
    }

    #[test]
    fn taking_records_the_last_step_and_refuses_it_afterwards() {
        let (mut data, t, h) = data();
        let first = take_steps(&mut data, t, T0, 1, Reach::NextStep).unwrap();
        assert_eq!(data.fills[&t], first.number);
        let second = take_steps(&mut data, t, T0, 1, Reach::Waiting).unwrap();
        assert_eq!(second.number, first.number + 1);
        assert!(take_steps(&mut data, t, T0, 1, Reach::Waiting).is_err());
        assert_eq!(data.fills[&t], second.number);

        let gone = Uuid::new_v4();
        let pair = take_steps(&mut data, gone, T0, 2, Reach::NextStep);
        assert_eq!(pair.err(), Some(LedgerError::UnknownToken(gone)));
        assert_eq!(
            take_steps(&mut data, h, T0, 1, Reach::NextStep).err(),
            Some(LedgerError::NotTimeBased)
        );
    }

    #[test]
    fn two_steps_at_once_record_both() {
        let (mut data, t, _) = data();
        let first = take_steps(&mut data, t, T0, 2, Reach::NextStep).unwrap();
        assert_eq!(data.fills[&t], first.number + 1);
        assert_eq!(first.next().number, first.number + 1);
    }

    #[test]
    fn hotp_advances_once_per_code() {
        let (mut data, t, h) = data();
        let (codes, counter) = spend_hotp(&mut data, h, 2).unwrap();
        assert_eq!(counter, 7);
        assert_eq!(codes.len(), 2);
        assert_eq!(data.get(h).unwrap().kind, Kind::Hotp { counter: 9 });
        assert_eq!(codes[0], data.get(h).unwrap().hotp_code(7));
        assert_eq!(
            spend_hotp(&mut data, t, 1).err(),
            Some(LedgerError::NotHotp)
        );
        data.get_mut(h).unwrap().kind = Kind::Hotp { counter: u64::MAX };
        assert_eq!(
            spend_hotp(&mut data, h, 1).err(),
            Some(LedgerError::CounterExhausted)
        );
        assert_eq!(data.get(h).unwrap().kind, Kind::Hotp { counter: u64::MAX });
    }
}
