//! Merging two copies of one vault (`docs/vault.md` §7.2), and the
//! bookkeeping every write does so that removals can later be forgotten
//! safely. Pure functions of [`VaultData`]: no files, no keys, no clock.
//!
//! The rules, per token id:
//!
//! * a token or removal (tombstone) present on one side only is kept;
//! * of two versions of a token, the one changed last (`updated`) wins; at
//!   the same second, a fixed order of their contents decides, so merging
//!   either way gives the same vault;
//! * a removal wins over a version changed at or before the removal, and
//!   loses to one changed after it (an edit made after the removal, on a
//!   machine that had not heard of it, brings the token back);
//! * an HOTP token keeps the higher counter of the two versions, whichever
//!   wins, so a code handed out on either machine is never handed out again;
//!   the fill ledger keeps the later time step of each token;
//! * the offset of AWS's clock of each partition (`crate::clock`) is the
//!   one measured later;
//! * two removals of one token keep the later time and the machines that
//!   have seen either.
//!
//! Merging is commutative, associative and idempotent on the contents
//! (property tests in `tests`); only the order of tokens follows the copy
//! merged into.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use super::data::{Tombstone, VaultData};
use crate::clock::{ClockOffset, Clocks};
use crate::token::{Kind, Token};

/// How long a removal is remembered at least, in seconds (180 days). After
/// that it is forgotten once every machine the vault knows has seen it.
pub const TOMBSTONE_KEEP_SECS: u64 = 180 * 24 * 60 * 60;

/// What one side of a merge brought that the other side lacked.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Taken {
    /// Tokens only this side had (labels).
    pub added: Vec<String>,
    /// Tokens this side had changed later (labels).
    pub edited: Vec<String>,
    /// Tokens this side had removed, live on the other side (labels).
    pub removed: Vec<String>,
    /// HOTP tokens whose counter this side had further on (labels).
    pub counters: Vec<String>,
    /// Tokens whose fill record this side had later.
    pub fills: usize,
}

impl Taken {
    /// Whether this side brought nothing.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.edited.is_empty()
            && self.removed.is_empty()
            && self.counters.is_empty()
            && self.fills == 0
    }
}

/// What [`VaultData::merge`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MergeReport {
    /// What the merged-in copy brought to this one.
    pub theirs: Taken,
    /// What this copy had that the merged-in one lacked (kept).
    pub ours: Taken,
    /// Tokens only the merged-in copy had, changed before removals this
    /// vault has forgotten (`pruned_until`): kept, because they may be new
    /// there, but they may be tokens removed long ago (labels).
    pub maybe_removed_long_ago: Vec<String>,
}

