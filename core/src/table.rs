//! The command table: the single registry of commands. One static
//! `CommandSpec` per command holds its arity, flags, key positions, ACL
//! categories, docs, how the request is routed across groups, who may see
//! it (`Visibility`), whether it runs on the heavy pool, and its handler
//! (the `core::cmd` functions of a data command, or the `ServerCmd` the io
//! layer executes). Dispatch, apply, the heavy pool and the `COMMAND`
//! family all read this table, so what clients see can never drift from
//! what the server enforces. Lookup runs on every request, so it allocates
//! nothing: a hash index over the table is built at compile time. Entries
//! live in `table/defs.rs`, one per command; see docs/design/0017.

mod defs;

use crate::Reply;
use crate::errors;
use crate::store::Store;
use bytes::Bytes;

// TODO move to errors.rs
const GETKEYS_INVALID_COMMAND: &str = "ERR Invalid command specified";
// TODO move to errors.rs
const GETKEYS_BAD_ARITY: &str = "ERR Invalid number of arguments specified for command";
// TODO move to errors.rs
const GETKEYS_NO_KEYS: &str = "ERR The command has no key arguments";
// TODO move to errors.rs
const GETKEYS_INVALID_ARGS: &str = "ERR Invalid arguments specified for command";

/// How a command reaches the data. Decided per command (or subcommand) by
/// the table so the router never special-cases names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Handled by the connection/server layer; touches no group's data.
    Server,
    /// Every key must live in one group; keys spanning groups get CROSSSLOT.
    Keyed { write: bool },
    /// Split per group, run on each, then merged (DEL, EXISTS, MGET ...).
    PerKey { write: bool, merge: Merge },
    /// Run on every group, then merged (DBSIZE, KEYS, FLUSHALL ...).
    AllGroups { write: bool, merge: Merge },
    /// argv[1] names a slot (SCAN's cursor, COREKV.COUNTKEYSINSLOT's
    /// slot); routed to that slot's group, to group 0 if it names none
    /// (the command itself then reports the bad cursor or slot).
    Slot,
}

/// What a command may know besides its arguments and the store.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Unix ms: the proposal's timestamp for writes, the read time for reads.
    pub now_ms: u64,
    /// The slot range of the group the keys live in.
    pub slots: std::ops::Range<u16>,
    /// Entropy for RANDOMKEY.
    pub rand: u64,
}

/// A data read, run on the group the route picked, at `ctx.now_ms`.
pub type ReadFn = fn(&[Bytes], &Ctx, &dyn Store) -> Result<Reply, Reply>;
/// How many elements a heavy read may touch, from its arguments and point
/// reads of meta records (see `CommandSpec::heavy_size`).
pub type SizeFn = fn(&[Bytes], &Ctx, &dyn Store) -> Result<u64, crate::StoreError>;

/// A [`SizeFn`] in the table (compared by address, like handlers).
#[derive(Clone, Copy)]
pub struct HeavySize(pub SizeFn);

impl PartialEq for HeavySize {
    fn eq(&self, other: &HeavySize) -> bool {
        std::ptr::fn_addr_eq(self.0, other.0)
    }
}

impl std::fmt::Debug for HeavySize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeavySize(..)")
    }
}

/// A heavy read whose size estimate is at most this runs on the core
/// (the pool's hand-off costs more than reading this many elements). A
/// read of one element costs the core 2.5–4.5 µs (HGET, XREAD at 1M
/// entries, docs/benchmarks.md), so 16 keeps a core-run read near 50 µs;
/// at 128, 37 clients looping `XREAD COUNT 100` ran on the core and
/// starved Raft (raft.commit p99 74–191 ms; docs/design/0019).
pub const HEAVY_MIN: u64 = 16;

/// A heavy read estimated at most this many elements runs on the core when
/// the pool is full, instead of answering `-BUSY`: a burst of LRANGE 0 99
/// from many clients must not fail (redis-benchmark's lrange_100 at -P 16
/// did), and such a read still costs the core well under a millisecond.
pub const HEAVY_CORE_MAX: u64 = 1024;

/// A write's checks that need no stored data (syntax, integers, expire
/// times), run before the write is proposed so a bad one never reaches
/// the log.
pub type PrecheckFn = fn(&[Bytes]) -> Result<(), Reply>;
/// A write, applied from the log: deterministic in `(argv, ctx, store)`.
pub type ApplyFn = fn(&[Bytes], &Ctx, &mut dyn Store) -> Result<Reply, Reply>;

/// What executes a command once dispatch has found it and checked arity.
#[derive(Clone, Copy)]
pub enum Handler {
    /// Only `CommandSpec::BASE`'s default: an entry that forgot its
    /// handler. The table test rejects it; dispatch would answer it like
    /// an unknown command.
    Missing,
    /// A container (`CLIENT`, `CONFIG`, `OBJECT`) whose arity (at most -2)
    /// makes `resolve` always pick a subcommand or fail.
    Container,
    /// A data read in `core::cmd`, routed by `route`.
    Read(ReadFn),
    /// A data write in `core::cmd`: `precheck` before proposing (none when
    /// every error depends on stored data), `apply` from the log.
    Write {
        precheck: Option<PrecheckFn>,
        apply: ApplyFn,
    },
    /// Executed by the io layer, which matches `ServerCmd` exhaustively.
    Server(ServerCmd),
}

impl Handler {
    pub fn is_write(&self) -> bool {
        matches!(self, Handler::Write { .. })
    }
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Handler::Missing => f.write_str("Missing"),
            Handler::Container => f.write_str("Container"),
            Handler::Read(_) => f.write_str("Read(..)"),
            Handler::Write { .. } => f.write_str("Write { .. }"),
            Handler::Server(c) => write!(f, "Server({c:?})"),
        }
    }
}

