//! Users and permissions as Redis 7.0 has them (`src/acl.c`), the pure
//! model: a user's rules (`ACL SETUSER` operations) applied to its command
//! bitmap, key and channel patterns and passwords; the user described back
//! as rules (`ACL LIST`, the ACL file); the permission check a command
//! passes before dispatch; the ACL file format; and the changes the meta
//! group's state machine applies on every node ([`apply_op`]).
//!
//! Commands are numbered over the command table (subcommands included,
//! corekv's internal commands left out: members' links are not subject to
//! ACL), so a user's command rules are one bitmap test per request.
//! Selectors (`(...)`) are not supported.

use crate::cmd::glob_match;
use crate::table::{self, CommandSpec};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

/// Redis's ACL categories, in `ACL CAT` order.
pub const CATEGORIES: [&str; 21] = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

const PERM_READ: u8 = 1;
const PERM_WRITE: u8 = 2;
const PERM_ALL: u8 = PERM_READ | PERM_WRITE;

pub const NOAUTH: &str = "NOAUTH Authentication required.";
pub const HELLO_NOAUTH: &str = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
pub const NO_ACL_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";
pub const AUTH_NO_PASSWORD: &str = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";

/// Every command an ACL rule can name, numbered.
struct Commands {
    specs: Vec<&'static CommandSpec>,
    /// Subcommand ids of a container (empty otherwise).
    children: Vec<Vec<usize>>,
    /// Whether the id is a subcommand.
    is_sub: Vec<bool>,
    /// Full lowercase name (`get`, `client|list`) → id.
    by_name: HashMap<&'static str, usize>,
    /// (entry address, id), sorted: the per-command lookup hashes nothing.
    by_addr: Vec<(usize, usize)>,
    /// Ids carrying each category of [`CATEGORIES`], in table order.
    cats: Vec<Vec<usize>>,
}

fn commands() -> &'static Commands {
    static CMDS: OnceLock<Commands> = OnceLock::new();
    CMDS.get_or_init(|| {
        let mut c = Commands {
            specs: Vec::new(),
            children: Vec::new(),
            is_sub: Vec::new(),
            by_name: HashMap::new(),
            by_addr: Vec::new(),
            cats: vec![Vec::new(); CATEGORIES.len()],
        };
        let add = |c: &mut Commands, s: &'static CommandSpec, sub: bool| {
            let id = c.specs.len();
            c.specs.push(s);
            c.children.push(Vec::new());
            c.is_sub.push(sub);
            c.by_name.insert(s.name, id);
            c.by_addr.push((std::ptr::from_ref(s) as usize, id));
            for cat in s.acl_categories {
                if let Some(i) = CATEGORIES
                    .iter()
                    .position(|x| cat.strip_prefix('@') == Some(*x))
                    && let Some(v) = c.cats.get_mut(i)
                {
                    v.push(id);
                }
            }
            id
        };
        // corekv's own commands (COREKV.*) are for members and tests, not
        // for ACL rules.
        let redis = |s: &&CommandSpec| !s.is_internal() && !s.name.starts_with("corekv.");
        for s in table::all().iter().filter(redis) {
            let id = add(&mut c, s, false);
            let subs: &'static [CommandSpec] = s.subcommands;
            for sub in subs {
                let sid = add(&mut c, sub, true);
                if let Some(ch) = c.children.get_mut(id) {
                    ch.push(sid);
                }
            }
        }
        c.by_addr.sort_unstable();
        c
    })
}

/// The ACL id of a table entry (`None`: internal, not subject to ACL).
pub fn command_id(spec: &CommandSpec) -> Option<usize> {
    let c = commands();
    let addr = std::ptr::from_ref(spec) as usize;
    match c.by_addr.binary_search_by_key(&addr, |&(a, _)| a) {
        Ok(i) => c.by_addr.get(i).map(|&(_, id)| id),
        // A copy of an entry (tests): by name.
        Err(_) => c.by_name.get(spec.name).copied(),
    }
}

fn lookup(name: &[u8]) -> Option<usize> {
    let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
    commands().by_name.get(lower.as_str()).copied()
}

/// Category index of `name` (without the `@`).
pub fn category(name: &[u8]) -> Option<usize> {
    CATEGORIES
        .iter()
        .position(|c| c.as_bytes().eq_ignore_ascii_case(name))
}

/// `ACL CAT <category>`: the commands of category `cat`, full names.
pub fn category_commands(cat: usize) -> Vec<&'static str> {
    let c = commands();
    c.cats
        .get(cat)
        .map(|ids| {
            ids.iter()
                .filter_map(|&i| c.specs.get(i).map(|s| s.name))
                .collect()
        })
        .unwrap_or_default()
}

/// SHA-256 of `pass`, lowercase hex: how Redis stores passwords.
pub fn hash_password(pass: &[u8]) -> String {
    let digest = Sha256::digest(pass);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn valid_hash(h: &[u8]) -> bool {
    h.len() == 64 && h.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// Redis's `ACLStringHasSpaces`.
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&c| c == 0 || c.is_ascii_whitespace() || c == 0x0b)
}

/// Why a rule was refused (Redis's errno cases of `ACLSetUser`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    Syntax,
    UnknownCommand,
    KeyAfterAll,
    ChannelAfterAll,
    NoSuchPassword,
    BadHash,
    FirstArgOfSubcommand,
}

impl RuleError {
    /// `ACLSetUserStringError`.
    pub fn message(self) -> &'static str {
        match self {
            RuleError::Syntax => "Syntax error",
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
            }
            RuleError::FirstArgOfSubcommand => {
                "Allowing first-arg of a subcommand is not supported"
            }
        }
    }
}

