//! History-based linearizability checking on top of stateright's
//! [`semantics`](stateright::semantics) module.
//!
//! Clients record every operation into a shared [`History`]: [`History::invoke`]
//! just before the request is sent, then exactly one of [`OpHandle::ok`],
//! [`OpHandle::failed`] or [`OpHandle::unknown`] once its fate is known. The
//! order of those events is the real-time order the checker respects: an op
//! must be linearized after every op that returned before it was invoked.
//!
//! [`check_register`] and [`check_counter`] replay the history into a
//! [`LinearizabilityTester`] with a sequential reference object (stateright's
//! [`Register`] for SET/GET of one key, [`Counter`] for INCR/GET) and search
//! for a valid total order.
//!
//! # Outcomes
//!
//! - **ok**: the op took effect exactly once and returned this value.
//! - **failed**: the op definitely did not take effect (the server refused
//!   it). It is dropped from the history entirely.
//! - **unknown** (indeterminate: timeout, connection reset, ...): the op may
//!   or may not have taken effect, at any moment from its invocation on, even
//!   after the client's later ops (the request may still sit in a queue). It
//!   stays *in flight forever*: the tester may linearize it anywhere after
//!   its invocation, or never. A stateright thread may only have one op in
//!   flight, so the client's next op runs under a fresh thread id. An
//!   indeterminate op without side effects (a read) cannot constrain anything
//!   and is simply left out. An op still pending when the history is checked
//!   (or whose handle was dropped) counts as unknown.
//!
//! # Bounds
//!
//! stateright's tester is a plain depth-first search over interleavings:
//! quick to find a linearization when there is one, but it has no memory of
//! where it has been, so refuting a history of a few hundred concurrent ops
//! (all orders of the prefix before the violation) would take astronomically
//! long. The reference object handed to it is therefore wrapped (see
//! `Search`) to add the usual Wing-Gong-Lowe cache: a step into a
//! configuration (set of ops linearized, object state) already explored is
//! refused. With it a 200-op, 4-client history is refuted in well under a
//! second. The worst case stays exponential, so a history holds at most
//! [`MAX_OPS`] ops (keep workloads to a few hundred), and a check gives up
//! after [`CHECK_BUDGET`] of search with an `Err` saying the result is
//! undecided, rather than hanging the test.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashSet};
use std::fmt::{self, Debug, Write as _};
use std::hash::Hash;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use stateright::semantics::register::{self as sr, Register};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester, SequentialSpec};

/// Most ops one [`History`] may hold; [`History::invoke`] panics beyond it.
pub const MAX_OPS: usize = 1000;
/// Default search time of [`check_register`] / [`check_counter`] (and again
/// for narrowing down a violation) before they give up as undecided.
pub const CHECK_BUDGET: Duration = Duration::from_secs(10);
/// Read/write timeout of the workload clients; a reply later than this makes
/// the op indeterminate.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// Connect timeout of the workload clients.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Pause of a workload client after a refused op or a failed connect.
const RETRY_PAUSE: Duration = Duration::from_millis(20);
/// Most configurations the search remembers (each ~100-200 bytes).
const MEMO_MAX: usize = 2_000_000;
/// Most ops listed in a violation report.
const REPORT_MAX_OPS: usize = 120;

/// Identifies a logical client (one connection at a time, one op at a time).
pub type ClientId = usize;

/// An op on a single-key register (SET / GET).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOp {
    Write(u64),
    Read,
}

/// What a [`RegisterOp`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterRet {
    WriteOk,
    /// `None`: the key did not exist.
    ReadOk(Option<u64>),
}

/// An op on a counter key (INCR / GET).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CounterOp {
    Incr,
    Get,
}

/// What a [`CounterOp`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CounterRet {
    /// The value after the increment.
    IncrOk(i64),
    /// `None`: the key did not exist.
    GetOk(Option<i64>),
}

pub type RegisterHistory = History<RegisterOp, RegisterRet>;
pub type CounterHistory = History<CounterOp, CounterRet>;

/// Sequential reference object for INCR/GET on one key that starts absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Counter(pub Option<i64>);

impl SequentialSpec for Counter {
    type Op = CounterOp;
    type Ret = CounterRet;

    fn invoke(&mut self, op: &CounterOp) -> CounterRet {
        match op {
            CounterOp::Incr => {
                let v = self.0.unwrap_or(0).wrapping_add(1);
                self.0 = Some(v);
                CounterRet::IncrOk(v)
            }
            CounterOp::Get => CounterRet::GetOk(self.0),
        }
    }
}