/// Handlers are equal when they name the same functions (used by the
/// table test that pairs every family function with exactly one entry).
impl PartialEq for Handler {
    fn eq(&self, other: &Handler) -> bool {
        use std::ptr::fn_addr_eq;
        match (self, other) {
            (Handler::Missing, Handler::Missing) | (Handler::Container, Handler::Container) => true,
            (Handler::Read(a), Handler::Read(b)) => fn_addr_eq(*a, *b),
            (
                Handler::Write {
                    precheck: pa,
                    apply: aa,
                },
                Handler::Write {
                    precheck: pb,
                    apply: ab,
                },
            ) => {
                fn_addr_eq(*aa, *ab)
                    && match (pa, pb) {
                        (Some(a), Some(b)) => fn_addr_eq(*a, *b),
                        (None, None) => true,
                        _ => false,
                    }
            }
            (Handler::Server(a), Handler::Server(b)) => a == b,
            _ => false,
        }
    }
}

/// Declares an enum of unit variants with `ALL`, every variant in
/// declaration order, so a test can walk them all.
macro_rules! unit_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($(#[$vm])* $v),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),*];
        }
    };
}

/// Declares `ServerCmd` and `ServerCmd::all()`, which expands the
/// container variants over their subcommand enums, so the list is complete
/// by construction.
macro_rules! server_cmd {
    ($($(#[$vm:meta])* $v:ident $(($sub:ident))?),* $(,)?) => {
        /// A command the io layer executes: connection state, node-wide
        /// views, cluster administration. io matches it exhaustively, so a
        /// new variant cannot be forgotten there.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ServerCmd { $($(#[$vm])* $v $(($sub))?),* }
        impl ServerCmd {
            /// Every value, subcommands expanded.
            #[allow(clippy::vec_init_then_push)]
            pub fn all() -> Vec<ServerCmd> {
                let mut out = Vec::new();
                $(server_cmd!(@push out $v $($sub)?);)*
                out
            }
        }
    };
    (@push $out:ident $v:ident) => { $out.push(ServerCmd::$v); };
    (@push $out:ident $v:ident $sub:ident) => {
        $out.extend($sub::ALL.iter().map(|s| ServerCmd::$v(*s)));
    };
}

server_cmd! {
    Ping,
    Echo,
    Hello,
    Quit,
    Reset,
    Select,
    Info,
    Time,
    LastSave,
    /// `COMMAND` and its subcommands (answered from this table).
    Command(CommandSub),
    Client(ClientSub),
    Config(ConfigSub),
    /// `AUTH [username] password`.
    Auth,
    /// `ACL ...` (users and permissions, core/src/acl.rs).
    Acl(AclSub),
    /// `OBJECT HELP`: the one keyless OBJECT subcommand.
    ObjectHelp,
    /// `WAIT numreplicas timeout`.
    Wait,
    /// `COREKV.REPLICAS`: WAIT's count for the groups this node leads.
    CorekvReplicas,
    /// `COREKV.TXALIVE <txid>`: whether this node still coordinates a
    /// transaction (recovery asks before it aborts one, docs/design/0025).
    CorekvTxAlive,
    /// `XINFO HELP` and `XGROUP HELP` (keyless, like OBJECT HELP).
    XinfoHelp,
    XgroupHelp,
    /// Transactions: io queues after MULTI (docs/design/0025).
    Multi,
    Exec,
    Discard,
    Watch,
    Unwatch,
    /// Lua scripting (docs/design/0026): run by io as transactions over
    /// the declared keys, on the heavy pool.
    Eval,
    EvalSha,
    EvalRo,
    EvalShaRo,
    Fcall,
    FcallRo,
    /// `SCRIPT ...` and `FUNCTION ...` (subcommands checked by io).
    Script,
    Function,
    /// `CLUSTER ...` (Redis Cluster protocol).
    Cluster,
    /// `COREKV.MEMBER <secret>`: a connection proves cluster membership.
    Member,
    /// `COREKV.PROXIED`: marks another node's proxy link.
    Proxied,
    /// `COREKV.AT <hlc> <command...>`: a proxied command with its sender's
    /// clock; unwrapped by dispatch on a proxy link.
    At,
    /// `COREKV.AT2`: [`ServerCmd::At`] answered in RESP2.
    At2,
    /// `COREKV.CLUSTER ...`: membership administration.
    CorekvCluster,
    /// `COREKV.GROUPADMIN ...`: one group's membership change.
    GroupAdmin,
    /// `COREKV.ACLOP ...`: an ACL change, routed to the meta group 0.
    AclOp,
    /// `COREKV.DEBUG ...`: fault injection, with `--debug-commands` only.
    Debug,
    /// Pub/sub (docs/design/0027): run by io's `pubsub` module.
    Subscribe,
    Unsubscribe,
    PSubscribe,
    PUnsubscribe,
    SSubscribe,
    SUnsubscribe,
    Publish,
    SPublish,
    Pubsub(PubsubSub),
    /// `COREKV.PUB <kind> <channel> <message> ...`: messages published on
    /// another node, delivered to this node's subscribers only.
    CorekvPub,
    /// `MONITOR`: the connection streams every command the node runs.
    Monitor,
}

unit_enum!(
    /// `COMMAND`'s forms.
    CommandSub {
        /// Bare `COMMAND`.
        All,
        Count,
        Docs,
        GetKeys,
        GetKeysAndFlags,
        Help,
        Info,
        List,
    }
);

unit_enum!(
    /// `CLIENT`'s subcommands.
    ClientSub {
        Caching,
        GetName,
        GetRedir,
        Help,
        Id,
        Info,
        Kill,
        List,
        NoEvict,
        SetName,
        Tracking,
        TrackingInfo,
        Unblock,
    }
);

unit_enum!(
    /// `PUBSUB`'s subcommands.
    PubsubSub {
        Channels,
        Help,
        NumPat,
        NumSub,
        ShardChannels,
        ShardNumSub,
    }
);

unit_enum!(
    /// `ACL`'s subcommands.
    AclSub {
        Cat,
        DelUser,
        DryRun,
        GenPass,
        GetUser,
        Help,
        List,
        Load,
        Log,
        Save,
        SetUser,
        Users,
        WhoAmI,
    }
);

unit_enum!(
    /// `CONFIG`'s subcommands.
    ConfigSub {
        Get,
        Help,
        ResetStat,
        Set,
    }
);

/// Who sees a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// A Redis command: listed by `COMMAND`, `COMMAND COUNT/LIST/INFO/DOCS`.
    Listed,
    /// Runs for anyone but is not listed (CLUSTER, MULTI/EXEC, until they
    /// carry Redis's full documentation; COREKV.MEMBER; COREKV.DEBUG).
    Unlisted,
    /// corekv's own member-only commands: a connection that has not
    /// presented the cluster secret gets Redis's unknown-command error, so
    /// it cannot even tell they exist. Never listed.
    Internal,
}

/// How the partial replies of a fanned-out command become one reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// Integers added up (DEL, EXISTS, DBSIZE).
    Sum,
    /// One element per key, put back in the request's key order (MGET).
    InOrder,
    /// Arrays concatenated (KEYS).
    Concat,
    /// `+OK` if every part said OK, else the first error (FLUSHALL).
    AllOk,
    /// The first non-nil part, nil if all are nil (RANDOMKEY).
    AnyNonNil,
}