/// Why a command was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    Command,
    /// The argv position of the first key refused.
    Key(usize),
    /// The argv position of the channel refused.
    Channel(usize),
}

impl Denied {
    /// The `-NOPERM` reply text (`processCommand`); `name` is the
    /// command's full name.
    pub fn error(self, name: &str) -> String {
        match self {
            Denied::Command => {
                format!("NOPERM this user has no permissions to run the '{name}' command")
            }
            Denied::Key(_) => {
                "NOPERM this user has no permissions to access one of the keys used as arguments"
                    .into()
            }
            Denied::Channel(_) => {
                "NOPERM this user has no permissions to access one of the channels used as arguments"
                    .into()
            }
        }
    }

    /// The ACL LOG reason.
    pub fn reason(self) -> &'static str {
        match self {
            Denied::Command => "command",
            Denied::Key(_) => "key",
            Denied::Channel(_) => "channel",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sanitize {
    Unset,
    Skip,
    On,
}

/// One user: flags, passwords and its (root selector's) permissions.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub name: String,
    enabled: bool,
    nopass: bool,
    sanitize: Sanitize,
    /// SHA-256 hex, in the order added.
    passwords: Vec<String>,
    /// One bit per command id, plus the last: "future commands" (set only by
    /// `+@all`/`allcommands`).
    bits: Vec<u64>,
    /// Redis's SELECTOR_FLAG_ALLCOMMANDS: no bit test at all.
    allcommands: bool,
    /// Allowed first arguments of an otherwise refused command (`+select|0`).
    firstargs: BTreeMap<usize, Vec<String>>,
    keys: Vec<(Vec<u8>, u8)>,
    allkeys: bool,
    channels: Vec<Vec<u8>>,
    allchannels: bool,
}

fn nbits() -> usize {
    commands().specs.len() + 1
}

impl User {
    /// A new user as `ACLCreateUser` makes it: off, no passwords, no
    /// commands, keys or channels.
    pub fn new(name: &str) -> User {
        User {
            name: name.to_string(),
            enabled: false,
            nopass: false,
            sanitize: Sanitize::Unset,
            passwords: Vec::new(),
            bits: vec![0; nbits().div_ceil(64)],
            allcommands: false,
            firstargs: BTreeMap::new(),
            keys: Vec::new(),
            allkeys: false,
            channels: Vec::new(),
            allchannels: false,
        }
    }

    /// The `default` user of a fresh server: everything, no password.
    pub fn default_user() -> User {
        let mut u = User::new("default");
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = u.set(op.as_bytes());
        }
        u
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn nopass(&self) -> bool {
        self.nopass
    }

    /// Runs every command on every key and channel: the check is skipped.
    pub fn unrestricted(&self) -> bool {
        self.allcommands && self.allkeys && self.allchannels
    }

    fn bit(&self, id: usize) -> bool {
        self.bits
            .get(id / 64)
            .is_some_and(|w| w & (1u64 << (id % 64)) != 0)
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        if let Some(w) = self.bits.get_mut(id / 64) {
            if on {
                *w |= 1u64 << (id % 64);
            } else {
                *w &= !(1u64 << (id % 64));
                self.allcommands = false;
            }
        }
    }

    fn future(&self) -> bool {
        self.bit(nbits() - 1)
    }

    /// `ACLChangeSelectorPerm`: a container's subcommands follow it.
    fn change_perm(&mut self, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.firstargs.remove(&id);
        if let Some(children) = commands().children.get(id) {
            for &c in children {
                self.set_bit(c, allow);
            }
        }
    }

    fn set_category(&mut self, cat: usize, allow: bool) {
        if let Some(ids) = commands().cats.get(cat) {
            for &id in ids {
                self.change_perm(id, allow);
            }
        }
    }

    fn set_all(&mut self, on: bool) {
        let fill = if on { u64::MAX } else { 0 };
        self.bits.iter_mut().for_each(|w| *w = fill);
        self.allcommands = on;
        self.firstargs.clear();
    }

    /// Applies one `ACL SETUSER` rule (Redis's `ACLSetUser`).
    pub fn set(&mut self, op: &[u8]) -> Result<(), RuleError> {
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        let rest = op.get(1..).unwrap_or(&[]);
        match op.first() {
            None => return Ok(()),
            _ if is("on") => self.enabled = true,
            _ if is("off") => self.enabled = false,
            _ if is("skip-sanitize-payload") => self.sanitize = Sanitize::Skip,
            _ if is("sanitize-payload") => self.sanitize = Sanitize::On,
            _ if is("nopass") => {
                self.nopass = true;
                self.passwords.clear();
            }
            _ if is("resetpass") => {
                self.nopass = false;
                self.passwords.clear();
            }
            Some(b'>' | b'#') => {
                let hash = if op.first() == Some(&b'>') {
                    hash_password(rest)
                } else if valid_hash(rest) {
                    String::from_utf8_lossy(rest).into_owned()
                } else {
                    return Err(RuleError::BadHash);
                };
                if !self.passwords.contains(&hash) {
                    self.passwords.push(hash);
                }
                self.nopass = false;
            }
            Some(b'<' | b'!') => {
                let hash = if op.first() == Some(&b'<') {
                    hash_password(rest)
                } else if valid_hash(rest) {
                    String::from_utf8_lossy(rest).into_owned()
                } else {
                    return Err(RuleError::BadHash);
                };
                match self.passwords.iter().position(|p| *p == hash) {
                    Some(i) => {
                        self.passwords.remove(i);
                    }
                    None => return Err(RuleError::NoSuchPassword),
                }
            }
            // Selectors are not supported.
            Some(b'(') => return Err(RuleError::Syntax),
            _ if is("clearselectors") => {}
            _ if is("reset") => {
                for r in [
                    "resetpass",
                    "resetkeys",
                    "resetchannels",
                    "off",
                    "sanitize-payload",
                    "-@all",
                ] {
                    self.set(r.as_bytes())?;
                }
            }
            _ => self.set_selector(op)?,
        }
        Ok(())
    }