/// How an op ended.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome<Ret> {
    Pending,
    Ok(Ret),
    Failed(Option<String>),
    Unknown(Option<String>),
}

#[derive(Clone, Debug)]
struct OpRecord<Op, Ret> {
    client: ClientId,
    /// stateright thread id: the client's current one at invocation.
    thread: usize,
    op: Op,
    outcome: Outcome<Ret>,
    /// Event number of the invocation.
    inv: usize,
    /// Event number of the completion (any outcome but pending).
    end: Option<usize>,
}

#[derive(Clone, Copy, Debug)]
enum Event {
    Invoke(usize),
    End(usize),
}

#[derive(Debug)]
struct ClientState {
    thread: usize,
    /// Op index of the client's op that has not completed yet.
    pending: Option<usize>,
}

#[derive(Debug)]
struct Inner<Op, Ret> {
    ops: Vec<OpRecord<Op, Ret>>,
    events: Vec<Event>,
    clients: std::collections::BTreeMap<ClientId, ClientState>,
    next_thread: usize,
}

/// A concurrent history of ops on one object, shared by all clients (clone
/// it into each thread). Events are numbered in the order they are recorded.
pub struct History<Op, Ret> {
    inner: Arc<Mutex<Inner<Op, Ret>>>,
}

impl<Op, Ret> Clone for History<Op, Ret> {
    fn clone(&self) -> Self {
        History {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<Op, Ret> Default for History<Op, Ret> {
    fn default() -> Self {
        History {
            inner: Arc::new(Mutex::new(Inner {
                ops: Vec::new(),
                events: Vec::new(),
                clients: Default::default(),
                next_thread: 0,
            })),
        }
    }
}

/// Counts of a history's ops by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HistoryStats {
    pub ops: usize,
    pub ok: usize,
    pub failed: usize,
    pub unknown: usize,
    pub pending: usize,
    pub clients: usize,
    /// stateright threads used (clients plus one per indeterminate op).
    pub threads: usize,
    /// Ops whose request overlapped at least one other op's (invoke to end,
    /// whatever the outcome): how much concurrency the history exercises.
    pub overlapping: usize,
    /// Most ops in flight at once.
    pub max_in_flight: usize,
}

impl fmt::Display for HistoryStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ops ({} ok, {} indeterminate, {} pending, {} failed and dropped) \
             from {} clients on {} threads; {} overlapped another, at most {} at once",
            self.ops,
            self.ok,
            self.unknown,
            self.pending,
            self.failed,
            self.clients,
            self.threads,
            self.overlapping,
            self.max_in_flight
        )
    }
}

/// An invoked op waiting for its outcome. Dropping it without calling one of
/// the outcome methods records the op as indeterminate.
#[must_use = "record the op's outcome with ok / failed / unknown"]
pub struct OpHandle<Op, Ret> {
    history: History<Op, Ret>,
    index: usize,
    done: bool,
}

impl<Op, Ret> History<Op, Ret> {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner<Op, Ret>> {
        // A panicking client thread must not hide the history from the check.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that `client` is about to send `op`. Panics if the client
    /// still has an op in flight (one at a time per client) or the history
    /// already holds [`MAX_OPS`] ops.
    pub fn invoke(&self, client: ClientId, op: Op) -> OpHandle<Op, Ret>
    where
        Op: Debug,
    {
        let mut g = self.lock();
        let inner = &mut *g;
        assert!(
            inner.ops.len() < MAX_OPS,
            "history is full ({MAX_OPS} ops); the checker is exponential, keep workloads small"
        );
        let index = inner.ops.len();
        let next_thread = &mut inner.next_thread;
        let state = inner.clients.entry(client).or_insert_with(|| {
            let thread = *next_thread;
            *next_thread += 1;
            ClientState {
                thread,
                pending: None,
            }
        });
        if let Some(p) = state.pending {
            panic!(
                "client {client} invoked {op:?} while its op #{p} ({:?}) is still in flight",
                inner.ops[p].op
            );
        }
        state.pending = Some(index);
        let thread = state.thread;
        let inv = inner.events.len();
        inner.events.push(Event::Invoke(index));
        inner.ops.push(OpRecord {
            client,
            thread,
            op,
            outcome: Outcome::Pending,
            inv,
            end: None,
        });
        drop(g);
        OpHandle {
            history: self.clone(),
            index,
            done: false,
        }
    }