/// Where the first key is found (Redis 7 key-spec `begin_search`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    Index(i32),
    Keyword {
        keyword: &'static str,
        start_from: i32,
    },
    Unknown,
}

/// Which arguments after the begin-search point are keys (`find_keys`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    /// `last_key` is relative to the first key; negative counts from the end.
    Range {
        last_key: i32,
        key_step: i32,
        limit: i32,
    },
    KeyNum {
        key_num_idx: i32,
        first_key: i32,
        key_step: i32,
    },
    Unknown,
}

/// A Redis 7 key specification, as shown in `COMMAND INFO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub notes: Option<&'static str>,
    /// In Redis's print order: "RO"/"RW"/"OW"/"RM", then "access", "update",
    /// "insert", "delete", "not_key", "incomplete", "variable_flags".
    pub flags: &'static [&'static str],
    pub begin_search: BeginSearch,
    pub find_keys: FindKeys,
}

/// Argument kinds of `COMMAND DOCS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    String,
    Integer,
    Double,
    Key,
    Pattern,
    UnixTime,
    PureToken,
    OneOf,
    Block,
}

impl ArgType {
    pub fn as_str(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Integer => "integer",
            ArgType::Double => "double",
            ArgType::Key => "key",
            ArgType::Pattern => "pattern",
            ArgType::UnixTime => "unix-time",
            ArgType::PureToken => "pure-token",
            ArgType::OneOf => "oneof",
            ArgType::Block => "block",
        }
    }
}

const ARG_OPTIONAL: u8 = 1;
const ARG_MULTIPLE: u8 = 2;
const ARG_MULTIPLE_TOKEN: u8 = 4;

/// One documented argument (for `COMMAND DOCS`); built with the const
/// builder methods so table entries stay one line per argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg {
    pub name: &'static str,
    pub kind: ArgType,
    pub key_spec_index: Option<u32>,
    pub token: Option<&'static str>,
    pub summary: Option<&'static str>,
    pub since: Option<&'static str>,
    pub deprecated_since: Option<&'static str>,
    flag_bits: u8,
    pub args: &'static [Arg],
}

impl Arg {
    pub const fn new(name: &'static str, kind: ArgType) -> Arg {
        Arg {
            name,
            kind,
            key_spec_index: None,
            token: None,
            summary: None,
            since: None,
            deprecated_since: None,
            flag_bits: 0,
            args: &[],
        }
    }
    pub const fn key_spec(mut self, index: u32) -> Arg {
        self.key_spec_index = Some(index);
        self
    }
    pub const fn token(mut self, token: &'static str) -> Arg {
        self.token = Some(token);
        self
    }
    pub const fn summary(mut self, summary: &'static str) -> Arg {
        self.summary = Some(summary);
        self
    }
    pub const fn since(mut self, since: &'static str) -> Arg {
        self.since = Some(since);
        self
    }
    pub const fn deprecated_since(mut self, version: &'static str) -> Arg {
        self.deprecated_since = Some(version);
        self
    }
    pub const fn optional(mut self) -> Arg {
        self.flag_bits |= ARG_OPTIONAL;
        self
    }
    pub const fn multiple(mut self) -> Arg {
        self.flag_bits |= ARG_MULTIPLE;
        self
    }
    pub const fn multiple_token(mut self) -> Arg {
        self.flag_bits |= ARG_MULTIPLE_TOKEN;
        self
    }
    pub const fn args(mut self, args: &'static [Arg]) -> Arg {
        self.args = args;
        self
    }
    pub fn is_optional(&self) -> bool {
        self.flag_bits & ARG_OPTIONAL != 0
    }
    /// "optional", "multiple", "multiple_token" in Redis's print order.
    pub fn flags(&self) -> impl Iterator<Item = &'static str> + '_ {
        [
            (ARG_OPTIONAL, "optional"),
            (ARG_MULTIPLE, "multiple"),
            (ARG_MULTIPLE_TOKEN, "multiple_token"),
        ]
        .into_iter()
        .filter(|(bit, _)| self.flag_bits & bit != 0)
        .map(|(_, name)| name)
    }
}

/// One command or subcommand. The values are what Redis 7.0 reports, after
/// Redis's own derivations (implicit ACL categories, hidden flags removed,
/// legacy key range), so the reply code prints fields as they are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommandSpec {
    /// Lowercase; subcommands use Redis's full name, `client|list`.
    pub name: &'static str,
    /// Positive: exact argc; negative: minimum argc. Counts the name (and,
    /// for subcommands, the container's name too).
    pub arity: i32,
    /// In Redis's print order ("write", "readonly", "denyoom", ... "fast",
    /// "no_auth", ... "allow_busy").
    pub flags: &'static [&'static str],
    /// Legacy key range: 0 means no keys; `last_key` negative counts from
    /// the end of argv.
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    /// With the `@`, in Redis's print order.
    pub acl_categories: &'static [&'static str],
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    pub complexity: &'static str,
    pub route: Route,
    /// Sorted by name; empty for plain commands.
    pub subcommands: &'static [CommandSpec],
    /// Lowercase tips, e.g. "request_policy:all_shards".
    pub tips: &'static [&'static str],
    pub key_specs: &'static [KeySpec],
    /// What executes the command.
    pub handler: Handler,
    /// May scan a whole group: runs on the heavy pool against a snapshot,
    /// never on a core's executor, and is counted per command
    /// (`heavy_id`).
    pub heavy: bool,
    /// For a heavy read whose cost depends on a collection's size
    /// (HGETALL, LRANGE, XRANGE ...): the estimate that decides. At most
    /// [`HEAVY_MIN`] runs on the core; more (or an estimate that fails) on
    /// the pool. `None`: always the pool.
    pub heavy_size: Option<HeavySize>,
    pub visibility: Visibility,
    /// (version, change) pairs.
    pub history: &'static [(&'static str, &'static str)],
    /// "deprecated", "syscmd".
    pub doc_flags: &'static [&'static str],
    pub deprecated_since: Option<&'static str>,
    pub replaced_by: Option<&'static str>,
    pub args: &'static [Arg],
}