    /// `ACLSetSelector`: commands, keys and channels.
    fn set_selector(&mut self, op: &[u8]) -> Result<(), RuleError> {
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        let rest = op.get(1..).unwrap_or(&[]);
        if is("allkeys") || is("~*") {
            self.allkeys = true;
            self.keys.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.keys.clear();
        } else if is("allchannels") || is("&*") {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.set_all(true);
        } else if is("nocommands") || is("-@all") {
            self.set_all(false);
        } else if matches!(op.first(), Some(b'~' | b'%')) {
            if self.allkeys {
                return Err(RuleError::KeyAfterAll);
            }
            let mut flags = 0u8;
            let mut offset = 1;
            if op.first() == Some(&b'%') {
                while let Some(&c) = op.get(offset) {
                    if c.eq_ignore_ascii_case(&b'r') && flags & PERM_READ == 0 {
                        flags |= PERM_READ;
                    } else if c.eq_ignore_ascii_case(&b'w') && flags & PERM_WRITE == 0 {
                        flags |= PERM_WRITE;
                    } else if c == b'~' {
                        offset += 1;
                        break;
                    } else {
                        return Err(RuleError::Syntax);
                    }
                    offset += 1;
                }
            } else {
                flags = PERM_ALL;
            }
            let pat = op.get(offset..).unwrap_or(&[]);
            if has_spaces(pat) {
                return Err(RuleError::Syntax);
            }
            match self.keys.iter_mut().find(|(p, _)| p == pat) {
                Some((_, f)) => *f |= flags,
                None => self.keys.push((pat.to_vec(), flags)),
            }
            self.allkeys = false;
        } else if op.first() == Some(&b'&') {
            if self.allchannels {
                return Err(RuleError::ChannelAfterAll);
            }
            if has_spaces(rest) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == rest) {
                self.channels.push(rest.to_vec());
            }
            self.allchannels = false;
        } else if let (Some(sign @ (b'+' | b'-')), Some(b'@')) = (op.first(), op.get(1)) {
            let cat = category(op.get(2..).unwrap_or(&[])).ok_or(RuleError::UnknownCommand)?;
            self.set_category(cat, *sign == b'+');
        } else if op.first() == Some(&b'+') {
            match rest.iter().rposition(|&c| c == b'|') {
                None => {
                    let id = lookup(rest).filter(|&i| !is_sub(i));
                    self.change_perm(id.ok_or(RuleError::UnknownCommand)?, true);
                }
                Some(bar) => {
                    let (base, sub) = (&rest[..bar], &rest[bar + 1..]);
                    let id = lookup(base).ok_or(RuleError::UnknownCommand)?;
                    if is_sub(id) {
                        return Err(RuleError::FirstArgOfSubcommand);
                    }
                    if sub.is_empty() {
                        return Err(RuleError::Syntax);
                    }
                    if commands().children.get(id).is_some_and(|c| !c.is_empty()) {
                        let sid = lookup(rest).ok_or(RuleError::UnknownCommand)?;
                        self.change_perm(sid, true);
                    } else {
                        let sub = String::from_utf8_lossy(sub).into_owned();
                        let list = self.firstargs.entry(id).or_default();
                        if !list.iter().any(|s| s.eq_ignore_ascii_case(&sub)) {
                            list.push(sub);
                        }
                    }
                }
            }
        } else if op.first() == Some(&b'-') {
            let id = lookup(rest).ok_or(RuleError::UnknownCommand)?;
            self.change_perm(id, false);
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    /// Whether `pass` is one of the user's passwords (or it has none to
    /// check). Disabled users never match.
    pub fn check_password(&self, pass: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let h = hash_password(pass);
        // Compared in constant time, as Redis's time_independent_strcmp.
        self.passwords.iter().any(|p| {
            p.len() == h.len()
                && p.bytes()
                    .zip(h.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        })
    }

    /// Whether the user may publish to `channel` (`is_pattern` false) or
    /// subscribe to it (`SUBSCRIBE`/`SSUBSCRIBE`: false; `PSUBSCRIBE`:
    /// true, where the pattern must equal an allowed pattern literally), as
    /// Redis's `ACLCheckChannelAgainstList`.
    pub fn check_channel(&self, channel: &[u8], is_pattern: bool) -> bool {
        if self.allchannels {
            return true;
        }
        self.channels.iter().any(|p| {
            if is_pattern {
                p.as_slice() == channel
            } else {
                glob_match(p, channel, false)
            }
        })
    }

    /// Whether the user may touch `key` with the access `flags` of a key
    /// spec (`ACLSelectorCheckKey`).
    pub fn check_key(&self, key: &[u8], spec_flags: &[&str]) -> bool {
        if self.allkeys {
            return true;
        }
        let mut need = 0u8;
        for f in spec_flags {
            match *f {
                "access" => need |= PERM_READ,
                "insert" | "delete" | "update" => need |= PERM_WRITE,
                _ => {}
            }
        }
        self.keys
            .iter()
            .any(|(p, f)| f & need == need && glob_match(p, key, false))
    }

    /// Redis's `ACLSelectorCheckCmd` for `spec` (the resolved entry: a
    /// container's subcommand when argv names one). Channels are checked by
    /// the pub/sub commands themselves ([`User::check_channel`]).
    pub fn check(&self, spec: &CommandSpec, argv: &[Bytes]) -> Result<(), Denied> {
        if self.unrestricted() {
            return Ok(());
        }
        let Some(id) = command_id(spec) else {
            return Ok(());
        };
        if !self.allcommands && !self.bit(id) && !spec.has_flag("no_auth") {
            let idx = if is_sub(id) { 2 } else { 1 };
            let allowed = argv.len() >= 2
                && self.firstargs.get(&id).is_some_and(|list| {
                    argv.get(idx)
                        .is_some_and(|a| list.iter().any(|s| a.eq_ignore_ascii_case(s.as_bytes())))
                });
            if !allowed {
                return Err(Denied::Command);
            }
        }
        if !self.allkeys && spec.has_keys() {
            let mut refused = None;
            let mut visit = |i: usize, flags: &'static [&'static str]| {
                let flags = if flags.contains(&"variable_flags") {
                    variable_flags(spec, argv)
                } else {
                    flags
                };
                if argv.get(i).is_some_and(|k| !self.check_key(k, flags)) {
                    refused = Some(i);
                    return false;
                }
                true
            };
            if table::visit_keys_with_flags(spec, argv, &mut visit).is_none() {
                // Specs that do not fit argv: every key needs both rights.
                const RW: &[&str] = &["access", "update"];
                for i in table::all_key_positions(spec, argv) {
                    if !visit(i, RW) {
                        break;
                    }
                }
            }
            if let Some(i) = refused {
                return Err(Denied::Key(i));
            }
        }
        Ok(())
    }

    /// The flags as `ACL GETUSER` lists them.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut out = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            out.push("nopass");
        }
        match self.sanitize {
            Sanitize::Skip => out.push("skip-sanitize-payload"),
            Sanitize::On => out.push("sanitize-payload"),
            Sanitize::Unset => {}
        }
        out
    }