    fn complete(&self, index: usize, outcome: Outcome<Ret>) {
        let mut g = self.lock();
        let inner = &mut *g;
        let end = inner.events.len();
        inner.events.push(Event::End(index));
        let rec = &mut inner.ops[index];
        debug_assert!(
            matches!(rec.outcome, Outcome::Pending),
            "op completed twice"
        );
        let fresh_thread = matches!(outcome, Outcome::Unknown(_));
        rec.outcome = outcome;
        rec.end = Some(end);
        let client = rec.client;
        let state = inner
            .clients
            .get_mut(&client)
            .expect("an invoked op's client is known");
        state.pending = None;
        if fresh_thread {
            // The op stays in flight on its thread forever; go on elsewhere.
            state.thread = inner.next_thread;
            inner.next_thread += 1;
        }
    }

    /// Number of ops recorded (any outcome).
    pub fn len(&self) -> usize {
        self.lock().ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stats(&self) -> HistoryStats {
        let g = self.lock();
        let mut s = HistoryStats {
            ops: g.ops.len(),
            clients: g.clients.len(),
            threads: g.next_thread,
            ..Default::default()
        };
        for r in &g.ops {
            match r.outcome {
                Outcome::Pending => s.pending += 1,
                Outcome::Ok(_) => s.ok += 1,
                Outcome::Failed(_) => s.failed += 1,
                Outcome::Unknown(_) => s.unknown += 1,
            }
        }
        let mut overlapped = vec![false; g.ops.len()];
        let mut in_flight: Vec<usize> = Vec::new();
        for ev in &g.events {
            match *ev {
                Event::Invoke(i) => {
                    if !in_flight.is_empty() {
                        overlapped[i] = true;
                        for &j in &in_flight {
                            overlapped[j] = true;
                        }
                    }
                    in_flight.push(i);
                    s.max_in_flight = s.max_in_flight.max(in_flight.len());
                }
                Event::End(i) => in_flight.retain(|&j| j != i),
            }
        }
        s.overlapping = overlapped.iter().filter(|&&o| o).count();
        s
    }
}

impl<Op, Ret> OpHandle<Op, Ret> {
    /// The op took effect and returned `ret`.
    pub fn ok(mut self, ret: Ret) {
        self.done = true;
        self.history.complete(self.index, Outcome::Ok(ret));
    }

    /// The op definitely did not take effect (the server refused it).
    pub fn failed(self) {
        self.finish(Outcome::Failed(None));
    }

    /// [`OpHandle::failed`] with the refusal kept for reports.
    pub fn failed_with(self, why: impl Into<String>) {
        self.finish(Outcome::Failed(Some(why.into())));
    }

    /// The op may or may not have taken effect (timeout, connection lost).
    pub fn unknown(self) {
        self.finish(Outcome::Unknown(None));
    }

    /// [`OpHandle::unknown`] with the cause kept for reports.
    pub fn unknown_with(self, why: impl Into<String>) {
        self.finish(Outcome::Unknown(Some(why.into())));
    }

    fn finish(mut self, outcome: Outcome<Ret>) {
        self.done = true;
        self.history.complete(self.index, outcome);
    }
}

impl<Op, Ret> Drop for OpHandle<Op, Ret> {
    fn drop(&mut self) {
        if !self.done {
            self.history
                .complete(self.index, Outcome::Unknown(Some("handle dropped".into())));
        }
    }
}

// ---------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------

/// Search bookkeeping shared by every clone of one replay's reference object.
struct SearchShared<K> {
    deadline: Instant,
    memo: bool,
    exhausted: Cell<bool>,
    steps: Cell<u64>,
    pruned: Cell<u64>,
    /// Configurations entered so far: (ops linearized, object state).
    seen: RefCell<HashSet<(Box<[u64]>, K)>>,
}

/// The reference object handed to stateright's tester: the real one (`inner`)
/// plus the set of ops linearized on the current search path. It refuses
/// every step once the search time is up (so the search unwinds instead of
/// running for ages) and, with `memo`, any step into a configuration already
/// entered: stateright's search is depth-first and stops at the first full
/// linearization, and the set of linearized ops grows along every path, so a
/// configuration met again was fully explored before and led nowhere. (This
/// is the usual Wing-Gong-Lowe cache; stateright's search has none, and
/// without it refuting a history of a few hundred concurrent ops takes
/// astronomically long.)
struct Search<S, K> {
    inner: S,
    done: Box<[u64]>,
    key: fn(&S) -> K,
    shared: Rc<SearchShared<K>>,
}

impl<S: Clone, K> Clone for Search<S, K> {
    fn clone(&self) -> Self {
        Search {
            inner: self.inner.clone(),
            done: self.done.clone(),
            key: self.key,
            shared: Rc::clone(&self.shared),
        }
    }
}

impl<S, K: Eq + Hash> Search<S, K> {
    /// Marks op `i` linearized; false if that configuration was seen before.
    fn enter(&mut self, i: usize) -> bool {
        self.done[i / 64] |= 1 << (i % 64);
        let sh = &*self.shared;
        if !sh.memo {
            return true;
        }
        let config = (self.done.clone(), (self.key)(&self.inner));
        let mut seen = sh.seen.borrow_mut();
        if seen.contains(&config) {
            sh.pruned.set(sh.pruned.get() + 1);
            return false;
        }
        if seen.len() < MEMO_MAX {
            seen.insert(config);
        }
        true
    }
}

impl<S: SequentialSpec, K: Eq + Hash> SequentialSpec for Search<S, K> {
    /// (op index in the history, op)
    type Op = (usize, S::Op);
    type Ret = S::Ret;