impl CommandSpec {
    /// Defaults for the optional fields; entries use `..CommandSpec::BASE`.
    pub const BASE: CommandSpec = CommandSpec {
        name: "",
        arity: 0,
        flags: &[],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &[],
        group: "",
        since: "",
        summary: "",
        complexity: "",
        route: Route::Server,
        subcommands: &[],
        tips: &[],
        key_specs: &[],
        handler: Handler::Missing,
        heavy: false,
        heavy_size: None,
        visibility: Visibility::Listed,
        history: &[],
        doc_flags: &[],
        deprecated_since: None,
        replaced_by: None,
        args: &[],
    };

    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.contains(&flag)
    }
    pub fn is_write(&self) -> bool {
        self.has_flag("write")
    }
    pub fn is_container(&self) -> bool {
        !self.subcommands.is_empty()
    }
    pub fn is_internal(&self) -> bool {
        self.visibility == Visibility::Internal
    }
    pub fn is_listed(&self) -> bool {
        self.visibility == Visibility::Listed
    }
    /// Whether any argument is a key (Redis's `doesCommandHaveKeys`).
    pub fn has_keys(&self) -> bool {
        self.key_specs.iter().any(|k| !k.flags.contains(&"not_key"))
    }
    /// The name without the container prefix: `list` for `client|list`.
    pub fn declared_name(&self) -> &'static str {
        match self.name.split_once('|') {
            Some((_, sub)) => sub,
            None => self.name,
        }
    }
}

/// Every top-level entry, in table order (subcommands hang off their
/// container), unlisted and internal ones included.
pub fn all() -> &'static [CommandSpec] {
    defs::COMMANDS
}

/// The commands a client may learn about: what `COMMAND` and its
/// subcommands report.
pub fn listed() -> impl Iterator<Item = &'static CommandSpec> {
    defs::COMMANDS.iter().filter(|s| s.is_listed())
}

/// The commands that run on the heavy pool, in table order; a command's
/// position here is its `heavy_id`.
pub static HEAVY: [&str; HEAVY_COUNT] = heavy_names(defs::COMMANDS);

/// How many commands run on the heavy pool (sizes per-command counters).
pub const HEAVY_COUNT: usize = count_heavy(defs::COMMANDS);

/// Bit `n` set: some heavy command's name is `n` bytes long (names of 64
/// bytes or more share bit 63).
const HEAVY_NAME_LENS: u64 = heavy_name_lens(defs::COMMANDS);

/// False when no heavy command has a name of this length: lets the read
/// path skip the table lookup for most commands (GET, TTL, GETRANGE ...).
#[inline]
pub fn may_be_heavy(name: &[u8]) -> bool {
    HEAVY_NAME_LENS & (1u64 << name.len().min(63)) != 0
}

/// The small dense id of a heavy command (its index in [`HEAVY`]), `None`
/// for every other command.
pub fn heavy_id(spec: &CommandSpec) -> Option<usize> {
    if !spec.heavy {
        return None;
    }
    HEAVY.iter().position(|n| *n == spec.name)
}

/// Finds a top-level command, ASCII case-insensitively, without allocating.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return None;
    }
    let mask = INDEX.len() - 1;
    let mut pos = (hash_folded(name) as usize) & mask;
    for _ in 0..INDEX.len() {
        let slot = *INDEX.get(pos)?;
        let spec = defs::COMMANDS.get(usize::from(slot))?;
        if spec.name.as_bytes().eq_ignore_ascii_case(name) {
            return Some(spec);
        }
        pos = (pos + 1) & mask;
    }
    None
}

/// Finds `sub` among `spec`'s subcommands, ASCII case-insensitively.
pub fn lookup_subcommand(spec: &CommandSpec, sub: &[u8]) -> Option<&'static CommandSpec> {
    // `spec` may be a copy, but its `subcommands` slice is the static one.
    let subs: &'static [CommandSpec] = spec.subcommands;
    subs.iter()
        .find(|s| s.declared_name().as_bytes().eq_ignore_ascii_case(sub))
}

/// Finds a command by the name `COMMAND INFO`/`DOCS` accept: `get` or
/// `client|list` (Redis's `lookupCommandBySds`).
pub fn lookup_full_name(name: &[u8]) -> Option<&'static CommandSpec> {
    match name.iter().position(|&b| b == b'|') {
        None => lookup(name),
        Some(bar) => {
            let (base, rest) = name.split_at(bar);
            let sub = rest.get(1..)?;
            if sub.contains(&b'|') {
                return None;
            }
            lookup_subcommand(lookup(base)?, sub)
        }
    }
}

/// The dispatch step of Redis's `processCommand`: finds the command (or, for
/// a container given a second argument, its subcommand) and checks arity,
/// with Redis's error replies for an unknown command, an unknown
/// subcommand, and a wrong argument count, in that order. The one place
/// arity is checked.
pub fn resolve(argv: &[Bytes]) -> Result<&'static CommandSpec, Reply> {
    let name = argv.first().map(|b| b.as_ref()).unwrap_or(b"");
    resolve_from(lookup(name), argv)
}

/// [`resolve`] with the top-level lookup already done (dispatch looks the
/// name up first to check visibility).
pub fn resolve_from(
    base: Option<&'static CommandSpec>,
    argv: &[Bytes],
) -> Result<&'static CommandSpec, Reply> {
    let Some(base) = base else {
        let name = argv.first().map(|b| b.as_ref()).unwrap_or(b"");
        return Err(errors::unknown_command(name, argv.get(1..).unwrap_or(&[])));
    };
    let spec = match argv.get(1) {
        Some(sub) if base.is_container() => match lookup_subcommand(base, sub) {
            Some(spec) => spec,
            None => return Err(errors::unknown_subcommand(base.name, sub)),
        },
        _ => base,
    };
    check_arity(spec, argv.len())?;
    Ok(spec)
}