    pub fn passwords(&self) -> &[String] {
        &self.passwords
    }

    /// `ACL GETUSER`'s `keys`.
    pub fn keys_rules(&self) -> String {
        if self.allkeys {
            return "~*".into();
        }
        let v: Vec<String> = self.keys.iter().map(|(p, f)| pattern_rule(p, *f)).collect();
        v.join(" ")
    }

    /// `ACL GETUSER`'s `channels`.
    pub fn channels_rules(&self) -> String {
        if self.allchannels {
            return "&*".into();
        }
        let v: Vec<String> = self
            .channels
            .iter()
            .map(|c| format!("&{}", String::from_utf8_lossy(c)))
            .collect();
        v.join(" ")
    }

    /// `ACLDescribeSelectorCommandRules`: `+@all`/`-@all`, then the
    /// categories that fit best, then single commands, rebuilding the
    /// same bitmap.
    pub fn command_rules(&self) -> String {
        let cmds = commands();
        let additive = !self.future();
        let mut fake = User::new("");
        let mut rules = Vec::new();
        if additive {
            rules.push("-@all".to_string());
            fake.set_all(false);
        } else {
            rules.push("+@all".to_string());
            fake.set_all(true);
        }
        let mut temp = self.clone();
        let mut applied = [false; CATEGORIES.len()];
        loop {
            let mut best = None;
            let (mut mindiff, mut maxsame) = (usize::MAX, 0usize);
            for (j, ids) in cmds.cats.iter().enumerate() {
                if applied.get(j).copied().unwrap_or(true) {
                    continue;
                }
                let on = ids.iter().filter(|&&i| temp.bit(i)).count();
                let off = ids.len() - on;
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                    best = Some(j);
                    mindiff = diff;
                    maxsame = same;
                }
            }
            let Some(j) = best else { break };
            fake.set_category(j, additive);
            temp.set_category(j, !additive);
            let name = CATEGORIES.get(j).copied().unwrap_or("");
            rules.push(format!("{}@{name}", if additive { '+' } else { '-' }));
            if let Some(a) = applied.get_mut(j) {
                *a = true;
            }
        }
        for (id, spec) in cmds.specs.iter().enumerate() {
            if is_sub(id) {
                continue;
            }
            let mut single = |id: usize, spec: &CommandSpec, fake: &mut User| {
                let userbit = self.bit(id);
                if userbit != fake.bit(id) {
                    rules.push(format!("{}{}", if userbit { '+' } else { '-' }, spec.name));
                    fake.change_perm(id, userbit);
                }
                (userbit, spec.name)
            };
            let (userbit, name) = single(id, spec, &mut fake);
            for &sid in cmds.children.get(id).map(|v| v.as_slice()).unwrap_or(&[]) {
                if let Some(s) = cmds.specs.get(sid) {
                    single(sid, s, &mut fake);
                }
            }
            if !userbit && let Some(list) = self.firstargs.get(&id) {
                for a in list {
                    rules.push(format!("+{name}|{a}"));
                }
            }
        }
        rules.join(" ")
    }

    /// `ACLDescribeUser`: the rules after `user <name> ` in `ACL LIST` and
    /// the ACL file.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.flags().iter().map(|f| f.to_string()).collect();
        for p in &self.passwords {
            parts.push(format!("#{p}"));
        }
        if self.allkeys {
            parts.push("~*".into());
        } else {
            parts.extend(self.keys.iter().map(|(p, f)| pattern_rule(p, *f)));
        }
        if self.allchannels {
            parts.push("&*".into());
        } else {
            parts.push("resetchannels".into());
            parts.extend(
                self.channels
                    .iter()
                    .map(|c| format!("&{}", String::from_utf8_lossy(c))),
            );
        }
        parts.push(self.command_rules());
        parts.join(" ")
    }
}