    /// Used by stateright for an in-flight op; cannot refuse.
    fn invoke(&mut self, (i, op): &(usize, S::Op)) -> S::Ret {
        let ret = self.inner.invoke(op);
        self.enter(*i);
        ret
    }

    fn is_valid_step(&mut self, (i, op): &(usize, S::Op), ret: &S::Ret) -> bool {
        let sh = &*self.shared;
        sh.steps.set(sh.steps.get() + 1);
        if sh.exhausted.get() {
            return false;
        }
        if Instant::now() >= sh.deadline {
            sh.exhausted.set(true);
            return false;
        }
        self.inner.is_valid_step(op, ret) && self.enter(*i)
    }
}

/// What one replay into the tester found.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Linearizable,
    NotLinearizable,
    /// Out of search time.
    Undecided {
        steps: u64,
        pruned: u64,
    },
}

/// How a workload's ops map onto a stateright reference object.
struct Model<Op, Ret, S: SequentialSpec, K> {
    name: &'static str,
    init: S,
    op: fn(&Op) -> S::Op,
    ret: fn(&Ret) -> S::Ret,
    /// The object's state as a memo key.
    key: fn(&S) -> K,
    /// True for ops without side effects: left out when indeterminate.
    read_only: fn(&Op) -> bool,
}

/// Replays the events numbered `< upto` into a fresh tester. Ops that ended
/// ok at or after `upto` are in flight (the prefix of a history).
fn replay<Op, Ret, S, K>(
    inner: &Inner<Op, Ret>,
    model: &Model<Op, Ret, S, K>,
    upto: usize,
    deadline: Instant,
    memo: bool,
) -> Verdict
where
    S: SequentialSpec + Clone,
    S::Op: Clone + Debug,
    S::Ret: Clone + Debug + PartialEq,
    K: Eq + Hash,
{
    let shared = Rc::new(SearchShared {
        deadline,
        memo,
        exhausted: Cell::new(false),
        steps: Cell::new(0),
        pruned: Cell::new(0),
        seen: RefCell::new(HashSet::new()),
    });
    let mut t = LinearizabilityTester::new(Search {
        inner: model.init.clone(),
        done: vec![0u64; inner.ops.len().div_ceil(64)].into_boxed_slice(),
        key: model.key,
        shared: Rc::clone(&shared),
    });
    for ev in &inner.events[..upto] {
        let res = match *ev {
            Event::Invoke(i) => {
                let r = &inner.ops[i];
                let returns_in_prefix =
                    matches!(r.outcome, Outcome::Ok(_)) && r.end.is_some_and(|e| e < upto);
                let skip = match r.outcome {
                    Outcome::Failed(_) => true,
                    _ => !returns_in_prefix && (model.read_only)(&r.op),
                };
                if skip {
                    continue;
                }
                t.on_invoke(r.thread, (i, (model.op)(&r.op))).map(|_| ())
            }
            Event::End(i) => {
                let r = &inner.ops[i];
                match &r.outcome {
                    Outcome::Ok(ret) => t.on_return(r.thread, (model.ret)(ret)).map(|_| ()),
                    _ => continue,
                }
            }
        };
        // The recorder keeps one op in flight per thread, so this is a bug here.
        if let Err(e) = res {
            panic!("history replay rejected by stateright: {e}");
        }
    }
    let found = t.serialized_history().is_some();
    if found {
        Verdict::Linearizable
    } else if shared.exhausted.get() {
        Verdict::Undecided {
            steps: shared.steps.get(),
            pruned: shared.pruned.get(),
        }
    } else {
        Verdict::NotLinearizable
    }
}

fn check_model<Op, Ret, S, K>(
    history: &History<Op, Ret>,
    model: &Model<Op, Ret, S, K>,
    budget: Duration,
) -> Result<(), String>
where
    Op: Debug,
    Ret: Debug,
    S: SequentialSpec + Clone,
    S::Op: Clone + Debug,
    S::Ret: Clone + Debug + PartialEq,
    K: Eq + Hash,
{
    let stats = history.stats();
    let g = history.lock();
    let inner = &*g;
    let n = inner.events.len();
    let started = Instant::now();
    match replay(inner, model, n, started + budget, true) {
        Verdict::Linearizable => Ok(()),
        Verdict::Undecided { steps, pruned } => Err(format!(
            "{} history: linearizability UNDECIDED, search gave up after {:?} \
             ({steps} steps, {pruned} pruned as seen); \
             {stats}. Make the workload smaller or less concurrent.\n{}",
            model.name,
            started.elapsed(),
            describe(inner, n, None)
        )),
        Verdict::NotLinearizable => {
            // Narrow down: the shortest non-linearizable prefix ends with the
            // return that made it impossible (prefixes of a linearizable
            // history are linearizable, so binary search works).
            let deadline = Instant::now() + budget;
            let (mut good, mut bad) = (0usize, n);
            let mut narrowed = true;
            while bad - good > 1 {
                let mid = good + (bad - good) / 2;
                match replay(inner, model, mid, deadline, true) {
                    Verdict::Linearizable => good = mid,
                    Verdict::NotLinearizable => bad = mid,
                    Verdict::Undecided { .. } => {
                        narrowed = false;
                        break;
                    }
                }
            }
            let culprit = match inner.events[bad - 1] {
                Event::End(i) | Event::Invoke(i) => i,
            };
            let head = if narrowed {
                let r = &inner.ops[culprit];
                format!(
                    "the first violation is the return at event {} of op #{culprit} \
                     (client {}: {:?} -> {}); listing the ops invoked before it",
                    bad - 1,
                    r.client,
                    r.op,
                    outcome_text(&r.outcome)
                )
            } else {
                format!("(could not narrow it below event {} in time)", bad - 1)
            };
            Err(format!(
                "{} history is NOT linearizable: {stats}; {head}\n{}",
                model.name,
                describe(inner, bad, narrowed.then_some(culprit))
            ))
        }
    }
}

fn outcome_text<Ret: Debug>(o: &Outcome<Ret>) -> String {
    match o {
        Outcome::Pending => "? pending".into(),
        Outcome::Ok(r) => format!("{r:?}"),
        Outcome::Failed(None) => "failed (dropped)".into(),
        Outcome::Failed(Some(w)) => format!("failed (dropped): {w}"),
        Outcome::Unknown(None) => "? indeterminate".into(),
        Outcome::Unknown(Some(w)) => format!("? indeterminate: {w}"),
    }
}

/// One line per op invoked before event `upto` (at most [`REPORT_MAX_OPS`],
/// the latest ones), with event numbers: `[inv..end]`, `end` past `upto`
/// shown as `..` (still in flight at that point).
fn describe<Op: Debug, Ret: Debug>(
    inner: &Inner<Op, Ret>,
    upto: usize,
    mark: Option<usize>,
) -> String {
    let shown: Vec<usize> = (0..inner.ops.len())
        .filter(|&i| inner.ops[i].inv < upto)
        .collect();
    let skip = shown.len().saturating_sub(REPORT_MAX_OPS);
    let clients: BTreeSet<ClientId> = shown.iter().map(|&i| inner.ops[i].client).collect();
    let mut out = format!(
        "ops as `#op client/thread [invoke..end event] op -> outcome` ({} ops, {} clients; \
         ops overlap iff their event intervals do):\n",
        shown.len(),
        clients.len()
    );
    if skip > 0 {
        let _ = writeln!(out, "  ... {skip} earlier ops omitted");
    }
    for &i in &shown[skip..] {
        let r = &inner.ops[i];
        let end = match r.end {
            Some(e) if e < upto => format!("{e}"),
            _ => "..".into(),
        };
        let outcome = match (&r.outcome, r.end) {
            (Outcome::Ok(r), Some(e)) if e >= upto => format!("? (later {r:?}, at event {e})"),
            (o, _) => outcome_text(o),
        };
        let _ = writeln!(
            out,
            "  #{i:<4} c{}/t{:<3} [{:>4}..{end:>4}] {:?} -> {outcome}{}",
            r.client,
            r.thread,
            r.inv,
            r.op,
            if mark == Some(i) {
                "   <== violation"
            } else {
                ""
            }
        );
    }
    out
}

fn register_model() -> Model<RegisterOp, RegisterRet, Register<Option<u64>>, Option<u64>> {
    Model {
        name: "register",
        init: Register(None),
        op: |op| match *op {
            RegisterOp::Write(v) => sr::RegisterOp::Write(Some(v)),
            RegisterOp::Read => sr::RegisterOp::Read,
        },
        ret: |ret| match *ret {
            RegisterRet::WriteOk => sr::RegisterRet::WriteOk,
            RegisterRet::ReadOk(v) => sr::RegisterRet::ReadOk(v),
        },
        key: |r| r.0,
        read_only: |op| matches!(op, RegisterOp::Read),
    }
}

fn counter_model() -> Model<CounterOp, CounterRet, Counter, Option<i64>> {
    Model {
        name: "counter",
        init: Counter(None),
        op: |op| *op,
        ret: |ret| *ret,
        key: |c| c.0,
        read_only: |op| matches!(op, CounterOp::Get),
    }
}

/// Checks a register history (one key, initially absent) for
/// linearizability within [`CHECK_BUDGET`]. `Err` describes the history.
pub fn check_register(history: &RegisterHistory) -> Result<(), String> {
    check_register_within(history, CHECK_BUDGET)
}

/// [`check_register`] with an explicit search budget.
pub fn check_register_within(history: &RegisterHistory, budget: Duration) -> Result<(), String> {
    check_model(history, &register_model(), budget)
}

/// Checks a counter history (one key, initially absent) for
/// linearizability within [`CHECK_BUDGET`]. `Err` describes the history.
pub fn check_counter(history: &CounterHistory) -> Result<(), String> {
    check_counter_within(history, CHECK_BUDGET)
}

/// [`check_counter`] with an explicit search budget.
pub fn check_counter_within(history: &CounterHistory, budget: Duration) -> Result<(), String> {
    check_model(history, &counter_model(), budget)
}

// ---------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------

/// Why an op did not return normally.
enum Fault {
    /// Definitely not applied; the connection is still usable.
    Refused(String),
    /// Maybe applied; the connection is dropped.
    Indeterminate(String),
}

/// Error codes whose reply means the command was refused before it ran.
/// Anything else (including a plain `ERR`: corekv answers `ERR server is
/// shutting down` to a write that is already proposed) is indeterminate.
pub const REFUSAL_CODES: &[&str] = &[
    "TRYAGAIN",
    "MOVED",
    "ASK",
    "CLUSTERDOWN",
    "CROSSSLOT",
    "LOADING",
    "READONLY",
    "MASTERDOWN",
    "NOREPLICAS",
    "OOM",
    "BUSY",
];

fn classify(e: redis::RedisError) -> Fault {
    let text = e.to_string();
    let refused = !e.is_io_error() && e.code().is_some_and(|c| REFUSAL_CODES.contains(&c));
    if refused {
        Fault::Refused(text)
    } else {
        Fault::Indeterminate(text)
    }
}

fn connect(addr: &str) -> redis::RedisResult<redis::Connection> {
    let c = redis::Client::open(format!("redis://{addr}/"))?
        .get_connection_with_timeout(CONNECT_TIMEOUT)?;
    c.set_read_timeout(Some(RESPONSE_TIMEOUT))?;
    c.set_write_timeout(Some(RESPONSE_TIMEOUT))?;
    Ok(c)
}

/// xorshift64*: op mix only, no need for a real RNG dependency.
struct Rng(u64);

impl Rng {
    fn seeded(client: usize) -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        // splitmix64 of time and client, never zero.
        let mut z = nanos ^ (client as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn coin(&mut self) -> bool {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 63 == 1
    }
}

/// A key no earlier workload in this process used, so it starts absent.
fn fresh_key(kind: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "lin:{kind}:{}:{}:{nanos}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// How much load a workload puts on: `clients` threads of at most
/// `ops_per_client` ops each, no new op once `deadline` has passed since
/// the start, and `pause` between a client's ops (to spread a few hundred
/// ops over a fault schedule of several seconds).
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub clients: usize,
    pub ops_per_client: usize,
    pub deadline: Duration,
    pub pause: Duration,
}

impl Load {
    /// Back-to-back ops.
    pub fn new(clients: usize, ops_per_client: usize, deadline: Duration) -> Load {
        Load {
            clients,
            ops_per_client,
            deadline,
            pause: Duration::ZERO,
        }
    }