/// The entry `argv` names (a container's subcommand when argv has one),
/// without checking arity: how apply and the executors find a handler for
/// a command dispatch already checked.
pub fn find(argv: &[Bytes]) -> Option<&'static CommandSpec> {
    let base = lookup(argv.first()?)?;
    match argv.get(1) {
        Some(sub) if base.is_container() => lookup_subcommand(base, sub),
        _ => Some(base),
    }
}

/// Redis's dispatch-time arity check: `argc` counts the command name (and
/// the container's name for subcommands).
pub fn check_arity(spec: &CommandSpec, argc: usize) -> Result<(), Reply> {
    if arity_ok(spec.arity, argc) {
        Ok(())
    } else {
        Err(errors::arity(spec.name))
    }
}

fn arity_ok(arity: i32, argc: usize) -> bool {
    let argc = i64::try_from(argc).unwrap_or(i64::MAX);
    let arity = i64::from(arity);
    if arity >= 0 {
        argc == arity
    } else {
        argc >= -arity
    }
}

/// Positions of the keys in `argv` (argv[0] is the command name), from the
/// legacy first/last/step range. Positions past the end are skipped, so a
/// short argv gives fewer keys rather than a panic; the command itself
/// reports the arity or syntax error.
pub fn key_indexes(spec: &CommandSpec, argv: &[Bytes]) -> Vec<usize> {
    key_positions(spec, argv.len()).collect()
}

/// Every key position of `argv`: [`key_positions`], or for a command
/// whose keys move (`movablekeys`: ZUNIONSTORE's numkeys, XREAD's STREAMS,
/// GEORADIUS's STORE) the positions its key specs find, as Redis's
/// `COMMAND GETKEYS` does. Routing needs them all: a key it missed could
/// live in another group.
pub fn routing_key_indexes(spec: &CommandSpec, argv: &[Bytes]) -> Vec<usize> {
    all_key_positions(spec, argv).collect()
}

/// [`routing_key_indexes`] as an iterator: allocation-free for the
/// commands whose keys sit in the legacy range (every request is routed,
/// every write prefetched, through here).
pub fn all_key_positions(spec: &CommandSpec, argv: &[Bytes]) -> KeyPositions {
    if spec.has_flag("movablekeys") {
        KeyPositions::Found(
            keys_with_flags(spec, argv)
                .map(|ks| ks.into_iter().map(|(i, _)| i).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter(),
        )
    } else {
        KeyPositions::Legacy(key_positions(spec, argv.len()))
    }
}

/// The key positions [`all_key_positions`] yields.
pub enum KeyPositions {
    Legacy(std::iter::StepBy<std::ops::RangeInclusive<usize>>),
    Found(std::vec::IntoIter<usize>),
}

impl Iterator for KeyPositions {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        match self {
            KeyPositions::Legacy(i) => i.next(),
            KeyPositions::Found(i) => i.next(),
        }
    }
}

/// [`key_indexes`] without the allocation: the positions of the keys in an
/// argv of `argc` elements (empty when the command has none or argv is short).
pub fn key_positions(
    spec: &CommandSpec,
    argc: usize,
) -> std::iter::StepBy<std::ops::RangeInclusive<usize>> {
    let step = usize::try_from(spec.step.max(1)).unwrap_or(1);
    #[allow(clippy::reversed_empty_ranges)]
    let empty = (1..=0).step_by(step);
    let Ok(first) = usize::try_from(spec.first_key) else {
        return empty;
    };
    if first == 0 || argc == 0 {
        return empty;
    }
    let last = if spec.last_key < 0 {
        let back = usize::try_from(-i64::from(spec.last_key)).unwrap_or(usize::MAX);
        match argc.checked_sub(back) {
            Some(l) => l,
            None => return empty,
        }
    } else {
        usize::try_from(spec.last_key).unwrap_or(0)
    };
    let last = last.min(argc - 1);
    if last < first {
        return empty;
    }
    (first..=last).step_by(step)
}

/// Keys found through the key specs, each with its spec's flags (what
/// `COMMAND GETKEYSANDFLAGS` reports). `None` when the specs do not fit
/// argv (Redis's `invalid_spec`).
pub fn keys_with_flags(
    spec: &CommandSpec,
    argv: &[Bytes],
) -> Option<Vec<(usize, &'static [&'static str])>> {
    let mut out = Vec::new();
    visit_keys_with_flags(spec, argv, &mut |i, flags| {
        out.push((i, flags));
        true
    })?;
    Some(out)
}

/// [`keys_with_flags`] without the list (the ACL check runs it on every
/// command of a restricted user): `visit` gets each key position and its
/// spec's flags until it returns false (then `Some(false)`). `None` when
/// the specs do not fit argv, possibly after some keys were visited.
pub fn visit_keys_with_flags(
    spec: &CommandSpec,
    argv: &[Bytes],
    visit: &mut dyn FnMut(usize, &'static [&'static str]) -> bool,
) -> Option<bool> {
    let argc = i64::try_from(argv.len()).ok()?;
    for ks in spec.key_specs {
        if ks.flags.contains(&"not_key") {
            continue;
        }
        let mut first = match ks.begin_search {
            BeginSearch::Index(pos) => i64::from(pos),
            BeginSearch::Keyword {
                keyword,
                start_from,
            } => {
                let start = i64::from(start_from);
                let (from, backwards) = if start > 0 {
                    (start, false)
                } else {
                    (argc + start, true)
                };
                let mut found = None;
                let mut i = from;
                while i >= 1 && i < argc {
                    let arg = argv.get(usize::try_from(i).ok()?)?;
                    if arg.eq_ignore_ascii_case(keyword.as_bytes()) {
                        found = Some(i + 1);
                        break;
                    }
                    i += if backwards { -1 } else { 1 };
                }
                match found {
                    Some(f) => f,
                    None => continue,
                }
            }
            BeginSearch::Unknown => return None,
        };
        let (last, step) = match ks.find_keys {
            FindKeys::Range {
                last_key,
                key_step,
                limit,
            } => {
                let last_key = i64::from(last_key);
                let last = if last_key >= 0 {
                    first + last_key
                } else if limit == 0 {
                    argc + last_key
                } else {
                    first + ((argc - first) / i64::from(limit) + last_key)
                };
                (last, key_step)
            }
            FindKeys::KeyNum {
                key_num_idx,
                first_key,
                key_step,
            } => {
                let at = usize::try_from(first + i64::from(key_num_idx)).ok()?;
                let num = std::str::from_utf8(argv.get(at)?)
                    .ok()?
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)?;
                first += i64::from(first_key);
                (first + num - 1, key_step)
            }
            FindKeys::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let step = usize::try_from(step.max(1)).ok()?;
        for i in (first..=last).step_by(step) {
            if !visit(usize::try_from(i).ok()?, ks.flags) {
                return Some(false);
            }
        }
    }
    Some(true)
}