/// One side's state of a token id.
enum State<'a> {
    Live(&'a Token),
    Dead(&'a Tombstone),
}

impl VaultData {
    /// Merges `theirs`, another copy of this vault, into this one, by the
    /// rules of the module documentation; returns what each side brought.
    pub fn merge(&mut self, theirs: VaultData) -> MergeReport {
        // Every field is named, so that a new one cannot be forgotten here.
        let VaultData {
            tokens: their_tokens,
            tombstones: their_tombstones,
            fills: their_fills,
            machines: their_machines,
            pruned_until: their_pruned_until,
            clock: their_clock,
        } = theirs;
        let mut report = MergeReport::default();

        let ours_by_id = states(&self.tokens, &self.tombstones);
        let theirs_by_id = states(&their_tokens, &their_tombstones);
        let ids: BTreeSet<Uuid> = ours_by_id
            .keys()
            .chain(theirs_by_id.keys())
            .copied()
            .collect();

        // The merged token for each id whose winner is a token, and the
        // merged tombstones.
        let mut live: BTreeMap<Uuid, Token> = BTreeMap::new();
        let mut dead: Vec<Tombstone> = Vec::new();
        for id in &ids {
            match (ours_by_id.get(id), theirs_by_id.get(id)) {
                (Some(State::Live(a)), None) => {
                    report.ours.added.push(a.label());
                    live.insert(*id, (*a).clone());
                }
                (None, Some(State::Live(b))) => {
                    report.theirs.added.push(b.label());
                    if b.updated <= self.pruned_until {
                        report.maybe_removed_long_ago.push(b.label());
                    }
                    live.insert(*id, (*b).clone());
                }
                (Some(State::Dead(a)), None) => dead.push((*a).clone()),
                (None, Some(State::Dead(b))) => dead.push((*b).clone()),
                (Some(State::Live(a)), Some(State::Live(b))) => {
                    let (winner, taken, loser_taken) = match newer(a, b) {
                        Ordering::Less => (b, &mut report.theirs, &mut report.ours),
                        _ => (a, &mut report.ours, &mut report.theirs),
                    };
                    if a != b {
                        taken.edited.push(winner.label());
                    }
                    let mut token = (*winner).clone();
                    let (wc, lc) = (hotp_counter(winner), hotp_counter(other(winner, a, b)));
                    if let (Some(wc), Some(lc)) = (wc, lc)
                        && lc > wc
                    {
                        loser_taken.counters.push(token.label());
                        token.kind = Kind::Hotp { counter: lc };
                    }
                    live.insert(*id, token);
                }
                (Some(State::Live(a)), Some(State::Dead(b))) => {
                    if b.deleted >= a.updated {
                        report.theirs.removed.push(a.label());
                        dead.push((*b).clone());
                    } else {
                        report.ours.edited.push(a.label());
                        live.insert(*id, (*a).clone());
                    }
                }
                (Some(State::Dead(a)), Some(State::Live(b))) => {
                    if a.deleted >= b.updated {
                        report.ours.removed.push(b.label());
                        dead.push((*a).clone());
                    } else {
                        report.theirs.edited.push(b.label());
                        live.insert(*id, (*b).clone());
                    }
                }
                (Some(State::Dead(a)), Some(State::Dead(b))) => {
                    let mut seen = a.seen.clone();
                    seen.extend(b.seen.iter().copied());
                    dead.push(Tombstone {
                        id: *id,
                        deleted: a.deleted.max(b.deleted),
                        seen,
                    });
                }
                (None, None) => {}
            }
        }

        // Tokens in this copy's order, then those new from the other copy
        // in theirs.
        let mut tokens = Vec::with_capacity(live.len());
        for token in self.tokens.iter().chain(&their_tokens) {
            if let Some(merged) = live.remove(&token.id) {
                tokens.push(merged);
            }
        }
        dead.sort_by_key(|t| t.id);

        let mut fills = std::mem::take(&mut self.fills);
        let (ours_later, theirs_later) = merge_fills(&mut fills, their_fills);
        report.ours.fills += ours_later;
        report.theirs.fills += theirs_later;
        let live_ids: BTreeSet<Uuid> = tokens.iter().map(|t| t.id).collect();
        fills.retain(|id, _| live_ids.contains(id));
        merge_clocks(&mut self.clock, their_clock);

        for (machine, at) in their_machines {
            let ours = self.machines.entry(machine).or_insert(0);
            *ours = (*ours).max(at);
        }
        self.tokens = tokens;
        self.tombstones = dead;
        self.fills = fills;
        self.pruned_until = self.pruned_until.max(their_pruned_until);
        report
    }

    /// Combines what a ledger file records (`super::ledger_file`) into
    /// this content, by the rules of [`VaultData::merge`]: per token the
    /// later time step, per partition the later clock measurement.
    pub(crate) fn take_recorded(&mut self, recorded: super::ledger_file::Recorded) {
        merge_fills(&mut self.fills, recorded.fills);
        merge_clocks(&mut self.clock, recorded.clock);
    }

    /// Records that `machine` writes this content at time `now` (Unix
    /// seconds): the machine is known to the vault, and it has seen every
    /// removal here. Then forgets removals older than
    /// [`TOMBSTONE_KEEP_SECS`] that every known machine has seen, and
    /// returns how many it forgot.
    ///
    /// Why this is safe: a machine that has seen a removal wrote a copy
    /// holding it, and every later copy it writes holds it too (its writes
    /// start from its current file, and an older file put back is refused
    /// as a rollback), so merging any of them cannot bring the token back.
    /// What it cannot know is a copy no machine it knows has written — a
    /// copy made and never merged since: `merge` reports tokens from such a
    /// copy that are older than the removals forgotten.
    pub fn record_write(&mut self, machine: Uuid, now: u64) -> usize {
        let at = self.machines.entry(machine).or_insert(0);
        *at = (*at).max(now);
        for tombstone in &mut self.tombstones {
            tombstone.seen.insert(machine);
        }
        let machines = &self.machines;
        let before = self.tombstones.len();
        let mut pruned_until = self.pruned_until;
        self.tombstones.retain(|t| {
            let old = t.deleted.saturating_add(TOMBSTONE_KEEP_SECS) <= now;
            let everywhere = machines.keys().all(|m| t.seen.contains(m));
            if old && everywhere {
                pruned_until = pruned_until.max(t.deleted);
                false
            } else {
                true
            }
        });
        self.pruned_until = pruned_until;
        before - self.tombstones.len()
    }
}

/// Merges the fill record `theirs` into `ours`: per token the later time
/// step. Returns how many tokens' steps `ours` had later and how many
/// `theirs` brought.
fn merge_fills(ours: &mut BTreeMap<Uuid, u64>, theirs: BTreeMap<Uuid, u64>) -> (usize, usize) {
    let ours_later = ours
        .iter()
        .filter(|(id, step)| theirs.get(id).is_none_or(|t| t < step))
        .count();
    let mut theirs_later = 0;
    for (id, step) in theirs {
        if ours.get(&id).is_none_or(|o| *o < step) {
            ours.insert(id, step);
            theirs_later += 1;
        }
    }
    (ours_later, theirs_later)
}

/// Merges the clock offsets `theirs` into `ours`: per partition the one
/// measured later ([`is_later`]).
pub(super) fn merge_clocks(
    ours: &mut Clocks,
    theirs: impl IntoIterator<Item = (String, ClockOffset)>,
) {
    for (partition, offset) in theirs {
        let kept = ours.entry(partition).or_insert(offset);
        if is_later(&offset, kept) {
            *kept = offset;
        }
    }
}

/// Whether merging keeps clock offset `a` over `b`: it was measured later
/// (ties broken by the values, so that merging either way gives the same).
pub(super) fn is_later(a: &ClockOffset, b: &ClockOffset) -> bool {
    let key = |o: &ClockOffset| (o.measured, o.offset_ms, o.error_ms);
    key(a) > key(b)
}

/// Each id's state on one side.
fn states<'a>(tokens: &'a [Token], tombstones: &'a [Tombstone]) -> BTreeMap<Uuid, State<'a>> {
    let mut out = BTreeMap::new();
    for t in tombstones {
        out.insert(t.id, State::Dead(t));
    }
    // A token and a tombstone never share an id; if a damaged copy had
    // both, the token counts.
    for t in tokens {
        out.insert(t.id, State::Live(t));
    }
    out
}

/// The HOTP counter of a token, `None` for time-based ones.
fn hotp_counter(token: &Token) -> Option<u64> {
    match token.kind {
        Kind::Hotp { counter } => Some(counter),
        _ => None,
    }
}

/// Of `a` and `b`, the one that is not `winner`.
fn other<'a>(winner: &Token, a: &'a Token, b: &'a Token) -> &'a Token {
    if std::ptr::eq(winner, a) { b } else { a }
}

/// Which of two versions of a token is newer: the later `updated`, then a
/// fixed order of their contents (so that the choice does not depend on
/// which side is which).
fn newer(a: &Token, b: &Token) -> Ordering {
    a.updated.cmp(&b.updated).then_with(|| {
        let meta = |t: &Token| serde_json::Value::Object(t.metadata()).to_string();
        meta(a)
            .cmp(&meta(b))
            .then_with(|| a.secret.expose().cmp(b.secret.expose()))
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::secret::Secret;

    /// Start of the simulated clock: far from 0, like real times.
    const T0: u64 = 1_700_000_000;

    /// An edit made on one copy, at the copy's clock.
    #[derive(Debug, Clone)]
    enum Edit {
        /// A new token (HOTP when the flag is set).
        Add(u8, bool),
        /// The n-th live token (modulo) gets a new account.
        Rename(usize, u8),
        /// The n-th live token is removed.
        Remove(usize),
        /// The n-th live token hands out a code: HOTP advances its counter,
        /// others record a fill time step.
        Use(usize, u8),
        /// The copy is written by its machine.
        Write,
        /// Time passes (seconds, or 0 to stay within the same second).
        Wait(u8),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (any::<u8>(), any::<bool>()).prop_map(|(n, h)| Edit::Add(n, h)),
            (any::<usize>(), any::<u8>()).prop_map(|(i, n)| Edit::Rename(i, n)),
            any::<usize>().prop_map(Edit::Remove),
            (any::<usize>(), 1..5u8).prop_map(|(i, n)| Edit::Use(i, n)),
            Just(Edit::Write),
            (0..3u8).prop_map(Edit::Wait),
        ]
    }

    /// A copy of the vault on one machine, with its clock.
    #[derive(Clone)]
    struct Copy {
        data: VaultData,
        machine: Uuid,
        now: u64,
    }

    fn token(n: u8, hotp: bool, now: u64) -> Token {
        let mut t = Token::new(
            format!("Issuer {n}"),
            "me",
            Secret::from_bytes(vec![n; 20]).unwrap(),
        );
        if hotp {
            t.kind = Kind::Hotp { counter: 0 };
        }
        t.created = now;
        t.updated = now;
        t
    }

    fn apply(copy: &mut Copy, edit: &Edit) {
        let now = copy.now;
        let live = copy.data.tokens.len();
        match *edit {
            Edit::Add(n, hotp) => {
                copy.data.add_new(token(n, hotp, now));
            }
            Edit::Rename(i, n) if live > 0 => {
                let t = &mut copy.data.tokens[i % live];
                t.account = format!("account {n}");
                t.updated = t.updated.max(now);
            }
            Edit::Remove(i) if live > 0 => {
                let id = copy.data.tokens[i % live].id;
                copy.data.remove(id);
                copy.data.tombstones.last_mut().unwrap().deleted = now;
            }
            Edit::Use(i, n) if live > 0 => {
                let t = &mut copy.data.tokens[i % live];
                match &mut t.kind {
                    Kind::Hotp { counter } => *counter += u64::from(n),
                    _ => {
                        let step = now / 30 + u64::from(n);
                        let fill = copy.data.fills.entry(t.id).or_insert(0);
                        *fill = (*fill).max(step);
                    }
                }
            }
            Edit::Write => {
                copy.data.record_write(copy.machine, now);
            }
            Edit::Wait(s) => copy.now += u64::from(s),
            _ => {}
        }
    }

    /// The contents, with the tokens in a fixed order (merging keeps the
    /// order of the copy merged into).
    fn canonical(data: &VaultData) -> VaultData {
        let mut data = data.clone();
        data.tokens.sort_by_key(|t| t.id);
        data.tombstones.sort_by_key(|t| t.id);
        data
    }

    fn same(a: &VaultData, b: &VaultData) -> bool {
        let (a, b) = (canonical(a), canonical(b));
        let VaultData {
            tokens,
            tombstones,
            fills,
            machines,
            pruned_until,
            clock,
        } = &a;
        *tokens == b.tokens
            && *tombstones == b.tombstones
            && *fills == b.fills
            && *machines == b.machines
            && *pruned_until == b.pruned_until
            && *clock == b.clock
    }

    fn merged(a: &VaultData, b: &VaultData) -> VaultData {
        let mut out = a.clone();
        out.merge(b.clone());
        out
    }

    /// A shared start (some tokens, written once), then each copy's edits.
    fn two_copies(base: &[Edit], left: &[Edit], right: &[Edit], skew: u8) -> (Copy, Copy) {
        let mut start = Copy {
            data: VaultData::default(),
            machine: Uuid::from_u128(1),
            now: T0,
        };
        for e in base {
            apply(&mut start, e);
        }
        apply(&mut start, &Edit::Write);
        let mut a = start.clone();
        let mut b = Copy {
            machine: Uuid::from_u128(2),
            now: start.now + u64::from(skew),
            ..start
        };
        for e in left {
            apply(&mut a, e);
        }
        for e in right {
            apply(&mut b, e);
        }
        (a, b)
    }

    #[test]
    fn the_later_measurement_of_aws_clock_wins_either_way() {
        let offset = |offset_ms, measured| ClockOffset {
            offset_ms,
            error_ms: 600,
            measured,
        };
        let mut a = VaultData::default();
        a.clock.insert("aws".into(), offset(120_000, T0));
        a.clock.insert("aws-cn".into(), offset(5_000, T0 + 10));
        let mut b = VaultData::default();
        b.clock.insert("aws".into(), offset(1_000, T0 + 60));
        b.clock.insert("aws-cn".into(), offset(9_000, T0));
        b.clock.insert("aws-us-gov".into(), offset(-3_000, T0));
        let (ab, ba) = (merged(&a, &b), merged(&b, &a));
        assert!(same(&ab, &ba));
        assert_eq!(ab.clock["aws"], offset(1_000, T0 + 60));
        assert_eq!(ab.clock["aws-cn"], offset(5_000, T0 + 10));
        assert_eq!(ab.clock["aws-us-gov"], offset(-3_000, T0));
        // At the same second the values decide, the same either way.
        b.clock.insert("aws".into(), offset(2_000, T0));
        assert!(same(&merged(&a, &b), &merged(&b, &a)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any edits on two copies, merged either way, give the same
        /// vault; merging is idempotent; nothing committed on either side
        /// is lost: a token stays unless a removal at or after its last
        /// change says otherwise, and counters and fill records never go
        /// back.
        #[test]
        fn merging_either_way_gives_the_same_vault_and_loses_nothing(
            base in prop::collection::vec(edit(), 0..8),
            left in prop::collection::vec(edit(), 0..16),
            right in prop::collection::vec(edit(), 0..16),
            skew in 0..4u8,
        ) {
            let (a, b) = two_copies(&base, &left, &right, skew);
            let ab = merged(&a.data, &b.data);
            let ba = merged(&b.data, &a.data);
            prop_assert!(same(&ab, &ba), "merge is not commutative");
            prop_assert!(same(&merged(&ab, &a.data), &ab), "merging again changed it");
            prop_assert!(same(&merged(&ab, &ab), &ab), "merging with itself changed it");
            for side in [&a.data, &b.data] {
                for t in &side.tokens {
                    match ab.get(t.id) {
                        Some(kept) => {
                            prop_assert!(kept.updated >= t.updated);
                            if let (Some(k), Some(c)) = (hotp_counter(kept), hotp_counter(t)) {
                                prop_assert!(k >= c, "an HOTP counter went back");
                            }
                            if let Some(step) = side.fills.get(&t.id) {
                                prop_assert!(ab.fills.get(&t.id) >= Some(step), "a fill went back");
                            }
                        }
                        None => prop_assert!(
                            ab.tombstones.iter().any(|d| d.id == t.id && d.deleted >= t.updated),
                            "a token was lost without a later removal"
                        ),
                    }
                }
                for d in &side.tombstones {
                    prop_assert!(
                        ab.tombstones.iter().any(|m| m.id == d.id && m.deleted >= d.deleted)
                            || ab.get(d.id).is_some_and(|t| t.updated > d.deleted),
                        "a removal was lost without a later edit"
                    );
                }
            }
            prop_assert!(ab.tombstones.iter().all(|d| ab.get(d.id).is_none()));
            prop_assert!(ab.fills.keys().all(|id| ab.get(*id).is_some()));
        }

        /// Three copies merged in any grouping give the same vault.
        #[test]
        fn merging_is_associative(
            base in prop::collection::vec(edit(), 0..6),
            left in prop::collection::vec(edit(), 0..10),
            right in prop::collection::vec(edit(), 0..10),
            third in prop::collection::vec(edit(), 0..10),
        ) {
            let (a, b) = two_copies(&base, &left, &right, 1);
            let (_, mut c) = two_copies(&base, &[], &third, 2);
            c.machine = Uuid::from_u128(3);
            let one = merged(&merged(&a.data, &b.data), &c.data);
            let two = merged(&a.data, &merged(&b.data, &c.data));
            prop_assert!(same(&one, &two));
        }

        /// A removal forgotten after both machines saw it is not brought
        /// back by merging any later copy of either machine.
        #[test]
        fn a_forgotten_removal_is_not_resurrected(
            base in prop::collection::vec(edit(), 1..8),
            after in prop::collection::vec(edit(), 0..10),
        ) {
            let (mut a, mut b) = two_copies(&base, &[], &[], 0);
            prop_assume!(!a.data.tokens.is_empty());
            let gone = a.data.tokens[0].id;
            apply(&mut a, &Edit::Remove(0));
            apply(&mut a, &Edit::Write);
            // B hears of the removal and writes; A hears that B has.
            b.data.merge(a.data.clone());
            apply(&mut b, &Edit::Write);
            a.data.merge(b.data.clone());
            // Long after, A writes and forgets the removal.
            a.now += TOMBSTONE_KEEP_SECS + 1;
            apply(&mut a, &Edit::Write);
            prop_assert!(a.data.tombstones.iter().all(|t| t.id != gone), "not forgotten");
            prop_assert!(a.data.pruned_until > 0);
            // B's later copies (its own edits, none of the forgotten token).
            b.now = a.now;
            for e in &after {
                apply(&mut b, e);
            }
            let report = a.data.merge(b.data.clone());
            prop_assert!(a.data.get(gone).is_none(), "brought back");
            prop_assert!(report.maybe_removed_long_ago.is_empty());
        }
    }

    /// A machine that has not written a copy holding the removal holds it
    /// back from being forgotten: its older copy still has the token.
    #[test]
    fn a_removal_is_kept_until_every_machine_has_seen_it() {
        let (mut a, mut b) = two_copies(&[Edit::Add(1, false)], &[], &[], 0);
        let id = a.data.tokens[0].id;
        // B writes (so A will know of it) before hearing of the removal.
        apply(&mut b, &Edit::Write);
        a.data.merge(b.data.clone());
        apply(&mut a, &Edit::Remove(0));
        apply(&mut a, &Edit::Write);
        a.now += TOMBSTONE_KEEP_SECS + 1;
        assert_eq!(
            a.data.record_write(a.machine, a.now),
            0,
            "B has not seen it"
        );
        // B's old copy merged now: the removal still wins.
        a.data.merge(b.data.clone());
        assert!(a.data.get(id).is_none());
        // Once B has written a copy holding it, A may forget it.
        b.data.merge(a.data.clone());
        apply(&mut b, &Edit::Write);
        a.data.merge(b.data.clone());
        assert_eq!(a.data.record_write(a.machine, a.now), 1);
        assert!(a.data.tombstones.is_empty());
    }

    /// What each side brought is reported, labels included.
    #[test]
    fn the_report_names_what_each_side_brought() {
        let (mut a, mut b) = two_copies(
            &[Edit::Add(1, false), Edit::Add(2, true), Edit::Add(3, false)],
            &[],
            &[],
            1,
        );
        apply(&mut a, &Edit::Add(4, false));
        apply(&mut b, &Edit::Remove(0));
        apply(&mut b, &Edit::Rename(0, 9));
        apply(&mut a, &Edit::Use(1, 3));
        let report = a.data.merge(b.data.clone());
        assert_eq!(report.ours.added, vec!["Issuer 4 (me)".to_string()]);
        assert_eq!(report.theirs.removed, vec!["Issuer 1 (me)".to_string()]);
        assert_eq!(
            report.theirs.edited,
            vec!["Issuer 2 (account 9)".to_string()]
        );
        assert_eq!(
            report.ours.counters,
            vec!["Issuer 2 (account 9)".to_string()]
        );
        assert!(report.theirs.added.is_empty());
        let hotp = a
            .data
            .tokens
            .iter()
            .find(|t| t.issuer == "Issuer 2")
            .unwrap();
        assert_eq!(hotp.account, "account 9");
        assert_eq!(hotp.kind, Kind::Hotp { counter: 3 });
    }
}