/// The access of a key spec marked `variable_flags`, from the arguments
/// (Redis's `setGetKeys` and `bitfieldGetKeys`).
fn variable_flags(spec: &CommandSpec, argv: &[Bytes]) -> &'static [&'static str] {
    const RW: &[&str] = &["RW", "access", "update"];
    let is = |a: &Bytes, w: &str| a.eq_ignore_ascii_case(w.as_bytes());
    match spec.name {
        "set" if argv.iter().skip(3).any(|a| is(a, "get")) => RW,
        "set" => &["OW", "update"],
        "bitfield" => {
            let mut i = 2;
            while let Some(a) = argv.get(i) {
                let more = argv.len() - i - 1;
                if is(a, "get") && more >= 2 {
                    i += 3;
                } else if is(a, "overflow") && more >= 1 {
                    i += 2;
                } else {
                    return RW;
                }
            }
            &["RO", "access"]
        }
        _ => RW,
    }
}

fn is_sub(id: usize) -> bool {
    commands().is_sub.get(id).copied().unwrap_or(false)
}

fn pattern_rule(p: &[u8], f: u8) -> String {
    let prefix = match f {
        PERM_READ => "%R~",
        PERM_WRITE => "%W~",
        _ => "~",
    };
    format!("{prefix}{}", String::from_utf8_lossy(p))
}

/// The users of a node, by name (sorted, as Redis's rax lists them), and
/// how many changes built this set (`seq`: the same on every replica of
/// the meta group, so a node can wait until it has applied a change).
#[derive(Debug, Clone, PartialEq)]
pub struct Acl {
    users: BTreeMap<String, Arc<User>>,
    pub seq: u64,
}

impl Default for Acl {
    fn default() -> Acl {
        let mut users = BTreeMap::new();
        users.insert("default".to_string(), Arc::new(User::default_user()));
        Acl { users, seq: 0 }
    }
}