// ---------------------------------------------------------------------------
// COMMAND family

/// The reply to any `COMMAND ...` request (argv[0] is `COMMAND`).
/// The reply to any `COMMAND ...` request (argv[0] is `COMMAND`), with
/// dispatch's checks.
pub fn command_reply(argv: &[Bytes]) -> Reply {
    match resolve(argv) {
        Ok(CommandSpec {
            handler: Handler::Server(ServerCmd::Command(sub)),
            ..
        }) => command(*sub, argv),
        Ok(_) => errors::unknown_command(
            argv.first().map_or(&[][..], |a| a.as_ref()),
            argv.get(1..).unwrap_or(&[]),
        ),
        Err(e) => e,
    }
}

/// Runs `COMMAND`'s form `sub` (dispatch resolved argv and checked arity).
pub fn command(sub: CommandSub, argv: &[Bytes]) -> Reply {
    let args = argv.get(2..).unwrap_or(&[]);
    match sub {
        CommandSub::All => Reply::Array(listed().map(info_entry).collect()),
        CommandSub::Count => Reply::Integer(i64::try_from(listed().count()).unwrap_or(i64::MAX)),
        CommandSub::Info => command_info(args),
        CommandSub::Docs => command_docs(args),
        CommandSub::List => command_list(args),
        CommandSub::GetKeys => command_getkeys(args, false),
        CommandSub::GetKeysAndFlags => command_getkeys(args, true),
        CommandSub::Help => help_reply(
            argv.first().map(|b| b.as_ref()).unwrap_or(b"command"),
            COMMAND_HELP,
        ),
    }
}

/// [`lookup_full_name`] restricted to what `COMMAND` may reveal.
fn lookup_listed(name: &[u8]) -> Option<&'static CommandSpec> {
    lookup_full_name(name).filter(|s| s.is_listed())
}

const COMMAND_HELP: &[&str] = &[
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
];