    /// Each client waits `pause` after each op.
    pub fn paced(self, pause: Duration) -> Load {
        Load { pause, ..self }
    }
}

/// Runs the [`Load`]'s client threads. Client `c` starts on
/// `addrs[c % addrs.len()]` and moves to the next address whenever its
/// connection is lost or cannot be made.
fn drive<Op, Ret>(
    addrs: &[String],
    load: &Load,
    next_op: &(dyn Fn(&mut Rng) -> Op + Sync),
    exec: fn(&mut redis::Connection, &str, &Op) -> Result<Ret, Fault>,
    key: &str,
) -> History<Op, Ret>
where
    Op: Clone + Debug + Send,
    Ret: Send,
{
    assert!(!addrs.is_empty(), "no server address");
    let Load {
        clients,
        ops_per_client,
        deadline,
        pause,
    } = *load;
    assert!(
        clients.saturating_mul(ops_per_client) <= MAX_OPS,
        "{clients} clients x {ops_per_client} ops exceeds MAX_OPS ({MAX_OPS})"
    );
    let history = History::new();
    let end = Instant::now() + deadline;
    let start_line = Barrier::new(clients);
    std::thread::scope(|s| {
        for c in 0..clients {
            let history = history.clone();
            let start_line = &start_line;
            s.spawn(move || {
                let mut rng = Rng::seeded(c);
                let mut at = c % addrs.len();
                // Connect first, then start together, so the ops overlap.
                let mut conn: Option<redis::Connection> = connect(&addrs[at]).ok();
                start_line.wait();
                for _ in 0..ops_per_client {
                    if Instant::now() >= end {
                        break;
                    }
                    let con = match conn.as_mut() {
                        Some(con) => con,
                        None => match connect(&addrs[at]) {
                            Ok(con) => conn.insert(con),
                            Err(_) => {
                                at = (at + 1) % addrs.len();
                                std::thread::sleep(RETRY_PAUSE);
                                continue;
                            }
                        },
                    };
                    if !pause.is_zero() {
                        std::thread::sleep(pause);
                    }
                    let op = next_op(&mut rng);
                    let h = history.invoke(c, op.clone());
                    match exec(con, key, &op) {
                        Ok(ret) => h.ok(ret),
                        Err(Fault::Refused(why)) => {
                            h.failed_with(why);
                            std::thread::sleep(RETRY_PAUSE);
                        }
                        Err(Fault::Indeterminate(why)) => {
                            h.unknown_with(why);
                            conn = None;
                            at = (at + 1) % addrs.len();
                        }
                    }
                }
            });
        }
    });
    history
}

fn unexpected(cmd: &str, v: &redis::Value) -> ! {
    panic!("{cmd}: unexpected reply {v:?}")
}

fn parse_bulk<T: std::str::FromStr>(cmd: &str, v: &redis::Value) -> Option<T> {
    match v {
        redis::Value::Nil => None,
        redis::Value::BulkString(b) => Some(
            std::str::from_utf8(b)
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| unexpected(cmd, v)),
        ),
        other => unexpected(cmd, other),
    }
}

fn exec_register(
    con: &mut redis::Connection,
    key: &str,
    op: &RegisterOp,
) -> Result<RegisterRet, Fault> {
    match *op {
        RegisterOp::Write(v) => {
            let r: redis::Value = redis::cmd("SET")
                .arg(key)
                .arg(v)
                .query(con)
                .map_err(classify)?;
            match r {
                redis::Value::Okay => Ok(RegisterRet::WriteOk),
                other => unexpected("SET", &other),
            }
        }
        RegisterOp::Read => {
            let r: redis::Value = redis::cmd("GET").arg(key).query(con).map_err(classify)?;
            Ok(RegisterRet::ReadOk(parse_bulk("GET", &r)))
        }
    }
}

fn exec_counter(
    con: &mut redis::Connection,
    key: &str,
    op: &CounterOp,
) -> Result<CounterRet, Fault> {
    match op {
        CounterOp::Incr => {
            let r: redis::Value = redis::cmd("INCR").arg(key).query(con).map_err(classify)?;
            match r {
                redis::Value::Int(n) => Ok(CounterRet::IncrOk(n)),
                other => unexpected("INCR", &other),
            }
        }
        CounterOp::Get => {
            let r: redis::Value = redis::cmd("GET").arg(key).query(con).map_err(classify)?;
            Ok(CounterRet::GetOk(parse_bulk("GET", &r)))
        }
    }
}

/// Random SETs of unique values (1, 2, ...) and GETs, half and half, on one
/// fresh key. Client `c` talks to `addrs[c % addrs.len()]` over the `redis`
/// crate with [`RESPONSE_TIMEOUT`], and on a lost connection reconnects to the
/// next address (an error reply keeps the connection). Bounded by
/// `clients * ops_per_client` (at most [`MAX_OPS`]) and by `deadline` plus
/// one [`RESPONSE_TIMEOUT`].
pub fn run_register_workload(addrs: &[String], load: Load) -> RegisterHistory {
    let next_value = AtomicU64::new(1);
    let gen_op = |rng: &mut Rng| {
        if rng.coin() {
            RegisterOp::Write(next_value.fetch_add(1, Ordering::Relaxed))
        } else {
            RegisterOp::Read
        }
    };
    let key = fresh_key("register");
    drive(addrs, &load, &gen_op, exec_register, &key)
}

/// Random INCRs and GETs, half and half, on one fresh key; bounded like
/// [`run_register_workload`].
pub fn run_counter_workload(addrs: &[String], load: Load) -> CounterHistory {
    let gen_op = |rng: &mut Rng| {
        if rng.coin() {
            CounterOp::Incr
        } else {
            CounterOp::Get
        }
    };
    let key = fresh_key("counter");
    drive(addrs, &load, &gen_op, exec_counter, &key)
}

/// [`exec_counter`] on a hash field: HINCRBY key c 1 and HGET key c.
fn exec_hash_counter(
    con: &mut redis::Connection,
    key: &str,
    op: &CounterOp,
) -> Result<CounterRet, Fault> {
    match op {
        CounterOp::Incr => {
            let r: redis::Value = redis::cmd("HINCRBY")
                .arg(key)
                .arg("c")
                .arg(1)
                .query(con)
                .map_err(classify)?;
            match r {
                redis::Value::Int(n) => Ok(CounterRet::IncrOk(n)),
                other => unexpected("HINCRBY", &other),
            }
        }
        CounterOp::Get => {
            let r: redis::Value = redis::cmd("HGET")
                .arg(key)
                .arg("c")
                .query(con)
                .map_err(classify)?;
            Ok(CounterRet::GetOk(parse_bulk("HGET", &r)))
        }
    }
}

/// [`run_counter_workload`] with the counter in a hash field (HINCRBY and
/// HGET): the element writes and reads of a collection go through the same
/// log and reads as string keys.
pub fn run_hash_counter_workload(addrs: &[String], load: Load) -> CounterHistory {
    let gen_op = |rng: &mut Rng| {
        if rng.coin() {
            CounterOp::Incr
        } else {
            CounterOp::Get
        }
    };
    let key = fresh_key("hcounter");
    drive(addrs, &load, &gen_op, exec_hash_counter, &key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random small histories (some linearizable, many not): the memoized
    /// search must agree with stateright's plain search on every one.
    #[test]
    fn memo_agrees_with_plain_stateright() {
        let mut rng = Rng(0x5EED_1234_ABCD_0001);
        let mut below = |n: u64| {
            let mut x = 0;
            for _ in 0..6 {
                x = (x << 1) | u64::from(rng.coin());
            }
            x % n
        };
        let far = Instant::now() + Duration::from_secs(60);
        let mut counts = [0usize; 2];
        for round in 0..3000 {
            let h = RegisterHistory::new();
            let mut cur: Option<u64> = None;
            let mut pending: Vec<Option<(OpHandle<RegisterOp, RegisterRet>, RegisterOp)>> =
                (0..3).map(|_| None).collect();
            for _ in 0..24 {
                let c = below(3) as usize;
                match pending[c].take() {
                    None => {
                        let op = if below(2) == 0 {
                            RegisterOp::Write(1 + below(3))
                        } else {
                            RegisterOp::Read
                        };
                        pending[c] = Some((h.invoke(c, op), op));
                    }
                    Some((hd, op)) => match (below(8), op) {
                        (0, _) => hd.unknown(),
                        (1, _) => hd.failed(),
                        (_, RegisterOp::Write(v)) => {
                            cur = Some(v);
                            hd.ok(RegisterRet::WriteOk)
                        }
                        (k, RegisterOp::Read) => hd.ok(RegisterRet::ReadOk(if k < 6 {
                            cur
                        } else {
                            Some(below(4)).filter(|&v| v > 0)
                        })),
                    },
                }
            }
            let g = h.lock();
            let n = g.events.len();
            let memo = replay(&g, &register_model(), n, far, true);
            let plain = replay(&g, &register_model(), n, far, false);
            assert_eq!(memo, plain, "round {round}:\n{}", describe(&g, n, None));
            counts[usize::from(memo == Verdict::Linearizable)] += 1;
        }
        // Both verdicts well represented, or the comparison proves little.
        println!("verdicts (not, lin): {counts:?}");
        assert!(counts[0] > 300 && counts[1] > 300, "{counts:?}");
    }
}