/// The name `ACL SETUSER` and the ACL file accept.
fn user_name(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Acl {
    pub fn get(&self, name: &[u8]) -> Option<&Arc<User>> {
        self.users.get(user_name(name).as_str())
    }

    pub fn users(&self) -> impl Iterator<Item = &Arc<User>> {
        self.users.values()
    }

    pub fn default_user(&self) -> Arc<User> {
        self.users
            .get("default")
            .cloned()
            .unwrap_or_else(|| Arc::new(User::default_user()))
    }

    /// Whether a new connection must authenticate (`authRequired`).
    pub fn auth_required(&self) -> bool {
        let d = self.default_user();
        !d.nopass || !d.enabled
    }

    /// `ACLCheckUserCredentials`: the user when `pass` opens it.
    pub fn authenticate(&self, name: &[u8], pass: &[u8]) -> Option<Arc<User>> {
        self.get(name).filter(|u| u.check_password(pass)).cloned()
    }

    /// `ACL SETUSER name rules...`, all or nothing; the error is the reply
    /// text.
    pub fn setuser(&mut self, name: &[u8], rules: &[Bytes]) -> Result<(), String> {
        if has_spaces(name) {
            return Err("ERR Usernames can't contain spaces or null characters".into());
        }
        let mut u = match self.get(name) {
            Some(u) => (**u).clone(),
            None => User::new(&user_name(name)),
        };
        for r in rules {
            if let Err(e) = u.set(r) {
                return Err(format!(
                    "ERR Error in ACL SETUSER modifier '{}': {}",
                    String::from_utf8_lossy(r),
                    e.message()
                ));
            }
        }
        self.users.insert(u.name.clone(), Arc::new(u));
        Ok(())
    }

    /// `ACL DELUSER`: how many existed.
    pub fn deluser(&mut self, names: &[Bytes]) -> Result<i64, String> {
        if names.iter().any(|n| n.as_ref() == b"default") {
            return Err("ERR The 'default' user cannot be removed".into());
        }
        Ok(names
            .iter()
            .filter(|n| self.users.remove(user_name(n).as_str()).is_some())
            .count() as i64)
    }

    /// The default user's passwords after `CONFIG SET requirepass`: the
    /// one hashed `pass`, or none (`nopass`) when empty.
    pub fn set_requirepass_hash(&mut self, hash: Option<&str>) -> Result<(), String> {
        let rules: Vec<Bytes> = match hash {
            Some(h) => vec![
                Bytes::from_static(b"resetpass"),
                Bytes::from(format!("#{h}")),
            ],
            None => vec![
                Bytes::from_static(b"resetpass"),
                Bytes::from_static(b"nopass"),
            ],
        };
        self.setuser(b"default", &rules)
    }

    /// `ACL LIST`.
    pub fn list(&self) -> Vec<String> {
        self.users
            .values()
            .map(|u| format!("user {} {}", u.name, u.describe()))
            .collect()
    }

    /// The ACL file's text (`ACLSaveToFile`).
    pub fn to_file(&self) -> String {
        let mut s = String::new();
        for l in self.list() {
            s.push_str(&l);
            s.push('\n');
        }
        s
    }

    /// Parses an ACL file (`ACLLoadFromFile`); `filename` names it in the
    /// errors, which are Redis's (without the `ERR `).
    pub fn from_file(text: &[u8], filename: &str) -> Result<Acl, String> {
        let mut users: BTreeMap<String, Arc<User>> = BTreeMap::new();
        let mut errors = String::new();
        for (i, line) in text.split(|&c| c == b'\n').enumerate() {
            let linenum = i + 1;
            let line = trim(line, b" \t\r\n");
            if line.is_empty() {
                continue;
            }
            let argv: Vec<&[u8]> = line.split(|&c| c == b' ').collect();
            if argv.first().copied() != Some(b"user".as_slice()) || argv.len() < 2 {
                errors.push_str(&format!(
                    "{filename}:{linenum} should start with user keyword followed by the username. "
                ));
                continue;
            }
            let name = argv.get(1).copied().unwrap_or(b"");
            if has_spaces(name) {
                errors.push_str(&format!(
                    "'{filename}:{linenum}: username '{}' contains invalid characters. ",
                    String::from_utf8_lossy(name)
                ));
                continue;
            }
            let name = user_name(name);
            if users.contains_key(&name) {
                errors.push_str(&format!(
                    "WARNING: Duplicate user '{name}' found on line {linenum}. "
                ));
                continue;
            }
            let mut u = User::new(&name);
            let mut syntax_error = false;
            for op in argv.iter().skip(2) {
                let op = trim(op, b"\t\r\n");
                if let Err(e) = u.set(op) {
                    if e == RuleError::UnknownCommand {
                        errors.push_str(&format!(
                            "{filename}:{linenum}: Error in applying operation '{}': {}. ",
                            String::from_utf8_lossy(op),
                            e.message()
                        ));
                    } else if !syntax_error {
                        errors.push_str(&format!("{filename}:{linenum}: {}. ", e.message()));
                        syntax_error = true;
                    }
                }
            }
            users.insert(name, Arc::new(u));
        }
        if !errors.is_empty() {
            errors.push_str(
                "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
            );
            return Err(errors);
        }
        users
            .entry("default".to_string())
            .or_insert_with(|| Arc::new(User::default_user()));
        Ok(Acl { users, seq: 0 })
    }

    /// The replicated form: a header with `seq`, then the ACL file.
    pub fn encode(&self) -> Vec<u8> {
        let mut s = format!("{STATE_HEADER} {}\n", self.seq);
        s.push_str(&self.to_file());
        s.into_bytes()
    }

    pub fn decode(b: &[u8]) -> Option<Acl> {
        let nl = b.iter().position(|&c| c == b'\n')?;
        let head = std::str::from_utf8(b.get(..nl)?).ok()?;
        let seq = head.strip_prefix(STATE_HEADER)?.trim().parse().ok()?;
        let mut acl = Acl::from_file(b.get(nl + 1..)?, "state").ok()?;
        acl.seq = seq;
        Some(acl)
    }
}

const STATE_HEADER: &str = "corekv-acl";

fn trim<'a>(mut s: &'a [u8], set: &[u8]) -> &'a [u8] {
    while let Some((f, rest)) = s.split_first() {
        if !set.contains(f) {
            break;
        }
        s = rest;
    }
    while let Some((l, rest)) = s.split_last() {
        if !set.contains(l) {
            break;
        }
        s = rest;
    }
    s
}

/// The ACL changes the meta group applies (`COREKV.ACLOP <op> ...`);
/// cleartext passwords never reach the log (the proposer hashes them).
pub const OP_SETUSER: &[u8] = b"SETUSER";
pub const OP_DELUSER: &[u8] = b"DELUSER";
/// `LOAD <acl file text>`: replaces every user.
pub const OP_LOAD: &[u8] = b"LOAD";
/// `REQUIREPASS [sha256 hex]`: the default user's one password, or none.
pub const OP_REQUIREPASS: &[u8] = b"REQUIREPASS";

/// Applies one replicated change to `acl` (every replica computes the same
/// result). On success the reply is `[reply, seq]`: the proposer answers
/// `reply` once its own node has applied `seq`.
pub fn apply_op(acl: &mut Acl, args: &[Bytes]) -> crate::Reply {
    use crate::Reply;
    let op = args.first().map(|a| a.as_ref()).unwrap_or(b"");
    let rest = args.get(1..).unwrap_or(&[]);
    let mut next = acl.clone();
    let r = if op.eq_ignore_ascii_case(OP_SETUSER) {
        match rest.split_first() {
            Some((name, rules)) => next.setuser(name, rules).map(|_| Reply::ok()),
            None => Err("ERR bad ACL op".into()),
        }
    } else if op.eq_ignore_ascii_case(OP_DELUSER) {
        next.deluser(rest).map(Reply::Integer)
    } else if op.eq_ignore_ascii_case(OP_LOAD) {
        let text = rest.first().map(|a| a.as_ref()).unwrap_or(b"");
        Acl::from_file(text, "ACL LOAD").map(|a| {
            next.users = a.users;
            Reply::ok()
        })
    } else if op.eq_ignore_ascii_case(OP_REQUIREPASS) {
        let hash = rest
            .first()
            .map(|h| String::from_utf8_lossy(h).into_owned());
        if hash.as_deref().is_some_and(|h| !valid_hash(h.as_bytes())) {
            Err("ERR bad password hash".into())
        } else {
            next.set_requirepass_hash(hash.as_deref())
                .map(|_| Reply::ok())
        }
    } else {
        Err("ERR unknown ACL op".into())
    };
    match r {
        Ok(reply) => {
            next.seq = acl.seq + 1;
            *acl = next;
            Reply::Array(vec![reply, Reply::Integer(acl.seq as i64)])
        }
        Err(e) => Reply::Error(e),
    }
}