/// Redis's `addReplyHelp`: a header naming the command in upper case, the
/// given lines, then the HELP line, all as simple strings. Shared by every
/// `... HELP` subcommand.
pub fn help_reply(command: &[u8], lines: &[&str]) -> Reply {
    let name = String::from_utf8_lossy(command).to_ascii_uppercase();
    let mut out = Vec::with_capacity(lines.len() + 3);
    out.push(simple(&format!(
        "{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    )));
    out.extend(lines.iter().map(|l| simple(l)));
    out.push(simple("HELP"));
    out.push(simple("    Prints this help."));
    Reply::Array(out)
}

fn command_info(names: &[Bytes]) -> Reply {
    if names.is_empty() {
        return Reply::Array(listed().map(info_entry).collect());
    }
    Reply::Array(
        names
            .iter()
            .map(|n| lookup_listed(n).map_or(Reply::Nil, info_entry))
            .collect(),
    )
}

fn command_docs(names: &[Bytes]) -> Reply {
    let specs: Vec<&CommandSpec> = if names.is_empty() {
        listed().collect()
    } else {
        names.iter().filter_map(|n| lookup_listed(n)).collect()
    };
    Reply::Map(
        specs
            .into_iter()
            .map(|s| (bulk(s.name), docs_entry(s)))
            .collect(),
    )
}

enum ListFilter<'a> {
    None,
    Module,
    AclCat(&'a [u8]),
    Pattern(&'a [u8]),
}

fn command_list(args: &[Bytes]) -> Reply {
    let filter = match args {
        [] => ListFilter::None,
        [by, kind, value] if by.eq_ignore_ascii_case(b"filterby") => {
            if kind.eq_ignore_ascii_case(b"module") {
                ListFilter::Module
            } else if kind.eq_ignore_ascii_case(b"aclcat") {
                ListFilter::AclCat(value)
            } else if kind.eq_ignore_ascii_case(b"pattern") {
                ListFilter::Pattern(value)
            } else {
                return errors::err(errors::SYNTAX);
            }
        }
        _ => return errors::err(errors::SYNTAX),
    };
    let keep = |spec: &CommandSpec| match &filter {
        ListFilter::None => true,
        // No modules exist, so no command belongs to one.
        ListFilter::Module => false,
        ListFilter::AclCat(cat) => spec.acl_categories.iter().any(|c| {
            c.strip_prefix('@')
                .is_some_and(|c| c.as_bytes().eq_ignore_ascii_case(cat))
        }),
        ListFilter::Pattern(p) => glob_match(p, spec.name.as_bytes(), true),
    };
    let mut out = Vec::new();
    for spec in listed() {
        if keep(spec) {
            out.push(bulk(spec.name));
        }
        for sub in spec.subcommands {
            if keep(sub) {
                out.push(bulk(sub.name));
            }
        }
    }
    Reply::Array(out)
}

/// `COMMAND GETKEYS cmd args...` (`args` starts at `cmd`), with Redis's
/// checks in Redis's order.
fn command_getkeys(args: &[Bytes], with_flags: bool) -> Reply {
    let Some(name) = args.first() else {
        return errors::err(GETKEYS_INVALID_COMMAND);
    };
    let Some(base) = lookup(name).filter(|s| s.is_listed()) else {
        return errors::err(GETKEYS_INVALID_COMMAND);
    };
    let spec = match args.get(1) {
        Some(sub) if base.is_container() => match lookup_subcommand(base, sub) {
            Some(s) => s,
            None => return errors::err(GETKEYS_INVALID_COMMAND),
        },
        _ => base,
    };
    if !spec.has_keys() {
        return errors::err(GETKEYS_NO_KEYS);
    }
    if !arity_ok(spec.arity, args.len()) {
        return errors::err(GETKEYS_BAD_ARITY);
    }
    let keys = match keys_with_flags(spec, args) {
        Some(keys) if !keys.is_empty() => keys,
        _ => return errors::err(GETKEYS_INVALID_ARGS),
    };
    Reply::Array(
        keys.into_iter()
            .filter_map(|(i, flags)| {
                let key = Reply::Bulk(args.get(i)?.clone());
                Some(if with_flags {
                    Reply::Array(vec![key, simple_set(flags)])
                } else {
                    key
                })
            })
            .collect(),
    )
}

/// One `COMMAND INFO` element, shaped exactly like Redis 7.0's
/// `addReplyCommandInfo`.
pub fn info_entry(spec: &CommandSpec) -> Reply {
    let subcommands = if spec.is_container() {
        Reply::Array(spec.subcommands.iter().map(info_entry).collect())
    } else {
        // Redis replies an empty *set* when there are no subcommands.
        Reply::Set(Vec::new())
    };
    Reply::Array(vec![
        bulk(spec.name),
        Reply::Integer(i64::from(spec.arity)),
        simple_set(spec.flags),
        Reply::Integer(i64::from(spec.first_key)),
        Reply::Integer(i64::from(spec.last_key)),
        Reply::Integer(i64::from(spec.step)),
        simple_set(spec.acl_categories),
        Reply::Set(spec.tips.iter().map(|t| bulk(t)).collect()),
        Reply::Set(spec.key_specs.iter().map(key_spec_reply).collect()),
        subcommands,
    ])
}

fn key_spec_reply(ks: &KeySpec) -> Reply {
    let mut map = Vec::with_capacity(4);
    if let Some(notes) = ks.notes {
        map.push((bulk("notes"), bulk(notes)));
    }
    map.push((bulk("flags"), simple_set(ks.flags)));
    let begin = match ks.begin_search {
        BeginSearch::Index(pos) => typed("index", vec![int_field("index", pos)]),
        BeginSearch::Keyword {
            keyword,
            start_from,
        } => typed(
            "keyword",
            vec![
                (bulk("keyword"), bulk(keyword)),
                int_field("startfrom", start_from),
            ],
        ),
        BeginSearch::Unknown => typed("unknown", Vec::new()),
    };
    map.push((bulk("begin_search"), begin));
    let find = match ks.find_keys {
        FindKeys::Range {
            last_key,
            key_step,
            limit,
        } => typed(
            "range",
            vec![
                int_field("lastkey", last_key),
                int_field("keystep", key_step),
                int_field("limit", limit),
            ],
        ),
        FindKeys::KeyNum {
            key_num_idx,
            first_key,
            key_step,
        } => typed(
            "keynum",
            vec![
                int_field("keynumidx", key_num_idx),
                int_field("firstkey", first_key),
                int_field("keystep", key_step),
            ],
        ),
        FindKeys::Unknown => typed("unknown", Vec::new()),
    };
    map.push((bulk("find_keys"), find));
    Reply::Map(map)
}

fn typed(kind: &str, spec: Vec<(Reply, Reply)>) -> Reply {
    Reply::Map(vec![
        (bulk("type"), bulk(kind)),
        (bulk("spec"), Reply::Map(spec)),
    ])
}

fn int_field(name: &str, value: i32) -> (Reply, Reply) {
    (bulk(name), Reply::Integer(i64::from(value)))
}

/// One `COMMAND DOCS` value, shaped like Redis 7.0's `addReplyCommandDocs`.
pub fn docs_entry(spec: &CommandSpec) -> Reply {
    let mut map = Vec::with_capacity(10);
    let text = |k: &str, v: &str| (bulk(k), bulk(v));
    if !spec.summary.is_empty() {
        map.push(text("summary", spec.summary));
    }
    if !spec.since.is_empty() {
        map.push(text("since", spec.since));
    }
    map.push(text("group", spec.group));
    if !spec.complexity.is_empty() {
        map.push(text("complexity", spec.complexity));
    }
    if !spec.doc_flags.is_empty() {
        map.push((bulk("doc_flags"), simple_set(spec.doc_flags)));
    }
    if let Some(v) = spec.deprecated_since {
        map.push(text("deprecated_since", v));
    }
    if let Some(v) = spec.replaced_by {
        map.push(text("replaced_by", v));
    }
    if !spec.history.is_empty() {
        let history = spec
            .history
            .iter()
            .map(|(version, change)| Reply::Array(vec![bulk(version), bulk(change)]))
            .collect();
        map.push((bulk("history"), Reply::Set(history)));
    }
    if !spec.args.is_empty() {
        map.push((bulk("arguments"), args_reply(spec.args)));
    }
    if spec.is_container() {
        let subs = spec
            .subcommands
            .iter()
            .map(|s| (bulk(s.name), docs_entry(s)))
            .collect();
        map.push((bulk("subcommands"), Reply::Map(subs)));
    }
    Reply::Map(map)
}

fn args_reply(args: &[Arg]) -> Reply {
    Reply::Array(
        args.iter()
            .map(|a| {
                let mut map = vec![
                    (bulk("name"), bulk(a.name)),
                    (bulk("type"), bulk(a.kind.as_str())),
                ];
                if let Some(i) = a.key_spec_index {
                    map.push((bulk("key_spec_index"), Reply::Integer(i64::from(i))));
                }
                let optional = [
                    ("token", a.token),
                    ("summary", a.summary),
                    ("since", a.since),
                    ("deprecated_since", a.deprecated_since),
                ];
                for (k, v) in optional {
                    if let Some(v) = v {
                        map.push((bulk(k), bulk(v)));
                    }
                }
                if a.flag_bits != 0 {
                    map.push((bulk("flags"), Reply::Set(a.flags().map(simple).collect())));
                }
                if matches!(a.kind, ArgType::OneOf | ArgType::Block) {
                    map.push((bulk("arguments"), args_reply(a.args)));
                }
                Reply::Map(map)
            })
            .collect(),
    )
}

fn bulk(s: &str) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

fn simple(s: &str) -> Reply {
    Reply::Simple(s.to_string())
}

fn simple_set(items: &[&str]) -> Reply {
    Reply::Set(items.iter().map(|s| simple(s)).collect())
}

/// Redis's `stringmatchlen` glob: `*`, `?`, `[...]` with `^` and ranges,
/// and `\` escapes. Iterative with one backtrack point, so it is
/// O(pattern * string) and cannot blow the stack.
fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let fold = |b: u8| if nocase { b.to_ascii_lowercase() } else { b };
    let (mut p, mut s) = (0usize, 0usize);
    // Pattern position after the last `*`, and the string position it
    // has consumed up to.
    let mut star: Option<(usize, usize)> = None;
    while s < string.len() {
        let c = string.get(s).copied().map(fold).unwrap_or(0);
        let step = match pattern.get(p) {
            Some(b'*') => {
                let mut next = p + 1;
                while pattern.get(next) == Some(&b'*') {
                    next += 1;
                }
                star = Some((next, s));
                p = next;
                continue;
            }
            Some(b'?') => Some(p + 1),
            Some(b'[') => {
                let (matched, end) = match_class(pattern, p + 1, c, fold);
                matched.then_some(end)
            }
            Some(b'\\') if p + 1 < pattern.len() => {
                (pattern.get(p + 1).copied().map(fold) == Some(c)).then_some(p + 2)
            }
            Some(&lit) => (fold(lit) == c).then_some(p + 1),
            None => None,
        };
        match step {
            Some(next) => {
                p = next;
                s += 1;
            }
            None => match star {
                Some((sp, ss)) => {
                    star = Some((sp, ss + 1));
                    p = sp;
                    s = ss + 1;
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).unwrap_or(&[]).iter().all(|&b| b == b'*')
}

/// Matches `c` against the class starting at `start` (just after `[`);
/// returns whether it matched and the pattern position after the class.
fn match_class(pattern: &[u8], start: usize, c: u8, fold: impl Fn(u8) -> u8) -> (bool, usize) {
    let mut p = start;
    let negate = pattern.get(p) == Some(&b'^');
    if negate {
        p += 1;
    }
    let mut matched = false;
    loop {
        match pattern.get(p) {
            // An unterminated class ends at the end of the pattern, as in Redis.
            None => break,
            Some(b']') => {
                p += 1;
                break;
            }
            Some(b'\\') if p + 1 < pattern.len() => {
                if pattern.get(p + 1).copied().map(&fold) == Some(c) {
                    matched = true;
                }
                p += 2;
            }
            Some(&lo) if pattern.get(p + 1) == Some(&b'-') && p + 2 < pattern.len() => {
                let hi = pattern.get(p + 2).copied().unwrap_or(lo);
                let (lo, hi) = (fold(lo), fold(hi));
                let (lo, hi) = if lo > hi { (hi, lo) } else { (lo, hi) };
                if (lo..=hi).contains(&c) {
                    matched = true;
                }
                p += 3;
            }
            Some(&b) => {
                if fold(b) == c {
                    matched = true;
                }
                p += 1;
            }
        }
    }
    (matched != negate, p)
}

// ---------------------------------------------------------------------------
// Compile-time name index

/// Longest top-level name; longer input cannot be a command.
const MAX_NAME_LEN: usize = max_name_len(defs::COMMANDS);
const INDEX_LEN: usize = (defs::COMMANDS.len() * 4).next_power_of_two();
const EMPTY: u16 = u16::MAX;

/// Open-addressing table of indexes into `defs::COMMANDS`, keyed by the
/// case-folded FNV-1a hash of the name. Built by the compiler; a duplicate
/// name fails the build.
static INDEX: [u16; INDEX_LEN] = build_index(defs::COMMANDS);

const fn max_name_len(cmds: &[CommandSpec]) -> usize {
    let mut max = 0;
    let mut i = 0;
    while i < cmds.len() {
        if cmds[i].name.len() > max {
            max = cmds[i].name.len();
        }
        i += 1;
    }
    max
}

const fn count_heavy(cmds: &[CommandSpec]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < cmds.len() {
        if cmds[i].heavy {
            n += 1;
        }
        i += 1;
    }
    n
}

const fn heavy_name_lens(cmds: &[CommandSpec]) -> u64 {
    let mut mask = 0u64;
    let mut i = 0;
    while i < cmds.len() {
        if cmds[i].heavy {
            let len = cmds[i].name.len();
            mask |= 1u64 << if len < 63 { len } else { 63 };
        }
        i += 1;
    }
    mask
}

const fn heavy_names(cmds: &[CommandSpec]) -> [&'static str; HEAVY_COUNT] {
    let mut out = [""; HEAVY_COUNT];
    let mut n = 0;
    let mut i = 0;
    while i < cmds.len() {
        if cmds[i].heavy {
            out[n] = cmds[i].name;
            n += 1;
        }
        i += 1;
    }
    out
}

const fn hash_folded(name: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < name.len() {
        h ^= name[i].to_ascii_lowercase() as u32;
        h = h.wrapping_mul(0x0100_0193);
        i += 1;
    }
    h
}

const fn const_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn build_index(cmds: &[CommandSpec]) -> [u16; INDEX_LEN] {
    assert!(
        cmds.len() < EMPTY as usize,
        "too many commands for a u16 index"
    );
    let mut index = [EMPTY; INDEX_LEN];
    let mut i = 0;
    while i < cmds.len() {
        let name = cmds[i].name.as_bytes();
        let mut pos = (hash_folded(name) as usize) & (INDEX_LEN - 1);
        while index[pos] != EMPTY {
            assert!(
                !const_eq(cmds[index[pos] as usize].name.as_bytes(), name),
                "duplicate command name in the table"
            );
            pos = (pos + 1) & (INDEX_LEN - 1);
        }
        index[pos] = i as u16;
        i += 1;
    }
    index
}

#[cfg(test)]
mod tests;