/// Rewrites `ACL SETUSER` rules so no cleartext password is replicated:
/// `>pass` becomes `#<sha256>`, `<pass` becomes `!<sha256>`.
pub fn hash_rules(rules: &[Bytes]) -> Vec<Bytes> {
    rules
        .iter()
        .map(|r| match r.first() {
            Some(b'>') => Bytes::from(format!("#{}", hash_password(r.get(1..).unwrap_or(&[])))),
            Some(b'<') => Bytes::from(format!("!{}", hash_password(r.get(1..).unwrap_or(&[])))),
            _ => r.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn argv(s: &str) -> Vec<Bytes> {
        s.split(' ').map(b).collect()
    }

    fn user(rules: &str) -> User {
        let mut u = User::new("u");
        for r in rules.split(' ').filter(|r| !r.is_empty()) {
            u.set(r.as_bytes()).expect(r);
        }
        u
    }

    fn spec(line: &str) -> &'static CommandSpec {
        table::resolve(&argv(line)).expect(line)
    }

    fn check(u: &User, line: &str) -> Result<(), Denied> {
        u.check(spec(line), &argv(line))
    }

    #[test]
    fn default_user_describes_like_redis() {
        let d = User::default_user();
        assert_eq!(d.describe(), "on nopass ~* &* +@all");
        assert!(d.unrestricted());
        assert_eq!(User::new("x").describe(), "off resetchannels -@all");
        assert_eq!(
            user("reset").describe(),
            "off sanitize-payload resetchannels -@all"
        );
    }

    #[test]
    fn rules_describe_as_redis_prints_them() {
        let u = user("on >pw ~k* %R~r* &ch* +get +@hash -hdel +client|list +select|0");
        assert_eq!(
            u.describe(),
            "on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~k* %R~r* resetchannels &ch* -@all +@hash +select|0 +client|list +get -hdel"
        );
        assert_eq!(
            user("-@all +@string -append").command_rules(),
            "-@all +@string -append"
        );
        assert_eq!(
            user("+@read +@write -@all +get").command_rules(),
            "-@all +get"
        );
        assert_eq!(user("%RW~a %W~b %R~b ~c %R~c").keys_rules(), "~a ~b ~c");
        assert_eq!(user("~*").keys_rules(), "~*");
        assert_eq!(user("%R~*").keys_rules(), "%R~*");
        assert_eq!(user("+@all -flushall").command_rules(), "+@all -flushall");
    }

    #[test]
    fn describe_round_trips_through_the_rules() {
        for rules in [
            "on >a >b ~x* %W~y &c -@all +@hash +@list -lpush +client|list +select|0",
            "+@all -@string +get -@dangerous",
            "allkeys allchannels +@read -@slow",
            "off nopass skip-sanitize-payload -@all +config|get +acl",
        ] {
            let u = user(rules);
            let again = user(&u.describe());
            assert_eq!(again.bits, u.bits, "{rules}");
            assert_eq!(again.describe(), u.describe(), "{rules}");
        }
    }

    #[test]
    fn rule_errors_are_redis_errno_cases() {
        let mut u = User::new("x");
        assert_eq!(u.set(b"bogus"), Err(RuleError::Syntax));
        assert_eq!(u.set(b"+nocmd"), Err(RuleError::UnknownCommand));
        assert_eq!(u.set(b"+@nocat"), Err(RuleError::UnknownCommand));
        assert_eq!(u.set(b"%X~a"), Err(RuleError::Syntax));
        assert_eq!(u.set(b"<nopw"), Err(RuleError::NoSuchPassword));
        assert_eq!(u.set(b"#abc"), Err(RuleError::BadHash));
        assert_eq!(u.set(b"+client|"), Err(RuleError::Syntax));
        assert_eq!(
            u.set(b"+client|list|x"),
            Err(RuleError::FirstArgOfSubcommand)
        );
        assert_eq!(u.set(b"(~x +get)"), Err(RuleError::Syntax));
        u.set(b"allkeys").unwrap();
        assert_eq!(u.set(b"~foo"), Err(RuleError::KeyAfterAll));
        u.set(b"allchannels").unwrap();
        assert_eq!(u.set(b"&a"), Err(RuleError::ChannelAfterAll));
        let mut acl = Acl::default();
        assert_eq!(
            acl.setuser(b"x", &[b("+get"), b("bogus")]),
            Err("ERR Error in ACL SETUSER modifier 'bogus': Syntax error".into())
        );
        assert!(acl.get(b"x").is_none(), "a failed SETUSER changes nothing");
        assert!(acl.deluser(&[b("default")]).is_err());
    }

    #[test]
    fn commands_categories_and_first_args() {
        let u = user("allkeys -@all +@hash -hdel +client|list +select|0");
        assert_eq!(check(&u, "hget h f"), Ok(()));
        assert_eq!(check(&u, "hdel h f"), Err(Denied::Command));
        assert_eq!(check(&u, "get k"), Err(Denied::Command));
        assert_eq!(check(&u, "client list"), Ok(()));
        assert_eq!(check(&u, "client kill id 1"), Err(Denied::Command));
        assert_eq!(check(&u, "select 0"), Ok(()));
        assert_eq!(check(&u, "select 1"), Err(Denied::Command));
        // no_auth commands run for everyone.
        assert_eq!(check(&u, "auth a b"), Ok(()));
        assert_eq!(
            Denied::Command.error("client|kill"),
            "NOPERM this user has no permissions to run the 'client|kill' command"
        );
        // +@all then -cmd: still "future commands", the bit refuses.
        let u = user("+@all -set allkeys");
        assert_eq!(check(&u, "set k v"), Err(Denied::Command));
        assert_eq!(check(&u, "get k"), Ok(()));
        // A container rule covers its subcommands.
        let u = user("allkeys -@all +config");
        assert_eq!(check(&u, "config get x"), Ok(()));
    }

    #[test]
    fn key_patterns_follow_key_spec_flags() {
        let u = user("+@all ~k* %R~r* %W~w*");
        assert_eq!(check(&u, "get k1"), Ok(()));
        assert_eq!(check(&u, "get r1"), Ok(()));
        assert_eq!(check(&u, "set r1 v"), Err(Denied::Key(1)));
        assert_eq!(check(&u, "set w1 v"), Ok(()));
        assert_eq!(check(&u, "get w1"), Err(Denied::Key(1)));
        assert_eq!(check(&u, "get x"), Err(Denied::Key(1)));
        // LMOVE's source is read and written, its destination written.
        assert_eq!(check(&u, "lmove k1 w1 left right"), Ok(()));
        assert_eq!(check(&u, "lmove r1 w1 left right"), Err(Denied::Key(1)));
        assert_eq!(check(&u, "lmove k1 r1 left right"), Err(Denied::Key(2)));
        assert_eq!(check(&u, "mset k1 a x b"), Err(Denied::Key(3)));
        // SET ... GET reads too (its key spec says access).
        let u = user("+@all %W~w* %R~r*");
        assert_eq!(check(&u, "set w1 v"), Ok(()));
        assert_eq!(check(&u, "set w1 v get"), Err(Denied::Key(1)));
        assert_eq!(check(&u, "bitfield r1 get u8 0"), Ok(()));
        assert_eq!(check(&u, "bitfield r1 set u8 0 1"), Err(Denied::Key(1)));
    }

    #[test]
    fn channels_match_as_redis() {
        let u = user("&news.* &exact");
        assert!(u.check_channel(b"news.tech", false));
        assert!(u.check_channel(b"exact", false));
        assert!(!u.check_channel(b"other", false));
        // A subscribed pattern must equal an allowed one literally.
        assert!(u.check_channel(b"news.*", true));
        assert!(!u.check_channel(b"news.t*", true));
        assert!(!u.check_channel(b"*", true));
        assert!(user("allchannels").check_channel(b"*", true));
        assert!(!User::new("x").check_channel(b"a", false));
    }

    #[test]
    fn passwords_are_sha256_hex_and_disabled_users_never_match() {
        let u = user("on >secret");
        assert_eq!(u.passwords().len(), 1);
        assert_eq!(
            u.passwords()[0],
            "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
        );
        assert!(u.check_password(b"secret"));
        assert!(!u.check_password(b"nope"));
        assert!(!user("off >secret").check_password(b"secret"));
        assert!(user("on nopass").check_password(b"anything"));
        assert!(!user("on").check_password(b""));
        let rules = hash_rules(&[b(">secret"), b("<x"), b("~k")]);
        assert_eq!(
            rules[0].as_ref(),
            b"#2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
        );
        assert!(rules[1].starts_with(b"!"));
        assert_eq!(rules[2], b("~k"));
    }

    #[test]
    fn acl_file_round_trip_and_errors() {
        let mut acl = Acl::default();
        acl.setuser(b"alice", &argv("on >pw ~k* +get")).unwrap();
        let text = acl.to_file();
        let back = Acl::from_file(text.as_bytes(), "users.acl").unwrap();
        assert_eq!(back.list(), acl.list());
        let err = Acl::from_file(b"user a on bogus +nocmd\nfoo\nuser a\n", "f.acl").unwrap_err();
        assert_eq!(
            err,
            "f.acl:1: Syntax error. f.acl:1: Error in applying operation '+nocmd': Unknown command or category name in ACL. f.acl:2 should start with user keyword followed by the username. WARNING: Duplicate user 'a' found on line 3. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        );
        // A file without the default user gets a fresh one.
        let only = Acl::from_file(b"user bob on nopass\n", "f").unwrap();
        assert!(only.get(b"default").is_some_and(|d| d.unrestricted()));
    }

    #[test]
    fn replicated_ops_apply_deterministically() {
        let mut a = Acl::default();
        let r = apply_op(
            &mut a,
            &argv(
                "SETUSER bob on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b +get",
            ),
        );
        assert_eq!(
            r,
            crate::Reply::Array(vec![crate::Reply::ok(), crate::Reply::Integer(1)])
        );
        let enc = a.encode();
        let b2 = Acl::decode(&enc).unwrap();
        assert_eq!(b2, a);
        assert!(b2.authenticate(b"bob", b"secret").is_some());
        let r = apply_op(&mut a, &argv("SETUSER bob bogus"));
        assert!(r.is_error());
        assert_eq!(a.seq, 1, "a refused op changes nothing");
        let r = apply_op(&mut a, &argv("DELUSER bob nobody"));
        assert_eq!(
            r,
            crate::Reply::Array(vec![crate::Reply::Integer(1), crate::Reply::Integer(2)])
        );
        apply_op(
            &mut a,
            &argv("REQUIREPASS 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"),
        );
        assert!(a.auth_required());
        assert!(a.authenticate(b"default", b"secret").is_some());
        apply_op(&mut a, &argv("REQUIREPASS"));
        assert!(!a.auth_required());
    }
}
